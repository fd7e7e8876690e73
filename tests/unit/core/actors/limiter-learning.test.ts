/** The limiter learning the store's real limit from `x-ratelimit-*`, against a store model that counts requests in
 *  fixed windows and answers 429 past its limit, in fake time. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import { ACCOUNT_POOL, accountPool, type PoolCatalog } from '../../../../core/store/rate-pools.js';
import type { Priority } from '../../../../core/store/request-gate.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const SETTINGS = { maxWaitMs: 30_000, safetyMarginPct: 5, breakerThreshold: 5, breakerCooldownMs: 60_000, requestTimeoutMs: 10_000 };
const POOLS: PoolCatalog = {
  limitFor: () => ACCOUNT_POOL,
  chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }],
  counterPool: (_op, r) => accountPool(r.account),
};

/** A store that allows `limit` requests per fixed window, announcing its count like the simulated store. */
class FixedWindowStore {
  http429 = 0;
  readonly served: number[] = [];
  private windowStart = -1;
  private used = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly reset: 'epoch' | 'relative',
    private readonly publishLimit = true,
  ) {}

  answer(now: number): { status: number; headers: Record<string, string> } {
    const start = now - (now % this.windowMs);
    if (start !== this.windowStart) (this.windowStart = start), (this.used = 0);
    const end = start + this.windowMs;
    const reset = this.reset === 'epoch' ? String(Math.ceil(end / 1000)) : String(Math.ceil((end - now) / 1000));
    const common = { 'x-ratelimit-reset': reset, ...(this.publishLimit ? { 'x-ratelimit-limit': String(this.limit) } : {}) };
    if (this.used >= this.limit) {
      this.http429++;
      return { status: 429, headers: { ...common, 'x-ratelimit-remaining': '0', 'retry-after': String(Math.ceil((end - now) / 1000)) } };
    }
    this.used++;
    this.served.push(now);
    return { status: 200, headers: { ...common, 'x-ratelimit-remaining': String(this.limit - this.used) } };
  }
}

describe('limiter learning from the store', () => {
  let actor: Actor<typeof limiterLogic>;
  let nextId = 1;

  /** `pollers` callers that each ask again as soon as their last call was answered, for `ms` of fake time. */
  function drive(store: FixedWindowStore, pollers: number, ms: number, priority: Priority = 'poll'): void {
    const ask = (): void => {
      const requestId = nextId++;
      actor.send({
        type: 'ACQUIRE', requestId, op: 'collection', account: 'alice', priority,
        reply: (r: LimiterReply) => {
          if (r.type === 'DENIED') {
            setTimeout(ask, Math.max(1, r.retryAt - Date.now()));
            return;
          }
          const { status, headers } = store.answer(Date.now());
          actor.send({ type: 'RESPONSE', requestId, op: 'collection', account: 'alice', status, headers, ms: 1 });
          setTimeout(ask, 1);
        },
      });
    };
    for (let i = 0; i < pollers; i++) ask();
    vi.advanceTimersByTime(ms);
  }

  /** Requests the store served per second, over the whole seconds from `fromSec`. */
  const perSecond = (store: FixedWindowStore, fromSec: number, toSec: number): number =>
    store.served.filter((t) => t >= T0 + fromSec * 1000 && t < T0 + toSec * 1000).length / (toSec - fromSec);

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    actor = createActor(limiterLogic, { input: { ...SETTINGS, pools: POOLS } });
    actor.start();
  });
  afterEach(() => {
    actor.stop();
    vi.useRealTimers();
  });

  it('paces up to the limit the store publishes, past the declared guess, without a 429', () => {
    const store = new FixedWindowStore(20, 1_000, 'epoch');
    drive(store, 3, 6_000);
    expect(store.http429).toBe(0);
    expect(perSecond(store, 2, 6)).toBeGreaterThan(ACCOUNT_POOL.refillPerSec);
    expect(perSecond(store, 2, 6)).toBeLessThanOrEqual(20);
  });

  it('learns the same from resets given in seconds from now, and from a limit it has to infer', () => {
    const store = new FixedWindowStore(20, 1_000, 'relative', false);
    drive(store, 3, 6_000);
    expect(store.http429).toBe(0);
    expect(perSecond(store, 2, 6)).toBeGreaterThan(ACCOUNT_POOL.refillPerSec);
  });

  it('slows down to a store limit below the declared guess, after at most the first window', () => {
    const store = new FixedWindowStore(3, 1_000, 'epoch');
    drive(store, 2, 6_000);
    expect(store.http429).toBeLessThanOrEqual(1);
    expect(perSecond(store, 2, 6)).toBeLessThanOrEqual(3);
  });

  it('waits for the reset when the store says nothing is left, instead of spending a request on a 429', () => {
    const replies: LimiterReply[] = [];
    actor.send({ type: 'ACQUIRE', requestId: 900, op: 'collection', account: 'alice', priority: 'spend', reply: (r) => replies.push(r) });
    actor.send({
      type: 'RESPONSE', requestId: 900, op: 'collection', account: 'alice', status: 200, ms: 1,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 3), 'x-ratelimit-limit': '20' },
    });
    actor.send({ type: 'ACQUIRE', requestId: 901, op: 'buyTon', account: 'alice', priority: 'spend', reply: (r) => replies.push(r) });
    vi.advanceTimersByTime(2_999);
    expect(replies.map((r) => r.requestId)).toEqual([900]);
    vi.advanceTimersByTime(1);
    expect(replies.at(-1)).toMatchObject({ requestId: 901, type: 'GRANTED' });
  });

  it('holds a call no longer than maxWaitMs for a reset far in the future', () => {
    const replies: (LimiterReply & { at: number })[] = [];
    const reply = (r: LimiterReply): void => void replies.push({ ...r, at: Date.now() });
    actor.send({ type: 'ACQUIRE', requestId: 910, op: 'collection', account: 'alice', priority: 'spend', reply });
    actor.send({
      type: 'RESPONSE', requestId: 910, op: 'collection', account: 'alice', status: 200, ms: 1,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 30 * 86_400) },
    });
    actor.send({ type: 'ACQUIRE', requestId: 911, op: 'buyTon', account: 'alice', priority: 'spend', reply });
    vi.advanceTimersByTime(SETTINGS.maxWaitMs - 1);
    expect(replies.map((r) => r.requestId)).toEqual([910]);
    vi.advanceTimersByTime(1);
    expect(replies.at(-1)).toMatchObject({ requestId: 911, type: 'GRANTED', at: T0 + SETTINGS.maxWaitMs });
  });
});
