/** The limiter's bookkeeping, without timers or messages: the pools and their breakers, one queue of waiting calls
 *  ordered by priority, and the leases of calls in flight. A call charges every pool of its route at once or none
 *  (no partial holds); a waiting call that a pool holds back closes that pool to everyone behind it in the queue, so
 *  a higher priority never waits behind a lower one and nobody overtakes within a priority. The breaker's clock is
 *  cockatiel's (Date.now); everything else takes `now`. */
import type { ProfileSettings } from '../config/profiles.js';
import type { PoolSnapshot } from '../ledger/limiter-state.js';
import type { PoolCatalog, PoolCharge, PoolRoute } from '../store/rate-pools.js';
import { PRIORITY_RANK, type CallOutcome, type Priority } from '../store/request-gate.js';
import type { StoreOperation } from '../store/store-error.js';
import { PoolBreaker, type BreakerVerdict } from './limiter-breaker.js';
import { readRateHeaders } from './limiter-headers.js';
import { LimiterPool, type HoldReason } from './limiter-pool.js';
import { NO_RUN_EVENTS, type RunEventSink } from '../events/run-events.js';

/** The profile fields the limiter obeys: maxWaitMs caps every wait (and every Retry-After or reset), safetyMarginPct
 *  is kept unused in every pool, breakerThreshold / breakerCooldownMs drive each pool's breaker, and requestTimeoutMs
 *  (plus LEASE_MARGIN_MS) is how long a lease lives. */
export type LimiterSettings = Pick<ProfileSettings, 'maxWaitMs' | 'safetyMarginPct' | 'breakerThreshold' | 'breakerCooldownMs' | 'requestTimeoutMs'>;

/** What a lease outlives its call's timeout by, before it is taken back. */
export const LEASE_MARGIN_MS = 5_000;
/** How long a 429 without Retry-After (or a known window end) holds its pool. */
export const DEFAULT_429_BACKOFF_MS = 1_000;

/** Why a call was refused. */
export type DenyReason = HoldReason | 'circuit open' | 'limiter stopped';

/** A call asking to go out. */
export interface Ask {
  readonly requestId: number;
  readonly op: StoreOperation;
  readonly route: PoolRoute;
  readonly priority: Priority;
}

/** The limiter's answer to one call. */
export type Answer =
  | { readonly type: 'GRANTED'; readonly requestId: number }
  | { readonly type: 'DENIED'; readonly requestId: number; readonly retryAt: number; readonly pool: string; readonly reason: DenyReason };

interface Waiter extends Ask {
  readonly charges: readonly PoolCharge[];
  readonly deadline: number;
}

interface LeaseRecord {
  readonly charges: readonly PoolCharge[];
  readonly reports: readonly ((v: BreakerVerdict) => void)[];
}

type Decision =
  | { kind: 'go' }
  | { kind: 'deny'; pool: string; retryAt: number; reason: DenyReason }
  | { kind: 'hold'; pools: string[]; pool: string; until: number; reason: DenyReason };

export class LimiterScheduler {
  private readonly pools = new Map<string, LimiterPool>();
  private readonly breakers = new Map<string, PoolBreaker>();
  private readonly queue: Waiter[] = [];
  private readonly leases = new Map<number, LeaseRecord>();
  private wakeAt: number | null = null;
  /** No lease expires before this (epoch ms); null with none granted since the last look. Ended leases leave it early,
   *  which costs one look more, never a lease missed. */
  private earliestLeaseExpiry: number | null = null;

  constructor(
    private readonly settings: LimiterSettings,
    private readonly catalog: PoolCatalog,
    /** Called when a breaker changes state (asynchronously, as cockatiel settles a call). */
    private readonly onBreakerChange: () => void,
    /** The run's events: a pool held by a 429 (`store.banned`), a breaker opened (`breaker.opened`). */
    private readonly events: RunEventSink = NO_RUN_EVENTS,
  ) {}

