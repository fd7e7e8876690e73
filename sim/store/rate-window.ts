/** A fixed-window request counter per caller key. For now it only informs (`x-ratelimit-remaining`/`-reset`); a later
 *  limiter middleware can refuse with 429 when `remaining` is 0, from the same counts. */
export interface WindowCount {
  /** Requests the key may still make in this window (0 at most). */
  readonly remaining: number;
  /** Epoch seconds at which the window resets. */
  readonly resetAt: number;
}

export class FixedWindowCounter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(windowMs) || windowMs < 1) {
      throw new RangeError('limit and window must be positive integers');
    }
  }

  /** Counts one request by `key` at `nowMs` and tells what is left of the window. */
  hit(key: string, nowMs: number): WindowCount {
    const start = nowMs - (nowMs % this.windowMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts = new Map();
    }
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    return { remaining: Math.max(0, this.limit - used), resetAt: Math.ceil((start + this.windowMs) / 1000) };
  }
}
