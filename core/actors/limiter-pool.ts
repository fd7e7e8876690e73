/** One rate-limit pool as the limiter keeps it: a token bucket (the declared limit, or the one learned from the store's
 *  headers, less the profile's safety margin), the store's own window count, a block until a 429's Retry-After has
 *  passed, a pause until a busy store's Retry-After has passed (which spends nothing), and the calls in flight with
 *  the instant each lease expires. It answers one question — may this weight at this priority go now, and if not,
 *  from when — and never queues anybody: the scheduler does. The share of the limit
 *  reserved for spending (the declared reserve's share of the declared capacity, applied to the limit in force) is
 *  never taken by a poll or a read; and it tells the pace at which polls alone never bring the pool down to that
 *  share, so a watcher spreads its polls over the window instead of draining it and then waiting for its end. Pure:
 *  clock passed in. */
import { marginFraction, type PoolLimit } from '../store/rate-pools.js';
import type { Priority } from '../store/request-gate.js';
import type { RateHeaders } from './limiter-headers.js';
import { ServerWindow, type LearnedLimit } from './limiter-window.js';

/** Why a pool holds a call back. */
export type HoldReason = 'retry-after' | 'rate-window' | 'pool exhausted' | 'in flight';

/** A pool holding a call back until at least `until` (epoch ms). */
export interface PoolHold {
  readonly until: number;
  readonly reason: HoldReason;
}

/** The part of a pool that outlives a restart. */
export interface PoolState {
  readonly tokens: number;
  readonly blockedUntil: number;
  readonly learned: LearnedLimit | null;
  readonly at: number;
}

/** Float slack: a bucket refilled to exactly what a call needs must grant it. */
const EPSILON = 1e-9;

/** Requests of every window the poll pace leaves unused beyond the spend reserve: room for the odd read (a price
 *  quote, the shop's settings) and for two watchers sharing an account meeting on it, without polls reaching the
 *  reserve's floor and waiting there for the window's end. */
export const POLL_PACE_SLACK = 2;

export class LimiterPool {
  private tokens: number;
  private refilledAt: number;
  /** No request goes out before this instant (a 429's Retry-After). */
  blockedUntil = 0;
  /** No request goes out before this instant either (a busy store's Retry-After), but the budget is left as it was.
   *  Not persisted: a restart takes longer than a busy store's few seconds. */
  private pausedUntil = 0;
  readonly window: ServerWindow;
  /** Calls out now: request id → its weight and when its lease expires. */
  private readonly leases = new Map<number, { readonly weight: number; readonly expiresAt: number }>();

  constructor(
    readonly name: string,
    readonly declared: PoolLimit,
    private readonly marginPct: number,
    now: number,
    restored?: PoolState,
  ) {
    this.window = new ServerWindow(restored?.learned ?? null);
    this.refilledAt = restored ? Math.min(restored.at, now) : now;
    this.tokens = Math.min(restored ? Math.max(0, restored.tokens) : Number.POSITIVE_INFINITY, this.limit.capacity);
    this.blockedUntil = restored?.blockedUntil ?? 0;
  }

  /** The limit in force: the learned one when the store has told it, else the declared one; less the margin. */
  get limit(): PoolLimit {
    const f = marginFraction(this.marginPct);
    const learned = this.window.learned;
    const base = learned
      ? { capacity: learned.limit, refillPerSec: (learned.limit * 1000) / learned.windowMs }
      : { capacity: this.declared.capacity, refillPerSec: this.declared.refillPerSec };
    const capacity = Math.max(1, Math.floor(base.capacity * (1 - f)));
    // The reserve is a share of the limit, not a count: a learned limit of 120 a minute keeps 24 for purchases where
    // the declared 2 of 10 would keep 2 (the share every poll drained before). Never less than declared.
    const share = this.declared.capacity > 0 ? this.declared.reservedForSpend / this.declared.capacity : 0;
    const reserve = Math.max(this.declared.reservedForSpend, Math.ceil(capacity * share - EPSILON));
    return {
      capacity,
      refillPerSec: base.refillPerSec * (1 - f),
      reservedForSpend: Math.max(0, Math.min(reserve, capacity - 1)),
      ...(this.declared.maxInFlight === undefined ? {} : { maxInFlight: this.declared.maxInFlight }),
    };
  }