  /** A new call: answered at once (denied while a breaker of its route is open or when its turn is further away than
   *  maxWaitMs), or queued (null): `pump` serves it. */
  ask(a: Ask, now: number): Answer | null {
    const charges = this.catalog.chargesFor(a.op, a.route);
    for (const c of charges) {
      const b = this.breaker(c.pool).status(now);
      if (b.kind === 'open') return denied(a.requestId, b.reopensAt, c.pool, 'circuit open');
    }
    const w: Waiter = { ...a, charges, deadline: now + this.settings.maxWaitMs };
    const at = this.queue.findIndex((q) => PRIORITY_RANK[q.priority] > PRIORITY_RANK[w.priority]);
    if (at < 0) this.queue.push(w);
    else this.queue.splice(at, 0, w);
    // Judged by this waiter's own place in the queue, not the head's: a caller deep in a queue waits longer.
    const turn = this.estimate(w, now);
    if (turn && turn.until - now > this.settings.maxWaitMs) {
      this.drop(w.requestId);
      return denied(a.requestId, turn.until, turn.pool, turn.reason);
    }
    return null;
  }

  /** Forgets a waiting call whose caller gave up; false when it was not waiting. */
  cancel(requestId: number): boolean {
    return this.drop(requestId);
  }

  /** Serves what can go now, highest priority first, and denies waiters past their deadline. */
  pump(now: number): Answer[] {
    const answers: Answer[] = [];
    const closed = new Set<string>();
    this.wakeAt = null;
    for (const w of [...this.queue]) {
      const d = this.decide(w, now, closed);
      if (d.kind === 'go') {
        this.drop(w.requestId);
        this.grant(w, now);
        answers.push({ type: 'GRANTED', requestId: w.requestId });
      } else if (d.kind === 'deny') {
        this.drop(w.requestId);
        answers.push(denied(w.requestId, d.retryAt, d.pool, d.reason));
      } else if (now >= w.deadline) {
        // Every wait is capped: whatever holds it (a full in-flight table, a slow test call), it ends here.
        const turn = this.estimate(w, now);
        this.drop(w.requestId);
        const retryAt = Math.max(now + 1, turn?.until ?? 0, Number.isFinite(d.until) ? d.until : 0);
        answers.push(denied(w.requestId, retryAt, turn?.pool ?? d.pool, turn?.reason ?? d.reason));
      } else {
        for (const p of d.pools) closed.add(p);
        this.wake(Math.min(w.deadline, d.until), now);
      }
    }
    return answers;
  }

  /** A granted call ended: frees its slots, tells the breakers, and lets the counting pool learn from the answer. */
  settle(requestId: number, op: StoreOperation, route: PoolRoute, outcome: CallOutcome, now: number): void {
    const h = readRateHeaders(outcome.headers, now);
    // A 429 that says when to come back (within the longest wait we accept) is guidance the pool obeys, not a failure
    // of the store: a Retry-After storm is waited out as asked instead of opening the breaker for its whole cooldown.
    const guided = outcome.status === 429 && h.retryAfterMs !== undefined && h.retryAfterMs > 0 && h.retryAfterMs <= this.settings.maxWaitMs;
    const failed = (outcome.status === 429 && !guided) || outcome.status === null;
    this.end(requestId, failed ? 'failure' : guided ? 'neutral' : 'success');
    const pool = this.pool(this.catalog.counterPool(op, route), now);
    pool.learn(h, now, now + this.settings.maxWaitMs);
    if (outcome.status === 429) {
      const windowEnd = pool.window.endsAt(now);
      const wait = h.retryAfterMs ?? (windowEnd !== null ? windowEnd - now : DEFAULT_429_BACKOFF_MS);
      const until = now + Math.min(Math.max(0, wait), this.settings.maxWaitMs);
      // One event per hold, not per 429: a storm of them while held adds nothing to tell.
      const newHold = pool.blockedUntil <= now && until > now;
      pool.block(until, now);
      if (newHold) this.events.emit({ type: 'store.banned', pool: pool.name, until });
      for (const held of this.catalog.heldOn429?.(op, route) ?? []) if (held !== pool.name) this.pool(held, now).block(until, now);
    } else if (outcome.status === 503 && h.retryAfterMs !== undefined && h.retryAfterMs > 0) {
      // An overloaded store saying when to come back: every call of the pool waits, not only the one it answered
      // (core/store/store-busy.ts). Not a failure: a busy store is not a reason to open the breaker. Nor a spent rate
      // window: the pool pauses, its budget untouched.
      pool.pause(now + Math.min(h.retryAfterMs, this.settings.maxWaitMs));
    }
  }

