import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterGate, limiterLogic } from '../../../../core/actors/limiter.js';
import { accountPool, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Lease } from '../../../../core/store/request-gate.js';
import { StoreRateLimited } from '../../../../core/store/store-error.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const POOL = 'account:alice';
const LIMIT: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };
const SETTINGS = { maxWaitMs: 10_000, safetyMarginPct: 0, breakerThreshold: 50, breakerCooldownMs: 30_000, requestTimeoutMs: 10_000 };

/** Only the account pool, with the given limit. */
const accountOnly = (limit: PoolLimit): PoolCatalog => ({
  limitFor: () => limit,
  chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }],
  counterPool: (_op, r) => accountPool(r.account),
});

type LimiterActor = Actor<typeof limiterLogic>;

describe('limiterGate', () => {
  let actor: LimiterActor;
  const start = (limit: PoolLimit = LIMIT, maxWaitMs = 10_000) => {
    actor = createActor(limiterLogic, { input: { ...SETTINGS, maxWaitMs, pools: accountOnly(limit) } });
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
    await expect(gate.acquire({ op: 'priceTon', account: 'alice', priority: 'read' })).resolves.toHaveProperty('settle');
  });

  it('rejects with StoreRateLimited, naming the pool and the retry time, when the limiter denies', async () => {
    const gate = start(LIMIT, 1_000);
    const lease = await gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    lease.settle({ status: 429, headers: { 'retry-after': '1' }, ms: 1 });
    const e = await gate.acquire({ op: 'buyTon', account: 'alice', priority: 'spend' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreRateLimited);
    expect(e).toMatchObject({ code: 'STORE_RATE_LIMITED', retryAt: T0 + 1_125, details: { op: 'buyTon', pool: POOL, reason: 'retry-after' } });
  });

  it('teaches the pool a 429 and its Retry-After header when the lease is settled', async () => {
    const gate = start();
    const lease = await gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    lease.settle({ status: 429, headers: { 'retry-after': '2' }, ms: 30 });
    let granted = false;
    const next = gate.acquire({ op: 'buyTon', account: 'alice', priority: 'spend' }).then((l) => ((granted = true), l));
    await vi.advanceTimersByTimeAsync(2_124);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toBe(true);
    await next;
  });

  it('ends a lease once: a second settle or a release after it does not report again', async () => {
    const gate = start();
    const lease = await gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    lease.settle({ status: 200, headers: {}, ms: 30 });
    lease.settle({ status: 429, headers: { 'retry-after': '60' }, ms: 30 });
    lease.release();
    await expect(gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' })).resolves.toBeDefined();
  });

  it('frees the in-flight slot of a released lease without teaching the pool anything', async () => {
    const gate = start({ ...LIMIT, maxInFlight: 1, reservedForSpend: 0 });
    const lease = await gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    let next: Lease | null = null;
    void gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' }).then((l) => (next = l));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(next).toBeNull();
    lease.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(next).not.toBeNull();
  });

  it('cancels a waiting call when its signal aborts, and the next waiter gets its turn', async () => {
    const gate = start({ ...LIMIT, reservedForSpend: 0 });
    for (let i = 0; i < 10; i++) await gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    const abort = new AbortController();
    const cancelled = gate.acquire({ op: 'collection', account: 'alice', priority: 'poll', signal: abort.signal });
    let next: Lease | null = null;
    void gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' }).then((l) => (next = l));
    abort.abort(new Error('watcher stopped'));
    await expect(cancelled).rejects.toThrow('watcher stopped');
    await vi.advanceTimersByTimeAsync(125);
    expect(next).not.toBeNull();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const gate = start();
    const abort = new AbortController();
    abort.abort(new Error('gone'));
    await expect(gate.acquire({ op: 'collection', account: 'alice', priority: 'poll', signal: abort.signal })).rejects.toThrow('gone');
  });

  it('rejects the calls still waiting when the limiter stops', async () => {
    const gate = start(LIMIT);
    for (let i = 0; i < 8; i++) await gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    const waiting = gate.acquire({ op: 'collection', account: 'alice', priority: 'poll' });
    actor.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'STORE_RATE_LIMITED', details: { reason: 'limiter stopped' } });
  });

  it('rejects a call asked after the limiter stopped instead of leaving it waiting forever', async () => {
    const gate = start(LIMIT);
    actor.stop();
    await expect(gate.acquire({ op: 'buyTon', account: 'alice', priority: 'spend' })).rejects.toMatchObject({
      code: 'STORE_RATE_LIMITED',
      details: { reason: 'limiter stopped' },
    });
  });
});