  /** Why `weight` at `priority` cannot go at `now`, or null when it can. With `ahead` (weight queued before it, served
   *  first) it estimates a waiter's turn instead, leaving out in-flight slots: calls end long before their leases. */
  hold(weight: number, priority: Priority, now: number, ahead?: number): PoolHold | null {
    this.refill(now);
    const limit = this.limit;
    const spend = priority === 'spend';
    const floor = spend ? 0 : limit.reservedForSpend;
    const need = weight + (ahead ?? 0);
    const holds: PoolHold[] = [];
    const blocked = now < this.blockedUntil || now < this.pausedUntil;
    if (blocked) holds.push({ until: Math.max(this.blockedUntil, this.pausedUntil), reason: 'retry-after' });
    if (this.tokens + EPSILON < need + floor) holds.push({ until: this.whenHolding(need + floor, now), reason: 'pool exhausted' });
    const windowHold = this.windowHold(need, spend, now);
    if (windowHold) holds.push(windowHold);
    const maxInFlight = limit.maxInFlight;
    if (ahead === undefined && maxInFlight !== undefined && this.leases.size + 1 > maxInFlight - (spend ? 0 : Math.min(floor, maxInFlight - 1))) {
      holds.push({ until: Math.max(now, this.nextExpiry() ?? now), reason: 'in flight' });
    }
    if (holds.length === 0) return null;
    const until = Math.max(...holds.map((h) => h.until));
    // A ban is the cause of whatever else it makes wait (the bucket refills only after it).
    return { until, reason: blocked ? 'retry-after' : holds.find((h) => h.until === until)!.reason };
  }

  /** Charges a granted call: its tokens, the store's window, and an in-flight slot until it ends or `expiresAt`. */
  take(requestId: number, weight: number, expiresAt: number, now: number): void {
    this.refill(now);
    this.tokens -= weight;
    this.window.charge(weight, now);
    this.leases.set(requestId, { weight, expiresAt });
  }

  /** A call ended (or its lease was given up): frees its in-flight slot. False when it was not out. */
  finish(requestId: number): boolean {
    return this.leases.delete(requestId);
  }

  /** Request ids whose leases have expired at `now`. */
  expired(now: number): number[] {
    // Asked on every limiter event, of every pool: an IP pool holds a fleet's leases, and copying them each time was
    // a visible share of a 100-account drop's CPU (and garbage). Nothing has usually expired: allocate only for what has.
    const ids: number[] = [];
    for (const [id, l] of this.leases) if (l.expiresAt <= now) ids.push(id);
    return ids;
  }

  /** The earliest lease expiry, or null with nothing in flight. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const l of this.leases.values()) if (next === null || l.expiresAt < next) next = l.expiresAt;
    return next;
  }

  /** A 429: nothing goes out until `until`, the bucket starts empty after it, and the store's window is spent. */
  block(until: number, now: number): void {
    this.refill(now);
    this.blockedUntil = Math.max(this.blockedUntil, until);
    this.tokens = 0;
    this.window.exhaust(now);
  }

  /** A busy store (a 5xx with Retry-After): nothing goes out until `until`, but unlike a 429 it said nothing about the
   *  rate limit, so the bucket and the store's window stay as they were and calls go on at their pace once it has
   *  passed. (Taking it as a 429 spent the window: with a window of a minute, an account's every call, purchases
   *  included, waited for the minute's end — or maxWaitMs — instead of the 2 s the store asked.) */
  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Takes in what an answer's headers say; the answering call must already be finished. No window is believed to
   *  end after `latestEnd`. */
  learn(h: RateHeaders, now: number, latestEnd: number): void {
    this.refill(now);
    let out = 0;
    for (const l of this.leases.values()) out += l.weight;
    this.window.learn(h, out, now, latestEnd);
    this.tokens = Math.min(this.tokens, this.limit.capacity);
  }

