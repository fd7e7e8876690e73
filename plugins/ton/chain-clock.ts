/** The chain's time as this machine can know it: its own clock corrected by the offset measured from the blocks it
 *  reads. A message's valid_until is judged by the chain (each block carries its time), so it is signed from this
 *  clock, never from the machine's alone: a machine 90 s behind would sign messages that are already expired, one
 *  ahead would look for transactions in the wrong place. */

/** An offset past this is worth telling the user: their machine's clock is wrong. */
export const CLOCK_WARN_OFFSET_MS = 5_000;

/** How many recent readings the offset is taken from. */
const WINDOW = 16;

/** One reading: a block's time compared with the local time its answer arrived. */
interface Reading {
  readonly offsetMs: number;
}

export class ChainClock {
  private readonly readings: Reading[] = [];
  private offset: number | null = null;

  constructor(
    /** The machine's clock, epoch ms. */
    private readonly local: () => number = Date.now,
    /** Told when the offset first passes CLOCK_WARN_OFFSET_MS (and again when it falls back under and passes again). */
    private readonly onSkew: (offsetMs: number) => void = () => undefined,
  ) {}

  /**
   * A block stamped `utimeSec` (unix seconds) was read, its answer arriving now. The block was made before `utimeSec`
   * + 1 and before the answer came; each reading counts from the end of its second, so it is off by the block's age
   * less up to 1 s: the offset is the largest of the recent readings (the freshest block's). The chain's time this
   * clock tells is then at most about a second ahead of the truth, never minutes behind it: an order's expiry is
   * judged a little early rather than late, and a message's valid_until is at most a second longer than meant.
   */
  observe(utimeSec: number): void {
    if (!Number.isFinite(utimeSec) || utimeSec <= 0) return;
    this.readings.push({ offsetMs: (utimeSec + 1) * 1000 - this.local() });
    if (this.readings.length > WINDOW) this.readings.shift();
    const wasSkewed = this.offset !== null && Math.abs(this.offset) > CLOCK_WARN_OFFSET_MS;
    this.offset = Math.max(...this.readings.map((r) => r.offsetMs));
    if (!wasSkewed && Math.abs(this.offset) > CLOCK_WARN_OFFSET_MS) this.onSkew(this.offset);
  }

  /** Chain time minus local time, in ms (positive: this machine is behind); null before the first reading. */
  get offsetMs(): number | null {
    return this.offset;
  }

  /** The chain's time now, epoch ms (the local clock until a block was read). */
  nowMs(): number {
    return this.local() + (this.offset ?? 0);
  }

  /** The chain's time now, unix seconds. */
  nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }
}
