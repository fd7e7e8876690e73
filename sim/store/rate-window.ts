/** A fixed-window request counter per caller key: windows are aligned to multiples of `windowMs` since the epoch, so
 *  every key's window resets at the same instant (what `x-ratelimit-reset` announces). Peeking and counting are
 *  separate so a limit can refuse a request without charging it. */

/** Where one key stands in the current window. */
export interface WindowState {
  /** Requests allowed per window. */
  readonly limit: number;
  /** Requests the key may still make in this window (0 at least). */
  readonly remaining: number;
  /** Epoch ms at which the window resets. */
  readonly resetAtMs: number;
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

  /** Where `key` stands at `nowMs`, without counting a request. */
  peek(key: string, nowMs: number): WindowState {
    this.roll(nowMs);
    return this.state(this.counts.get(key) ?? 0);
  }

  /** Counts one request by `key` at `nowMs` and tells what is left of the window. */
  hit(key: string, nowMs: number): WindowState {
    this.roll(nowMs);
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    return this.state(used);
  }

  /** Starts a new window when `nowMs` has left the current one; the old counts are forgotten. */
  private roll(nowMs: number): void {
    const start = nowMs - (nowMs % this.windowMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts = new Map();
    }
  }

  private state(used: number): WindowState {
    return { limit: this.limit, remaining: Math.max(0, this.limit - used), resetAtMs: this.windowStart + this.windowMs };
  }
}
