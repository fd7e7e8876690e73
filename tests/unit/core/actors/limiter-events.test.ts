/** What the limiter tells the run's events: a pool the store held with a 429 (`store.banned`, once per hold) and a
 *  breaker that opened (`breaker.opened`, with when it reopens). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import type { RunEventDraft } from '../../../../core/events/run-event.js';
import { accountPool, ipPool, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const WIDE: PoolLimit = { capacity: 1_000, refillPerSec: 1_000, reservedForSpend: 0 };
const SETTINGS = { maxWaitMs: 60_000, safetyMarginPct: 0, breakerThreshold: 3, breakerCooldownMs: 30_000, requestTimeoutMs: 10_000 };
const POOLS: PoolCatalog = {
  limitFor: () => WIDE,
  chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }, { pool: ipPool(r.proxy), weight: 1 }],
  counterPool: (_op, r) => accountPool(r.account),
};

describe('limiter events', () => {
  let actor: Actor<typeof limiterLogic>;
  const emitted: RunEventDraft[] = [];
  const replies = new Map<number, LimiterReply>();
  let nextId = 1;

  /** A granted call of alice's that ends with `status` and `headers`. */
  async function call(status: number | null, headers: Record<string, string> = {}): Promise<void> {
    const requestId = nextId++;
    actor.send({ type: 'ACQUIRE', requestId, op: 'collection', account: 'alice', priority: 'poll', reply: (r) => replies.set(r.requestId, r) });
    expect(replies.get(requestId)?.type).toBe('GRANTED');
    actor.send({ type: 'RESPONSE', requestId, op: 'collection', account: 'alice', status, headers, ms: 3 });
    // cockatiel settles a call's outcome a few promise turns later.
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    emitted.length = 0;
    actor = createActor(limiterLogic, {
      input: { ...SETTINGS, pools: POOLS, events: { emit: (e) => void emitted.push(e), emitOnce: (_k, e) => void emitted.push(e) } },
    });
    actor.start();
  });
  afterEach(() => {
    actor.stop();
    vi.useRealTimers();
  });

  it('tells one store.banned per hold a 429 starts, with the time it ends, not one per 429', async () => {
    await call(429, { 'retry-after': '5' });
    expect(emitted).toEqual([{ type: 'store.banned', pool: 'account:alice', until: T0 + 5_000 }]);
    await vi.advanceTimersByTimeAsync(5_001);
    await call(429, { 'retry-after': '2' });
    expect(emitted.map((e) => e.type)).toEqual(['store.banned', 'store.banned']);
  });

  it('tells breaker.opened for each pool of the route whose breaker consecutive failures open, with when it reopens', async () => {
    await call(null);
    await call(null);
    expect(emitted).toEqual([]);
    const openedAt = Date.now();
    await call(null);
    expect(emitted).toEqual([
      { type: 'breaker.opened', pool: 'account:alice', reopensAt: openedAt + 30_000 },
      { type: 'breaker.opened', pool: 'ip:direct', reopensAt: openedAt + 30_000 },
    ]);
  });
});
