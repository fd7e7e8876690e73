/** A clock that only moves when a test moves it (epoch ms), for code that takes a `() => number` clock. */
export class ManualClock {
  constructor(private nowMs: number = Date.UTC(2025, 0, 1, 12, 0, 0)) {}

  /** The clock function to inject. */
  readonly now = (): number => this.nowMs;

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.nowMs += ms;
  }

  /** Sets the time to `ms`. */
  set(ms: number): void {
    this.nowMs = ms;
  }
}
