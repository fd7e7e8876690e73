import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { LimiterPool, type Waiter } from '../../../../core/actors/limiter-pool.js';
import { limiterGate, limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import type { PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Lease, Priority } from '../../../../core/store/request-gate.js';
import { StoreRateLimited } from '../../../../core/store/store-error.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const POOL = 'account:alice';
/** 10 in a burst, 8 a second, 2 kept for spending calls: the declared account pool. */
const LIMIT: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };

const waiter = (requestId: number, priority: Priority): Waiter => ({ requestId, priority, weight: 1, since: T0 });
const ids = (ws: readonly Waiter[]): number[] => ws.map((w) => w.requestId);

describe('LimiterPool', () => {
  it('never grants more than its capacity in a burst', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, reservedForSpend: 0 }, T0);
    for (let i = 1; i <= 25; i++) pool.enqueue(waiter(i, 'spend'));
    expect(pool.drain(T0)).toHaveLength(10);
    expect(pool.drain(T0)).toHaveLength(0);
    expect(pool.waiting).toBe(15);
  });

  it('refills at its rate and never above its capacity', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, reservedForSpend: 0 }, T0);
    for (let i = 1; i <= 40; i++) pool.enqueue(waiter(i, 'spend'));
    expect(pool.drain(T0)).toHaveLength(10);
    expect(pool.drain(T0 + 1_000)).toHaveLength(8);
    // A long idle stretch fills the bucket to capacity, not to 8 × 60.
    const idle = new LimiterPool(POOL, { ...LIMIT, reservedForSpend: 0 }, T0);
    for (let i = 1; i <= 40; i++) idle.enqueue(waiter(i, 'spend'));
    idle.drain(T0);
    expect(idle.drain(T0 + 60_000)).toHaveLength(10);
  });

  it('serves a spending call before polls that queued earlier', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, reservedForSpend: 0 }, T0);
    for (let i = 1; i <= 10; i++) pool.enqueue(waiter(i, 'poll'));
    pool.drain(T0);
    pool.enqueue(waiter(11, 'poll'));
    pool.enqueue(waiter(12, 'read'));
    pool.enqueue(waiter(13, 'spend'));
    pool.enqueue(waiter(14, 'poll'));
    pool.enqueue(waiter(15, 'spend'));
    expect(ids(pool.drain(T0 + 250))).toEqual([13, 15]);
    expect(ids(pool.drain(T0 + 500))).toEqual([12, 11]);
    expect(ids(pool.drain(T0 + 750))).toEqual([14]);
  });

  it('never lets polls or reads take the tokens reserved for spending', () => {
    const pool = new LimiterPool(POOL, LIMIT, T0);
    for (let i = 1; i <= 10; i++) pool.enqueue(waiter(i, i % 2 ? 'poll' : 'read'));
    expect(pool.drain(T0)).toHaveLength(8);
    // The two reserved tokens are there for spending calls, even though reads and polls still wait.
    pool.enqueue(waiter(100, 'spend'));
    pool.enqueue(waiter(101, 'spend'));
    pool.enqueue(waiter(102, 'spend'));
    expect(ids(pool.drain(T0))).toEqual([100, 101]);
  });

  it('grants nothing while blocked, then starts from an empty bucket', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, reservedForSpend: 0 }, T0);
    pool.enqueue(waiter(1, 'spend'));
    pool.block(T0 + 3_000);
    expect(pool.drain(T0 + 2_999)).toHaveLength(0);
    expect(pool.drain(T0 + 3_000)).toHaveLength(0);
    expect(ids(pool.drain(T0 + 3_125))).toEqual([1]);
  });

  it('says when a waiter deep in the queue will be served, counting everyone ahead of it', () => {
    const pool = new LimiterPool(POOL, LIMIT, T0);
    for (let i = 1; i <= 8; i++) pool.enqueue(waiter(i, 'poll'));
    pool.drain(T0);
    for (let i = 9; i <= 12; i++) pool.enqueue(waiter(i, 'poll'));
    // Two tokens left and both reserved: the fourth poll in line needs four refills (4 / 8 per second).
    expect(pool.readyAt(12, T0)).toBe(T0 + 500);
    expect(pool.nextReadyAt(T0)).toBe(T0 + 125);
    expect(pool.readyAt(999, T0)).toBeNull();
  });

  it('counts a Retry-After block before any refill when it says when a waiter is served', () => {
    const pool = new LimiterPool(POOL, LIMIT, T0);
    pool.enqueue(waiter(1, 'spend'));
    pool.enqueue(waiter(2, 'poll'));
    pool.block(T0 + 2_000);
    expect(pool.readyAt(1, T0)).toBe(T0 + 2_125);
    expect(pool.readyAt(2, T0)).toBe(T0 + 2_500);
  });
});

type LimiterActor = Actor<typeof limiterLogic>;

