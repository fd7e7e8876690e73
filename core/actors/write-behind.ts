/** Pacing the writes of state an actor keeps in memory and mirrors in the ledger (the limiter's pools, the endpoints'
 *  stats). Writing on every change filled a 2 MiB data disk in 91 s (issue 17: a write a second, each a WAL frame or
 *  more). Here a change is looked at once the interval since the last look has passed — at once after a quiet spell,
 *  so a ban that follows calm reaches the disk right away — and the owner decides whether it is worth writing now
 *  (what a restart needs) or can wait for the flush at the end of the run (counters, token levels). Writes never
 *  overlap, the newest lands last, and a failed one is tried again at the next look or flush. */

/** What the owner does when asked to write. */
export interface WriteBehindOptions {
  /** Shortest time between two looks at the state while the run goes on; flushes are not held back by it. */
  readonly minIntervalMs: number;
  /** Writes the state. `final` on a flush (the end of the run): everything changed goes. Otherwise the owner may
   *  answer `false` to say nothing a restart needs has changed since the last write, and nothing was written. */
  readonly write: (final: boolean) => Promise<boolean>;
  /** A write that failed; the change stays pending. */
  readonly onError: (e: unknown, final: boolean) => void;
}

/** While a run goes on, state is looked at and written at most this often; at once after a quiet spell, so a ban
 *  that follows calm is on disk right away. 10 s: a restart after a crash takes seconds (start, reconcile, login), so a
 *  ban changed within the last 10 s and lost with the process has mostly run out by the time it would be read back;
 *  and at most six writes a minute per actor keep the WAL small even through a 429 storm (a write a second filled a
 *  2 MiB data disk in 91 s). */
export const STATE_SAVE_INTERVAL_MS = 10_000;

export class WriteBehind {
  /** Nothing is written until the saved state is loaded: a write first would overwrite what the last run left. */
  #loaded = false;
  #stopped = false;
  /** Changed since the last write. */
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #lastLookAt = Number.NEGATIVE_INFINITY;
  /** Changes so far: tells a write whether the state moved while it ran. */
  #changes = 0;
  /** The write under way, if any: the next one waits for it. */
  #writing: Promise<void> | null = null;

  constructor(private readonly opts: WriteBehindOptions) {}

  /** The saved state is in (or will never be): writes may start. */
  loaded(): void {
    if (this.#stopped) return;
    this.#loaded = true;
    this.#schedule();
  }

  /** Something in the state changed. */
  changed(): void {
    this.#dirty = true;
    this.#changes++;
    this.#schedule();
  }

  /** Writes everything changed so far (after a write under way) and resolves when it is written or failed; resolves
   *  at once when nothing changed or the saved state was never loaded. Never rejects. */
  flush(): Promise<void> {
    if (!this.#loaded || (!this.#dirty && !this.#writing)) return Promise.resolve();
    // After a write under way (a look mid-run may have found nothing worth writing yet): then whatever is left.
    return this.#run(true);
  }

  /** No more writes of its own; the last changes are flushed. Resolves like `flush`. */
  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.flush();
  }

  #schedule(): void {
    if (!this.#loaded || this.#stopped || !this.#dirty || this.#timer !== undefined || this.#writing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run(false);
    }, Math.max(0, this.#lastLookAt + this.opts.minIntervalMs - Date.now()));
  }

  #run(final: boolean): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    let lookAgain = false;
    const done = (this.#writing ?? Promise.resolve())
      .then(async () => {
        if (!this.#dirty) return;
        const seen = this.#changes;
        this.#lastLookAt = Date.now();
        // Cleared before the write reads the state: a change during the write makes it dirty again.
        this.#dirty = false;
        try {
          if (!(await this.opts.write(final))) this.#dirty = true;
        } catch (e) {
          this.#dirty = true;
          lookAgain = true;
          this.opts.onError(e, final);
        }
        // A look that found nothing worth writing waits for the next change; one made while it ran is looked at.
        if (this.#changes !== seen) lookAgain = true;
      })
      .finally(() => {
        if (this.#writing === done) this.#writing = null;
        if (lookAgain) this.#schedule();
      });
    this.#writing = done;
    return done;
  }
}