  /** A granted call was abandoned: frees its slots and teaches nothing. */
  release(requestId: number): void {
    this.end(requestId, 'neutral');
  }

  /** Takes back leases that outlived their call's timeout (a crashed call); returns their ids. */
  expire(now: number): number[] {
    // Asked on every limiter event: a fleet has hundreds of pools, and a lease rarely expires (only a call that
    // outlived its timeout). No pool is looked at before the earliest lease granted could have expired.
    if (this.earliestLeaseExpiry === null || now < this.earliestLeaseExpiry) return [];
    const ids = new Set<number>();
    for (const p of this.pools.values()) for (const id of p.expired(now)) ids.add(id);
    for (const id of ids) this.release(id);
    this.earliestLeaseExpiry = this.nextLeaseExpiry();
    return [...ids];
  }

  /** The earliest expiry of any lease out, or null with none. */
  private nextLeaseExpiry(): number | null {
    let next: number | null = null;
    for (const p of this.pools.values()) {
      const e = p.nextExpiry();
      if (e !== null && (next === null || e < next)) next = e;
    }
    return next;
  }

  /** When something may change without a message arriving: a hold ending, a deadline, a lease expiring. */
  nextWakeAt(): number | null {
    const lease = this.nextLeaseExpiry();
    if (lease === null) return this.wakeAt;
    return this.wakeAt === null ? lease : Math.min(this.wakeAt, lease);
  }

  /** The time between two polls on this route that keeps polls within the share left to them by every pool of the
   *  route (the slowest pool's pace): a poller asking no faster is granted without waiting while nothing else eats
   *  into that share. */
  pollSlotMs(op: StoreOperation, route: PoolRoute, now: number): number {
    let slot = 0;
    for (const c of this.catalog.chargesFor(op, route)) slot = Math.max(slot, this.pool(c.pool, now).pollSlotMs(now));
    return slot;
  }

  /** Every pool's state, for persistence. */
  snapshots(now: number): PoolSnapshot[] {
    return [...this.pools].map(([name, p]) => {
      const s = p.state(now);
      const b = this.breaker(name).snapshot();
      return {
        pool: name,
        tokens: s.tokens,
        blockedUntil: Math.ceil(s.blockedUntil),
        breakerState: b.state,
        breakerOpenedAt: b.openedAt,
        breakerFailures: b.failures,
        learnedLimit: s.learned?.limit ?? null,
        learnedWindowMs: s.learned?.windowMs ?? null,
        updatedAt: Math.floor(s.at),
      };
    });
  }

  /** Takes back saved state (before any call was granted). A saved ban is kept, but never beyond maxWaitMs from now. */
  restore(snapshots: readonly PoolSnapshot[], now: number): void {
    for (const s of snapshots) {
      // A pool that no longer learns (an IP pool saved by a version that taught it logins' window) starts from its
      // declared limit, not from a lesson that was never about it.
      const learned = s.learnedLimit !== null && s.learnedWindowMs !== null && this.catalog.learns?.(s.pool) !== false
        ? { limit: s.learnedLimit, windowMs: s.learnedWindowMs } : null;
      const blockedUntil = Math.min(s.blockedUntil, now + this.settings.maxWaitMs);
      this.pools.set(s.pool, new LimiterPool(s.pool, this.catalog.limitFor(s.pool), this.settings.safetyMarginPct, now, {
        tokens: s.tokens, blockedUntil, learned, at: s.updatedAt,
      }));
      this.breakers.set(s.pool, this.newBreaker(s.pool, { state: s.breakerState, openedAt: s.breakerOpenedAt, failures: s.breakerFailures }));
    }
  }

  /** The pool by name, created from the catalog on first use. */
  pool(name: string, now: number = Date.now()): LimiterPool {
    let p = this.pools.get(name);
    if (!p) this.pools.set(name, (p = new LimiterPool(name, this.catalog.limitFor(name), this.settings.safetyMarginPct, now)));
    return p;
  }