/** A running limiter with one recorded reply per request id. */
class LimiterHarness {
  readonly actor: LimiterActor;
  readonly replies = new Map<number, LimiterReply & { at: number }>();
  private nextId = 1;

  constructor(limit: PoolLimit, maxWaitMs: number) {
    this.actor = createActor(limiterLogic, { input: { limitFor: () => limit, maxWaitMs } });
    this.actor.start();
  }

  acquire(priority: Priority, pool = POOL): number {
    const requestId = this.nextId++;
    this.actor.send({
      type: 'ACQUIRE', requestId, op: 'collection', pool, priority,
      reply: (r) => {
        if (this.replies.has(r.requestId)) throw new Error(`request ${r.requestId} answered twice`);
        this.replies.set(r.requestId, { ...r, at: Date.now() });
      },
    });
    return requestId;
  }

  granted(): number[] {
    return [...this.replies.values()].filter((r) => r.type === 'GRANTED').map((r) => r.requestId);
  }

  denied(): number[] {
    return [...this.replies.values()].filter((r) => r.type === 'DENIED').map((r) => r.requestId);
  }
}

describe('limiter actor', () => {
  let actors: LimiterActor[] = [];
  const start = (limit: PoolLimit = LIMIT, maxWaitMs = 10_000): LimiterHarness => {
    const h = new LimiterHarness(limit, maxWaitMs);
    actors.push(h.actor);
    return h;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    for (const a of actors) a.stop();
    actors = [];
    vi.useRealTimers();
  });

  it('grants a burst up to the pool and the rest as the bucket refills', () => {
    const h = start({ ...LIMIT, reservedForSpend: 0 });
    const burst = Array.from({ length: 14 }, () => h.acquire('spend'));
    expect(h.granted()).toEqual(burst.slice(0, 10));
    vi.advanceTimersByTime(124);
    expect(h.granted()).toHaveLength(10);
    vi.advanceTimersByTime(1);
    expect(h.granted()).toHaveLength(11);
    vi.advanceTimersByTime(375);
    expect(h.granted()).toEqual(burst);
  });

  it('serves a spending call before polls that were already waiting', () => {
    const h = start({ ...LIMIT, reservedForSpend: 0 });
    for (let i = 0; i < 10; i++) h.acquire('poll');
    const polls = [h.acquire('poll'), h.acquire('poll')];
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(125);
    expect(h.granted().slice(10)).toEqual([spend]);
    vi.advanceTimersByTime(250);
    expect(h.granted().slice(10)).toEqual([spend, ...polls]);
  });

  it('lets a spending call through at once while polls wait for the unreserved tokens', () => {
    const h = start(LIMIT);
    const polls = Array.from({ length: 12 }, () => h.acquire('poll'));
    expect(h.granted()).toEqual(polls.slice(0, 8));
    const spends = [h.acquire('spend'), h.acquire('spend')];
    expect(h.granted().slice(8)).toEqual(spends);
  });

  it('keeps the reserve for spending calls however long polls have been waiting', () => {
    const h = start(LIMIT, 60_000);
    const polls = Array.from({ length: 40 }, () => h.acquire('poll'));
    for (let probe = 1; probe <= 6; probe++) {
      vi.advanceTimersByTime(500);
      expect(polls.some((p) => !h.replies.has(p)), 'polls still waiting').toBe(true);
      const spend = h.acquire('spend');
      expect(h.replies.get(spend), `spend probe ${probe}`).toMatchObject({ type: 'GRANTED', at: T0 + probe * 500 });
    }
  });

  it('holds the whole pool until a 429 Retry-After has passed', () => {
    const h = start(LIMIT, 10_000);
    h.acquire('poll');
    h.actor.send({ type: 'RESPONSE', pool: POOL, status: 429, retryAfterMs: 3_000, ms: 40 });
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(3_000);
    expect(h.replies.has(spend)).toBe(false);
    // The bucket starts empty after the block: one refill later the spending call goes.
    vi.advanceTimersByTime(125);
    expect(h.replies.get(spend)).toMatchObject({ type: 'GRANTED', at: T0 + 3_125 });
  });

  it('backs off a second on a 429 without Retry-After', () => {
    const h = start(LIMIT, 10_000);
    h.actor.send({ type: 'RESPONSE', pool: POOL, status: 429, ms: 40 });
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(1_124);
    expect(h.replies.has(spend)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(h.granted()).toEqual([spend]);
  });

  it('caps a Retry-After at maxWaitMs', () => {
    const h = start(LIMIT, 5_000);
    h.actor.send({ type: 'RESPONSE', pool: POOL, status: 429, retryAfterMs: 3_600_000, ms: 40 });
    vi.advanceTimersByTime(1_000);
    const spend = h.acquire('spend');
    expect(h.replies.has(spend)).toBe(false);
    vi.advanceTimersByTime(4_125);
    expect(h.replies.get(spend)).toMatchObject({ type: 'GRANTED', at: T0 + 5_125 });
  });

  it('does not block the pool on answers other than 429', () => {
    const h = start(LIMIT);
    for (const status of [200, 401, 404, 500, 503, null]) h.actor.send({ type: 'RESPONSE', pool: POOL, status, retryAfterMs: 60_000, ms: 1 });
    expect(h.replies.get(h.acquire('poll'))?.type).toBe('GRANTED');
  });

  it('keeps pools apart: a 429 on one account does not hold another', () => {
    const h = start(LIMIT);
    h.actor.send({ type: 'RESPONSE', pool: POOL, status: 429, retryAfterMs: 5_000, ms: 1 });
    expect(h.replies.get(h.acquire('poll', 'account:bob'))?.type).toBe('GRANTED');
  });

  it('denies at once a call that would wait beyond maxWaitMs, with the time to retry', () => {
    const h = start(LIMIT, 2_000);
    h.actor.send({ type: 'RESPONSE', pool: POOL, status: 429, retryAfterMs: 2_000, ms: 1 });
    const poll = h.acquire('poll');
    // Blocked 2 s, then three refills (one for the poll, two for the reserve): 2.375 s > 2 s.
    expect(h.replies.get(poll)).toMatchObject({ type: 'DENIED', retryAt: T0 + 2_375, reason: 'retry-after', at: T0 });
  });

  it('denies a caller deep in the queue instead of letting it wait beyond maxWaitMs', () => {
    const h = start(LIMIT, 1_000);
    const polls = Array.from({ length: 20 }, () => h.acquire('poll'));
    // 8 at once; the k-th in line after them waits k × 125 ms, so 8 more fit in a second and 4 do not.
    expect(h.granted()).toEqual(polls.slice(0, 8));
    expect(h.denied()).toEqual(polls.slice(16));
    // A denied caller leaves the queue, so each one was ninth in line when it asked.
    for (const id of polls.slice(16)) expect(h.replies.get(id)).toMatchObject({ reason: 'pool exhausted', retryAt: T0 + 9 * 125 });
    vi.advanceTimersByTime(1_000);
    expect(h.granted()).toEqual(polls.slice(0, 16));
  });

  it('forgets a waiter on CANCEL and gives its turn to the next one', () => {
    const h = start({ ...LIMIT, reservedForSpend: 0 });
    for (let i = 0; i < 10; i++) h.acquire('poll');
    const first = h.acquire('poll');
    const second = h.acquire('poll');
    h.actor.send({ type: 'CANCEL', requestId: first, pool: POOL });
    vi.advanceTimersByTime(125);
    expect(h.replies.has(first)).toBe(false);
    expect(h.replies.get(second)).toMatchObject({ type: 'GRANTED', at: T0 + 125 });
    vi.advanceTimersByTime(10_000);
    expect(h.replies.has(first)).toBe(false);
  });

  it('denies every waiter still queued when it stops', () => {
    const h = start(LIMIT);
    const polls = Array.from({ length: 10 }, () => h.acquire('poll'));
    h.actor.stop();
    expect(h.granted()).toEqual(polls.slice(0, 8));
    expect(h.denied()).toEqual(polls.slice(8));
    expect(h.replies.get(polls[9]!)).toMatchObject({ reason: 'limiter stopped' });
  });

  it('grants within any window no more than capacity plus refill over the window (any request mix)', () => {
    const limitArb = fc
      .record({ capacity: fc.integer({ min: 1, max: 12 }), refillPerSec: fc.double({ min: 0.5, max: 20, noNaN: true }) })
      .chain((l) => fc.record({ capacity: fc.constant(l.capacity), refillPerSec: fc.constant(l.refillPerSec), reservedForSpend: fc.integer({ min: 0, max: l.capacity - 1 }) }));
    const stepArb = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('acquire' as const), priority: fc.constantFrom<Priority>('spend', 'read', 'poll'), dt: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(), dt: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('429' as const), retryAfterMs: fc.option(fc.integer({ min: 0, max: 4_000 }), { nil: undefined }), dt: fc.integer({ min: 0, max: 300 }) }) },
    );
    fc.assert(
      fc.property(limitArb, fc.integer({ min: 100, max: 5_000 }), fc.array(stepArb, { minLength: 1, maxLength: 120 }), (limit, maxWaitMs, steps) => {
        vi.setSystemTime(T0);
        const h = new LimiterHarness(limit, maxWaitMs);
        const asked: number[] = [];
        const cancelled = new Set<number>();
        try {
          for (const step of steps) {
            vi.advanceTimersByTime(step.dt);
            if (step.kind === 'acquire') asked.push(h.acquire(step.priority));
            else if (step.kind === 'cancel') {
              const open = asked.filter((id) => !h.replies.has(id) && !cancelled.has(id));
              const id = open[step.pick % Math.max(1, open.length)];
              if (id !== undefined) {
                cancelled.add(id);
                h.actor.send({ type: 'CANCEL', requestId: id, pool: POOL });
              }
            } else h.actor.send({ type: 'RESPONSE', pool: POOL, status: 429, retryAfterMs: step.retryAfterMs, ms: 1 });
          }
          vi.advanceTimersByTime(3_600_000);
          // Every caller that did not give up got exactly one answer; nobody is left waiting.
          for (const id of asked) expect(h.replies.has(id)).toBe(!cancelled.has(id));
          const grants = [...h.replies.values()].filter((r) => r.type === 'GRANTED').map((r) => r.at).sort((a, b) => a - b);
          for (let i = 0; i < grants.length; i++) {
            for (let j = i; j < grants.length; j++) {
              const window = grants[j]! - grants[i]!;
              expect(j - i + 1).toBeLessThanOrEqual(limit.capacity + (limit.refillPerSec * window) / 1000 + 1e-6);
            }
          }
        } finally {
          h.actor.stop();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('limiterGate', () => {
  let actor: LimiterActor;
  const start = (limit: PoolLimit = LIMIT, maxWaitMs = 10_000) => {
    actor = createActor(limiterLogic, { input: { limitFor: () => limit, maxWaitMs } });
    actor.start();
    return limiterGate(actor);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor.stop();
    vi.useRealTimers();
  });

  it('resolves a lease when the limiter grants the call', async () => {
    const gate = start();
    await expect(gate.acquire({ op: 'priceTon', pool: POOL, priority: 'read' })).resolves.toHaveProperty('settle');
  });

  it('rejects with StoreRateLimited, naming the pool and the retry time, when the limiter denies', async () => {
    const gate = start(LIMIT, 1_000);
    actor.send({ type: 'RESPONSE', pool: POOL, status: 429, retryAfterMs: 1_000, ms: 1 });
    const e = await gate.acquire({ op: 'buyTon', pool: POOL, priority: 'spend' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreRateLimited);
    expect(e).toMatchObject({ code: 'STORE_RATE_LIMITED', retryAt: T0 + 1_125, details: { op: 'buyTon', pool: POOL, reason: 'retry-after' } });
  });

  it('teaches the pool a 429 and its Retry-After header when the lease is settled', async () => {
    const gate = start();
    const lease = await gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' });
    lease.settle({ status: 429, headers: { 'retry-after': '2' }, ms: 30 });
    let granted = false;
    const next = gate.acquire({ op: 'buyTon', pool: POOL, priority: 'spend' }).then((l) => ((granted = true), l));
    await vi.advanceTimersByTimeAsync(2_124);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toBe(true);
    await next;
  });

  it('settles a lease once: a second settle does not report again', async () => {
    const gate = start();
    const lease = await gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' });
    lease.settle({ status: 200, headers: {}, ms: 30 });
    lease.settle({ status: 429, headers: { 'retry-after': '60' }, ms: 30 });
    await expect(gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' })).resolves.toBeDefined();
  });

  it('cancels a waiting call when its signal aborts, and the next waiter gets its turn', async () => {
    const gate = start({ ...LIMIT, reservedForSpend: 0 });
    for (let i = 0; i < 10; i++) await gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' });
    const abort = new AbortController();
    const cancelled = gate.acquire({ op: 'collection', pool: POOL, priority: 'poll', signal: abort.signal });
    let next: Lease | null = null;
    void gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' }).then((l) => (next = l));
    abort.abort(new Error('watcher stopped'));
    await expect(cancelled).rejects.toThrow('watcher stopped');
    await vi.advanceTimersByTimeAsync(125);
    expect(next).not.toBeNull();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const gate = start();
    const abort = new AbortController();
    abort.abort(new Error('gone'));
    await expect(gate.acquire({ op: 'collection', pool: POOL, priority: 'poll', signal: abort.signal })).rejects.toThrow('gone');
  });

  it('rejects the calls still waiting when the limiter stops', async () => {
    const gate = start(LIMIT);
    for (let i = 0; i < 8; i++) await gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' });
    const waiting = gate.acquire({ op: 'collection', pool: POOL, priority: 'poll' });
    actor.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'STORE_RATE_LIMITED', details: { reason: 'limiter stopped' } });
  });

  it('rejects a call asked after the limiter stopped instead of leaving it waiting forever', async () => {
    const gate = start(LIMIT);
    actor.stop();
    await expect(gate.acquire({ op: 'buyTon', pool: POOL, priority: 'spend' })).rejects.toMatchObject({
      code: 'STORE_RATE_LIMITED',
      details: { reason: 'limiter stopped' },
    });
  });
});
