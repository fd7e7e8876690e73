/** A watcher's run of failed polls and when it turns loud. A watcher whose every poll fails (a malformed answer, an
 *  unexpected status, an over-size or slow body, a target whose stock cannot be read) sees nothing of the drop; left
 *  to one warning line it would miss the drop in silence (issue 12). So a run of failures escalates: a warning with
 *  the count and the last cause every BLIND_WARN_EVERY_MS, and once it has lasted the profile's `blindAfter` (both
 *  that many failed polls and that long) the target is blind: reported to the run, in the summary and the exit code.
 *  One poll that reads the target ends the run of failures. Pure: the watcher gives the clock. */

/** While polls keep failing, a warning this often. */
export const BLIND_WARN_EVERY_MS = 30_000;

/** The limit of a watcher not told its profile's (the `balanced` profile's). */
export const DEFAULT_BLIND_LIMIT: BlindLimit = { polls: 3, ms: 90_000 };

/** When a run of failed polls makes a target blind: after `polls` failed polls in a row that span at least `ms`, from
 *  the start of the first to the end of the last (both: a burst of fast failures inside the drop window is not yet
 *  blindness, nor is one slow failure). */
export interface BlindLimit {
  readonly polls: number;
  readonly ms: number;
}

/** A run of failed polls as it stands. */
export interface FailingRun {
  /** Failed polls in a row. */
  readonly failures: number;
  /** Epoch ms the first of them started. */
  readonly since: number;
  /** Why the latest one failed (`STORE_MALFORMED: …`). */
  readonly cause: string;
  /** Whether it has reached the limit. */
  readonly blind: boolean;
}

/** What one failure calls for. */
export type FailureStep = 'quiet' | 'warn' | 'blind';

export class FailedPolls {
  private run: { failures: number; since: number; cause: string; blind: boolean; warnedAt: number; loud: boolean } | null = null;

  constructor(private readonly limit: BlindLimit) {}

  /** The run of failures in progress, if any. */
  get current(): FailingRun | null {
    const r = this.run;
    return r === null ? null : { failures: r.failures, since: r.since, cause: r.cause, blind: r.blind };
  }

  /** A poll that started at `startedAt` failed at `now` for `cause`: `blind` the first time the run reaches the limit,
   *  `warn` when the last warning (or the run's start) is BLIND_WARN_EVERY_MS old, else `quiet`. */
  failed(cause: string, startedAt: number, now: number): FailureStep {
    const r = (this.run ??= { failures: 0, since: startedAt, cause, blind: false, warnedAt: startedAt, loud: false });
    r.failures++;
    r.cause = cause;
    if (!r.blind && r.failures >= this.limit.polls && now - r.since >= this.limit.ms) {
      r.blind = r.loud = true;
      r.warnedAt = now;
      return 'blind';
    }
    if (now - r.warnedAt >= BLIND_WARN_EVERY_MS) {
      r.loud = true;
      r.warnedAt = now;
      return 'warn';
    }
    return 'quiet';
  }

  /** A poll read the target: the run of failures is over. Returned when it had been reported (warned or blind), so
   *  whoever heard of it hears of its end. */
  succeeded(): FailingRun | null {
    const r = this.run;
    this.run = null;
    return r !== null && r.loud ? { failures: r.failures, since: r.since, cause: r.cause, blind: r.blind } : null;
  }
}

/** `CODE: message` of a poll's failure, cut to a log line (a hostile answer can make a message long). */
export function failureCause(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const text = typeof code === 'string' ? `${code}: ${message}` : message;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** What a watcher tells the run (the sniper) about its polls: the summary, the exit code and the telemetry read it. */
export type WatchReport =
  /** Polls of `target` keep failing: sent with each escalation (a warning, and the moment it turns blind). */
  | ({ type: 'WATCH_FAILING'; target: string } & FailingRun)
  /** A poll of `target` read it again after a reported run of failures. */
  | ({ type: 'WATCH_RECOVERED'; target: string } & FailingRun);

/** A target whose polls went blind during the run, as the summary tells it. */
export interface BlindTarget {
  /** `collection:character`. */
  readonly target: string;
  /** Failed polls in a row, at the latest report. */
  readonly failures: number;
  /** Epoch ms the run of failures started... */
  readonly since: number;
  /** ...and when it was last heard of: its latest report, its end, or the end of the run. */
  readonly until: number;
  readonly cause: string;
  /** Still blind when the run ended; false when a later poll read the target again. */
  readonly blindAtEnd: boolean;
}

/** `target 1:1 blind: 21 polls failed over 12 s, last: STORE_MALFORMED: …`. */
export function describeBlind(b: BlindTarget): string {
  const over = Math.max(0, Math.round((b.until - b.since) / 1000));
  const still = b.blindAtEnd ? 'blind' : 'was blind, then seen again';
  return `target ${b.target} ${still}: ${b.failures} poll${b.failures === 1 ? '' : 's'} failed in a row over ${over} s, last: ${b.cause}`;
}