  private breaker(name: string): PoolBreaker {
    let b = this.breakers.get(name);
    if (!b) this.breakers.set(name, (b = this.newBreaker(name)));
    return b;
  }

  private newBreaker(name: string, restored?: ConstructorParameters<typeof PoolBreaker>[3]): PoolBreaker {
    const { breakerThreshold, breakerCooldownMs } = this.settings;
    return new PoolBreaker(breakerThreshold, breakerCooldownMs, this.onBreakerChange, restored,
      (openedAt) => this.events.emit({ type: 'breaker.opened', pool: name, reopensAt: openedAt + breakerCooldownMs }));
  }

  private decide(w: Waiter, now: number, closed: ReadonlySet<string>): Decision {
    let worst: { pool: string; until: number; reason: DenyReason } | null = null;
    const held: string[] = [];
    for (const c of w.charges) {
      const b = this.breaker(c.pool).status(now);
      if (b.kind === 'open') return { kind: 'deny', pool: c.pool, retryAt: b.reopensAt, reason: 'circuit open' };
      const holds: { until: number; reason: DenyReason }[] = [];
      // While the half-open test call is out nothing else goes; its end (or its lease's expiry) decides.
      if (b.kind === 'testing') holds.push({ until: Number.POSITIVE_INFINITY, reason: 'circuit open' });
      // Someone ahead is held by this pool: no overtaking. Their turn comes first and wakes the queue.
      if (closed.has(c.pool)) holds.push({ until: Number.POSITIVE_INFINITY, reason: 'pool exhausted' });
      const own = this.pool(c.pool, now).hold(c.weight, w.priority, now);
      if (own) holds.push(own);
      if (holds.length === 0) continue;
      held.push(c.pool);
      for (const h of holds) if (!worst || h.until > worst.until) worst = { pool: c.pool, ...h };
    }
    return worst ? { kind: 'hold', pools: held, ...worst } : { kind: 'go' };
  }

  /** When the waiter's turn comes if nobody overtakes it: every pool serves the queue ahead of it first. */
  private estimate(w: Waiter, now: number): { until: number; pool: string; reason: DenyReason } | null {
    const index = this.queue.findIndex((q) => q.requestId === w.requestId);
    let worst: { until: number; pool: string; reason: DenyReason } | null = null;
    for (const c of w.charges) {
      let ahead = 0;
      for (const q of this.queue.slice(0, Math.max(0, index))) {
        for (const qc of q.charges) if (qc.pool === c.pool) ahead += qc.weight;
      }
      const h = this.pool(c.pool, now).hold(c.weight, w.priority, now, ahead);
      if (h && (!worst || h.until > worst.until)) worst = { until: h.until, pool: c.pool, reason: h.reason };
    }
    return worst;
  }

  private grant(w: Waiter, now: number): void {
    const expiresAt = now + this.settings.requestTimeoutMs + LEASE_MARGIN_MS;
    if (this.earliestLeaseExpiry === null || expiresAt < this.earliestLeaseExpiry) this.earliestLeaseExpiry = expiresAt;
    const reports = w.charges.map((c) => {
      this.pool(c.pool, now).take(w.requestId, c.weight, expiresAt, now);
      return this.breaker(c.pool).track(now);
    });
    this.leases.set(w.requestId, { charges: w.charges, reports });
  }

  private end(requestId: number, verdict: BreakerVerdict): void {
    const lease = this.leases.get(requestId);
    if (!lease) return;
    this.leases.delete(requestId);
    for (const c of lease.charges) this.pools.get(c.pool)?.finish(requestId);
    for (const report of lease.reports) report(verdict);
  }

  private drop(requestId: number): boolean {
    const i = this.queue.findIndex((q) => q.requestId === requestId);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  private wake(at: number, now: number): void {
    if (!Number.isFinite(at)) return;
    const t = Math.max(at, now + 1);
    if (this.wakeAt === null || t < this.wakeAt) this.wakeAt = t;
  }
}

function denied(requestId: number, retryAt: number, pool: string, reason: DenyReason): Answer {
  return { type: 'DENIED', requestId, retryAt, pool, reason };
}
