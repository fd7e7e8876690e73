/** One token bucket with a priority queue: the limiter actor's state for one pool. Pure, clock passed in. */
import { PRIORITY_RANK, type Priority } from '../store/request-gate.js';
import type { PoolLimit } from '../store/rate-pools.js';

export interface Waiter {
  readonly requestId: number;
  readonly priority: Priority;
  readonly weight: number;
  readonly since: number;
}

export class LimiterPool {
  private tokens: number;
  private refilledAt: number;
  /** No request goes out before this instant (a 429's Retry-After). */
  blockedUntil = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly name: string, readonly limit: PoolLimit, now: number) {
    this.tokens = limit.capacity;
    this.refilledAt = now;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Queues a waiter in priority order (stable within a priority). */
  enqueue(w: Waiter): void {
    const i = this.queue.findIndex((q) => PRIORITY_RANK[q.priority] > PRIORITY_RANK[w.priority]);
    if (i < 0) this.queue.push(w);
    else this.queue.splice(i, 0, w);
  }

  remove(requestId: number): Waiter | undefined {
    const i = this.queue.findIndex((q) => q.requestId === requestId);
    return i < 0 ? undefined : this.queue.splice(i, 1)[0];
  }

  /** Grants as many queued waiters as tokens allow, highest priority first; returns them. */
  drain(now: number): Waiter[] {
    this.refill(now);
    const granted: Waiter[] = [];
    if (now < this.blockedUntil) return granted;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (this.tokens - head.weight < this.floorFor(head)) break;
      this.tokens -= head.weight;
      granted.push(this.queue.shift()!);
    }
    return granted;
  }

  /** When the head of the queue can next be served (ms epoch), or null when nobody waits. */
  nextReadyAt(now: number): number | null {
    if (this.queue.length === 0) return null;
    this.refill(now);
    const head = this.queue[0]!;
    return this.whenHolding(head.weight + this.floorFor(head), now);
  }

  /** When a queued waiter will be served if nobody overtakes it (ms epoch): everyone ahead is served first. Null when
   *  it is not queued. */
  readyAt(requestId: number, now: number): number | null {
    this.refill(now);
    let ahead = 0;
    for (const w of this.queue) {
      ahead += w.weight;
      if (w.requestId === requestId) return this.whenHolding(ahead + this.floorFor(w), now);
    }
    return null;
  }

  /** A 429 or Retry-After: nothing goes out until `until`, and the bucket starts empty after it. */
  block(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
    this.tokens = 0;
  }

  /** Polls and reads leave the reserved tokens to spending calls. */
  private floorFor(w: Waiter): number {
    return w.priority === 'spend' ? 0 : this.limit.reservedForSpend;
  }

  /** When what the bucket holds plus what it refills covers `needed` tokens; refilling only starts once a block ends. */
  private whenHolding(needed: number, now: number): number {
    const from = Math.max(now, this.blockedUntil);
    const missing = needed - this.tokens;
    return missing <= 0 ? from : from + (missing / this.limit.refillPerSec) * 1000;
  }

  private refill(now: number): void {
    const from = Math.max(this.refilledAt, Math.min(now, this.blockedUntil));
    if (now > from) this.tokens = Math.min(this.limit.capacity, this.tokens + ((now - from) / 1000) * this.limit.refillPerSec);
    this.refilledAt = now;
  }
}
