/** The chain's time as this machine can know it, from the blocks it reads. A message's valid_until is judged by the
 *  chain (each block carries its time), so it is signed from this clock, never from the machine's alone: a machine
 *  90 s behind would sign messages that are already expired, one ahead would misjudge expiries. Between readings the
 *  chain's time is carried forward on the monotonic clock, so a step of the machine's wall clock (NTP, a user setting
 *  it) changes nothing here; the wall clock only serves before the first reading and to report the offset. */

/** An offset past this is worth telling the user: their machine's clock is wrong. */
export const CLOCK_WARN_OFFSET_MS = 5_000;

/** How many recent readings the chain's time is taken from. */
const WINDOW = 16;
/** Readings older than this are dropped: a long-running process's first message after a quiet hour reads afresh. */
export const READING_MAX_AGE_MS = 60_000;

/** One reading: the chain's time it showed, and when (monotonic) it arrived. */
interface Reading {
  readonly chainMs: number;
  readonly at: number;
}

export class ChainClock {
  private readings: Reading[] = [];
  /** The last offset measured, kept when the readings age out: better than none until the next one. */
  private lastOffset: number | null = null;
  private skewed = false;

  constructor(
    /** The machine's wall clock, epoch ms. */
    private readonly local: () => number = Date.now,
    /** Told when the offset passes CLOCK_WARN_OFFSET_MS (again only after it came back under). */
    private readonly onSkew: (offsetMs: number) => void = () => undefined,
    /** A monotonic clock, ms. */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /**
   * A block stamped `utimeSec` (unix seconds) was read, its answer arriving now. The block was made before `utimeSec`
   * + 1 and before the answer came, so each reading, carried forward, is off by the block's age less up to 1 s: the
   * chain's time is the largest of the recent readings (the freshest block's). It is then at most about a second
   * ahead of the truth, never minutes behind it: an order's expiry is judged a little early rather than late, and a
   * message's valid_until is at most a second longer than meant.
   */
  observe(utimeSec: number): void {
    if (!Number.isFinite(utimeSec) || utimeSec <= 0) return;
    this.readings.push({ chainMs: (utimeSec + 1) * 1000, at: this.monotonic() });
    if (this.readings.length > WINDOW) this.readings.shift();
    this.lastOffset = this.estimate()! - this.local();
    const skewed = Math.abs(this.lastOffset) > CLOCK_WARN_OFFSET_MS;
    if (skewed && !this.skewed) this.onSkew(this.lastOffset);
    this.skewed = skewed;
  }

  /** Chain time minus local time, in ms (positive: this machine is behind); null before the first reading. */
  get offsetMs(): number | null {
    const chain = this.estimate();
    return chain === null ? this.lastOffset : chain - this.local();
  }

  /** True when a reading younger than `maxAgeMs` exists (else the next message should read the chain first). */
  isFresh(maxAgeMs = READING_MAX_AGE_MS): boolean {
    const now = this.monotonic();
    return this.readings.some((r) => now - r.at <= maxAgeMs);
  }

  /** The chain's time now, epoch ms (the local clock corrected by the last offset when no reading is recent, the
   *  local clock alone before any). */
  nowMs(): number {
    return this.estimate() ?? this.local() + (this.lastOffset ?? 0);
  }

  /** The chain's time now, unix seconds. */
  nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** The chain's time carried forward from the recent readings, or null when none is recent. */
  private estimate(): number | null {
    const now = this.monotonic();
    this.readings = this.readings.filter((r) => now - r.at <= READING_MAX_AGE_MS);
    if (this.readings.length === 0) return null;
    return Math.max(...this.readings.map((r) => r.chainMs + (now - r.at)));
  }
}
