/** Latency samples of one run, measured in-process with the monotonic clock, and their percentiles. */

export type LatencyName = 'detectToOrder' | 'orderToBroadcast' | 'broadcastToConfirm';

export class RunMetrics {
  private readonly samples = new Map<LatencyName, number[]>();
  /** performance.now() of the first moment the drop was seen buyable, and of the first payment sent. */
  firstStockSeenAt: number | null = null;
  firstPaymentSentAt: number | null = null;
  /** performance.now() of each method's first confirmed payment. */
  readonly firstPaidAt = new Map<string, number>();

  /** Notes a confirmed payment of `method` (only the first one counts). */
  notePaid(method: string, at: number): void {
    if (!this.firstPaidAt.has(method)) this.firstPaidAt.set(method, at);
  }

  /** Per method, ms from the drop first seen buyable to its first confirmed payment. */
  dropToFirstPayment(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.firstStockSeenAt === null) return out;
    for (const [m, at] of this.firstPaidAt) out[m] = Math.round((at - this.firstStockSeenAt) * 100) / 100;
    return out;
  }

  /** Adds one sample in ms. */
  record(name: LatencyName, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    let list = this.samples.get(name);
    if (!list) this.samples.set(name, (list = []));
    list.push(ms);
  }

  /** p50 and p99 (nearest rank) of a latency, rounded to 0.01 ms; zeros when nothing was measured. */
  percentiles(name: LatencyName): { p50: number; p99: number; n: number } {
    const list = [...(this.samples.get(name) ?? [])].sort((a, b) => a - b);
    if (list.length === 0) return { p50: 0, p99: 0, n: 0 };
    const at = (q: number): number => list[Math.min(list.length - 1, Math.max(0, Math.ceil(q * list.length) - 1))]!;
    const round = (v: number): number => Math.round(v * 100) / 100;
    return { p50: round(at(0.5)), p99: round(at(0.99)), n: list.length };
  }
}
