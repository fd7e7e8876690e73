import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { LEASE_MARGIN_MS, limiterLogic, type LimiterInput, type LimiterReply } from '../../../../core/actors/limiter.js';
import { accountPool, ipPool, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Priority } from '../../../../core/store/request-gate.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const WIDE: PoolLimit = { capacity: 1_000, refillPerSec: 1_000, reservedForSpend: 0 };
const SETTINGS = { maxWaitMs: 60_000, safetyMarginPct: 0, breakerThreshold: 3, breakerCooldownMs: 30_000, requestTimeoutMs: 10_000 };
const POOLS: PoolCatalog = {
  limitFor: () => WIDE,
  chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }, { pool: ipPool(r.proxy), weight: 1 }],
  counterPool: (_op, r) => accountPool(r.account),
};

/** Lets cockatiel count the outcomes it was handed: it settles them a few promise turns later. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

class Harness {
  readonly actor: Actor<typeof limiterLogic>;
  readonly replies = new Map<number, LimiterReply & { at: number }>();
  private nextId = 1;

  constructor(input: LimiterInput) {
    this.actor = createActor(limiterLogic, { input });
    this.actor.start();
  }

  acquire(account = 'alice', priority: Priority = 'poll'): number {
    const requestId = this.nextId++;
    this.actor.send({
      type: 'ACQUIRE', requestId, op: 'collection', account, priority,
      reply: (r) => this.replies.set(r.requestId, { ...r, at: Date.now() }),
    });
    return requestId;
  }

  /** A granted call that ends with `status`. */
  async call(status: number | null, account = 'alice'): Promise<number> {
    const id = this.acquire(account);
    expect(this.replies.get(id)?.type, `call ${id} granted`).toBe('GRANTED');
    this.actor.send({ type: 'RESPONSE', requestId: id, op: 'collection', account, status, headers: { 'retry-after': '0' }, ms: 3 });
    await flush();
    // A 429 empties the bucket even with Retry-After 0: let it refill a little before the next call.
    vi.advanceTimersByTime(10);
    return id;
  }
}

describe('limiter circuit breaker', () => {
  let h: Harness;
  const start = (settings: Partial<typeof SETTINGS> = {}): Harness => (h = new Harness({ ...SETTINGS, ...settings, pools: POOLS }));

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    h.actor.stop();
    vi.useRealTimers();
  });

  it('opens after the threshold of consecutive 429s and transport failures, and denies with the time it reopens', async () => {
    start();
    await h.call(429);
    await h.call(null);
    expect(h.replies.get(h.acquire())?.type).toBe('GRANTED');
    const openedAt = Date.now();
    await h.call(429);
    const denied = h.acquire();
    expect(h.replies.get(denied)).toMatchObject({ type: 'DENIED', reason: 'circuit open', retryAt: openedAt + 30_000 });
  });

  it('does not count a 429 that says when to come back: that wait is obeyed, not held against the store', async () => {
    start();
    for (let i = 0; i < 5; i++) {
      const id = h.acquire();
      expect(h.replies.get(id)?.type).toBe('GRANTED');
      h.actor.send({ type: 'RESPONSE', requestId: id, op: 'collection', account: 'alice', status: 429, headers: { 'retry-after': '2' }, ms: 3 });
      await vi.advanceTimersByTimeAsync(2_001);
    }
    expect(h.replies.get(h.acquire())?.type).toBe('GRANTED');
  });

  it('counts only failures in a row: an answer in between starts the count again', async () => {
    start();
    await h.call(429);
    await h.call(null);
    await h.call(200);
    await h.call(null);
    await h.call(null);
    expect(h.replies.get(h.acquire())?.type).toBe('GRANTED');
  });

  it('does not count 5xx, 404 or 401 answers as failures', async () => {
    start();
    for (const status of [500, 503, 404, 401, 500]) await h.call(status);
    expect(h.replies.get(h.acquire())?.type).toBe('GRANTED');
  });

  it('sends one test call after the cooldown and closes when it succeeds, then serves those who waited', async () => {
    start();
    for (let i = 0; i < 3; i++) await h.call(null);
    vi.advanceTimersByTime(30_000);
    const trial = h.acquire();
    const waiting = [h.acquire(), h.acquire()];
    expect(h.replies.get(trial)?.type).toBe('GRANTED');
    for (const id of waiting) expect(h.replies.has(id)).toBe(false);
    h.actor.send({ type: 'RESPONSE', requestId: trial, op: 'collection', account: 'alice', status: 200, headers: {}, ms: 3 });
    await flush();
    for (const id of waiting) expect(h.replies.get(id)?.type).toBe('GRANTED');
  });

  it('reopens when the test call fails, denying those who waited with the new reopening time', async () => {
    start();
    for (let i = 0; i < 3; i++) await h.call(null);
    vi.advanceTimersByTime(30_000);
    const trial = h.acquire();
    const waiting = h.acquire();
    vi.advanceTimersByTime(1_000);
    const reopenedAt = Date.now();
    h.actor.send({ type: 'RESPONSE', requestId: trial, op: 'collection', account: 'alice', status: null, headers: {}, ms: 3 });
    await flush();
    expect(h.replies.get(waiting)).toMatchObject({ type: 'DENIED', reason: 'circuit open', retryAt: reopenedAt + 30_000 });
  });

  it('reopens when the test call never reports back: its lease expires', async () => {
    start();
    for (let i = 0; i < 3; i++) await h.call(null);
    vi.advanceTimersByTime(30_000);
    const trial = h.acquire();
    expect(h.replies.get(trial)?.type).toBe('GRANTED');
    await vi.advanceTimersByTimeAsync(SETTINGS.requestTimeoutMs + LEASE_MARGIN_MS);
    await flush();
    expect(h.replies.get(h.acquire())).toMatchObject({ type: 'DENIED', reason: 'circuit open' });
  });

  it('opens the shared IP pool on transport failures across accounts, holding every account behind it', async () => {
    start();
    await h.call(null, 'alice');
    await h.call(null, 'bob');
    await h.call(null, 'carol');
    expect(h.replies.get(h.acquire('dave'))).toMatchObject({ type: 'DENIED', reason: 'circuit open', pool: 'ip:direct' });
  });
});