  /** Polls a second that leave the spend reserve untouched: the limit's refill less the reserve's share and
   *  POLL_PACE_SLACK. Inside a known store window, no faster than what is left of its poll share spread over the time to its
   *  end, so reads and purchases that took part of the share slow polls down instead of stopping them at the window's
   *  floor until it resets. 0 when nothing is left for polls in this window. */
  pollRatePerSec(now: number): number {
    const l = this.limit;
    const rate = this.steadyPollRate();
    const left = this.window.remaining(now);
    const endsAt = this.window.endsAt(now);
    if (left === null || endsAt === null || endsAt <= now) return rate;
    const share = left - this.windowKeep() - l.reservedForSpend;
    return share <= 0 ? 0 : Math.min(rate, (share * 1000) / (endsAt - now));
  }

  /** The time between two polls of this pool that keeps them at `pollRatePerSec`. When nothing is left for polls in
   *  the store's window (as at the end of every window paced this way), the time until it resets and one steady slot
   *  more: a poller counts the pause from when it asked, so the reset alone would bring its next poll in before it. */
  pollSlotMs(now: number): number {
    const rate = this.pollRatePerSec(now);
    if (rate > 0) return 1000 / rate;
    const endsAt = this.window.endsAt(now);
    return (endsAt === null ? 0 : Math.max(0, endsAt - now)) + 1000 / this.steadyPollRate();
  }

  /** The limit's refill less the reserve's share and POLL_PACE_SLACK. */
  private steadyPollRate(): number {
    const l = this.limit;
    const free = Math.max(1, l.capacity - l.reservedForSpend - POLL_PACE_SLACK);
    return l.refillPerSec * Math.min(1, free / l.capacity);
  }

  /** What outlives a restart. */
  state(now: number): PoolState {
    this.refill(now);
    return { tokens: this.tokens, blockedUntil: this.blockedUntil, learned: this.window.learned, at: now };
  }

  /** The store's window as a hold: polls and reads leave the reserve to purchases, to the window's very end (a
   *  purchase may come in its last instant); the margin is kept from everyone. */
  private windowHold(need: number, spend: boolean, now: number): PoolHold | null {
    const left = this.window.remaining(now);
    const endsAt = this.window.endsAt(now);
    const learned = this.window.learned;
    if (left === null || endsAt === null) return null;
    const keep = this.windowKeep();
    const floor = spend ? 0 : this.limit.reservedForSpend;
    if (left - keep - need + EPSILON >= floor) return null;
    if (!learned) return { until: endsAt, reason: 'rate-window' };
    // Beyond this window, each later one serves its usable part.
    const perWindow = Math.max(1, learned.limit - keep - floor);
    const deficit = need + floor - Math.max(0, left - keep);
    const windows = Math.max(0, Math.ceil(deficit / perWindow) - 1);
    return { until: endsAt + windows * learned.windowMs, reason: 'rate-window' };
  }

  /** When what the bucket holds plus what it refills covers `needed` tokens; refilling only starts once a block ends. */
  private whenHolding(needed: number, now: number): number {
    const from = Math.max(now, this.blockedUntil);
    const missing = needed - this.tokens;
    return missing <= 0 ? from : from + (missing / this.limit.refillPerSec) * 1000;
  }

  /** What the safety margin keeps unused of the store's learned window. */
  private windowKeep(): number {
    const learned = this.window.learned;
    return learned ? learned.limit - Math.max(1, Math.floor(learned.limit * (1 - marginFraction(this.marginPct)))) : 0;
  }

  private refill(now: number): void {
    const from = Math.max(this.refilledAt, Math.min(now, this.blockedUntil));
    const limit = this.limit;
    if (now > from) this.tokens = Math.min(limit.capacity, this.tokens + ((now - from) / 1000) * limit.refillPerSec);
    this.refilledAt = Math.max(this.refilledAt, now);
  }
}
