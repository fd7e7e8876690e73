import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterLogic, type LimiterInput, type LimiterReply } from '../../../../core/actors/limiter.js';
import { accountPool, ipPool, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Priority } from '../../../../core/store/request-gate.js';
import type { StoreOperation } from '../../../../core/store/store-error.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const POOL = 'account:alice';
/** 10 in a burst, 8 a second, 2 kept for spending calls: the declared account pool. */
const LIMIT: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };
const SETTINGS = { maxWaitMs: 10_000, safetyMarginPct: 0, breakerThreshold: 50, breakerCooldownMs: 30_000, requestTimeoutMs: 10_000 };

/** Only the account pool, with the given limit: the behaviour of one pool. */
const accountOnly = (limit: PoolLimit): PoolCatalog => ({
  limitFor: () => limit,
  chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }],
  counterPool: (_op, r) => accountPool(r.account),
});

type LimiterActor = Actor<typeof limiterLogic>;

/** A running limiter with one recorded reply per request id. */
class LimiterHarness {
  readonly actor: LimiterActor;
  readonly replies = new Map<number, LimiterReply & { at: number }>();
  private nextId = 1;

  constructor(input: LimiterInput) {
    this.actor = createActor(limiterLogic, { input });
    this.actor.start();
  }

  acquire(priority: Priority, account = 'alice', op: StoreOperation = 'collection', proxy?: string): number {
    const requestId = this.nextId++;
    this.actor.send({
      type: 'ACQUIRE', requestId, op, account, priority, ...(proxy === undefined ? {} : { proxy }),
      reply: (r) => {
        if (this.replies.has(r.requestId)) throw new Error(`request ${r.requestId} answered twice`);
        this.replies.set(r.requestId, { ...r, at: Date.now() });
      },
    });
    return requestId;
  }

  respond(requestId: number, status: number | null, headers: Record<string, string> = {}, account = 'alice'): void {
    this.actor.send({ type: 'RESPONSE', requestId, op: 'collection', account, status, headers, ms: 5 });
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
  const start = (limit: PoolLimit = LIMIT, settings: Partial<typeof SETTINGS> = {}): LimiterHarness => {
    const h = new LimiterHarness({ ...SETTINGS, ...settings, pools: accountOnly(limit) });
    actors.push(h.actor);
    return h;
  };
  /** A 429 on a call granted for it. */
  const answer429 = (h: LimiterHarness, headers: Record<string, string> = {}, account = 'alice'): void => {
    const id = h.acquire('spend', account);
    expect(h.replies.get(id)?.type).toBe('GRANTED');
    h.respond(id, 429, headers, account);
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

  it('serves a read before polls that were already waiting, and after spending calls', () => {
    const h = start({ ...LIMIT, reservedForSpend: 0 });
    for (let i = 0; i < 10; i++) h.acquire('poll');
    const poll = h.acquire('poll');
    const read = h.acquire('read');
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(375);
    expect(h.granted().slice(10)).toEqual([spend, read, poll]);
  });

  it('lets a spending call through at once while polls wait for the unreserved tokens', () => {
    const h = start(LIMIT);
    const polls = Array.from({ length: 12 }, () => h.acquire('poll'));
    expect(h.granted()).toEqual(polls.slice(0, 8));
    const spends = [h.acquire('spend'), h.acquire('spend')];
    expect(h.granted().slice(8)).toEqual(spends);
  });

  it('keeps the reserve for spending calls however long polls have been waiting', () => {
    const h = start(LIMIT, { maxWaitMs: 60_000 });
    const polls = Array.from({ length: 40 }, () => h.acquire('poll'));
    for (let probe = 1; probe <= 6; probe++) {
      vi.advanceTimersByTime(500);
      expect(polls.some((p) => !h.replies.has(p)), 'polls still waiting').toBe(true);
      const spend = h.acquire('spend');
      expect(h.replies.get(spend), `spend probe ${probe}`).toMatchObject({ type: 'GRANTED', at: T0 + probe * 500 });
    }
  });

  it('holds the whole pool until a 429 Retry-After has passed', () => {
    const h = start(LIMIT);
    answer429(h, { 'retry-after': '3' });
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(3_000);
    expect(h.replies.has(spend)).toBe(false);
    // The bucket starts empty after the block: one refill later the spending call goes.
    vi.advanceTimersByTime(125);
    expect(h.replies.get(spend)).toMatchObject({ type: 'GRANTED', at: T0 + 3_125 });
  });

  it('honours a Retry-After given as an HTTP date', () => {
    const h = start(LIMIT);
    answer429(h, { 'retry-after': new Date(T0 + 4_000).toUTCString() });
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(4_124);
    expect(h.replies.has(spend)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(h.granted()).toContain(spend);
  });

  it('backs off a second on a 429 without Retry-After', () => {
    const h = start(LIMIT);
    answer429(h);
    const spend = h.acquire('spend');
    vi.advanceTimersByTime(1_124);
    expect(h.replies.has(spend)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(h.granted()).toContain(spend);
  });

  it('caps a Retry-After at maxWaitMs', () => {
    const h = start(LIMIT, { maxWaitMs: 5_000 });
    answer429(h, { 'retry-after': '3600' });
    vi.advanceTimersByTime(1_000);
    const spend = h.acquire('spend');
    expect(h.replies.has(spend)).toBe(false);
    vi.advanceTimersByTime(4_125);
    expect(h.replies.get(spend)).toMatchObject({ type: 'GRANTED', at: T0 + 5_125 });
  });

  it('does not block the pool on answers other than 429 and 503', () => {
    const h = start(LIMIT);
    for (const status of [200, 401, 404, 500, 502, null]) {
      const id = h.acquire('spend');
      h.respond(id, status, { 'retry-after': '60' });
    }
    expect(h.replies.get(h.acquire('poll'))?.type).toBe('GRANTED');
  });

  it("holds the pool for a 503's Retry-After, as an overloaded store asks, without counting it as a failure", async () => {
    const h = start(LIMIT, { breakerThreshold: 1 });
    const id = h.acquire('spend');
    h.respond(id, 503, { 'retry-after': '5' });
    const poll = h.acquire('poll');
    expect(h.replies.has(poll)).toBe(false);
    await vi.advanceTimersByTimeAsync(6_000);
    // Granted once the 5 s have passed (and the bucket refilled): a breaker opened by it (threshold 1) would hold it
    // for its cooldown.
    expect(h.replies.get(poll)?.type).toBe('GRANTED');
    // A 503 without a Retry-After holds nothing: the payer's own backoff paces its orders.
    const other = h.acquire('spend', 'bob');
    h.respond(other, 503, {}, 'bob');
    expect(h.replies.get(h.acquire('poll', 'bob'))?.type).toBe('GRANTED');
  });

  it("holds a busy store's account for its 503's Retry-After only, not until the end of its rate window", () => {
    const h = start(LIMIT);
    // The store counts 120 a minute, and this account has most of the minute left.
    const first = h.acquire('spend');
    h.respond(first, 200, { 'x-ratelimit-limit': '120', 'x-ratelimit-remaining': '110', 'x-ratelimit-reset': String(T0 / 1000 + 60) });
    const busy = h.acquire('spend');
    h.respond(busy, 503, { 'retry-after': '2' });
    const spend = h.acquire('spend');
    const poll = h.acquire('poll');
    vi.advanceTimersByTime(1_999);
    expect(h.replies.has(spend)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(h.replies.get(spend)).toMatchObject({ type: 'GRANTED', at: T0 + 2_000 });
    expect(h.replies.get(poll)).toMatchObject({ type: 'GRANTED', at: T0 + 2_000 });
  });

  it('keeps pools apart: a 429 on one account does not hold another', () => {
    const h = start(LIMIT);
    answer429(h, { 'retry-after': '5' });
    expect(h.replies.get(h.acquire('poll', 'bob'))?.type).toBe('GRANTED');
    expect(h.replies.has(h.acquire('poll', 'alice'))).toBe(false);
  });

  it('denies at once a call that would wait beyond maxWaitMs, with the time to retry', () => {
    const h = start(LIMIT, { maxWaitMs: 2_000 });
    answer429(h, { 'retry-after': '2' });
    const poll = h.acquire('poll');
    // Blocked 2 s, then three refills (one for the poll, two for the reserve): 2.375 s > 2 s.
    expect(h.replies.get(poll)).toMatchObject({ type: 'DENIED', retryAt: T0 + 2_375, reason: 'retry-after', pool: POOL, at: T0 });
  });

  it('denies a caller deep in the queue instead of letting it wait beyond maxWaitMs', () => {
    const h = start(LIMIT, { maxWaitMs: 1_000 });
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
    h.actor.send({ type: 'CANCEL', requestId: first });
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

  it('refuses to start without a usable profile field, naming it', () => {
    const actor = createActor(limiterLogic, { input: { ...SETTINGS, breakerThreshold: 0 } });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    expect(errors[0]).toMatchObject({ code: 'LIMITER_SETTINGS_INVALID', details: { field: 'breakerThreshold' } });
  });
});

describe('limiter actor with account and IP pools', () => {
  let h: LimiterHarness;
  const ACCOUNT: PoolLimit = { capacity: 3, refillPerSec: 3, reservedForSpend: 0 };
  const IP: PoolLimit = { capacity: 3, refillPerSec: 1, reservedForSpend: 0 };
  const pools: PoolCatalog = {
    limitFor: (p) => (p.startsWith('ip:') ? IP : ACCOUNT),
    chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }, { pool: ipPool(r.proxy), weight: 1 }],
    counterPool: (_op, r) => accountPool(r.account),
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    h = new LimiterHarness({ ...SETTINGS, pools });
  });
  afterEach(() => {
    h.actor.stop();
    vi.useRealTimers();
  });

  it('shares one IP pool between the accounts that go out direct', () => {
    const calls = [h.acquire('poll', 'alice'), h.acquire('poll', 'bob'), h.acquire('poll', 'carol'), h.acquire('poll', 'dave')];
    expect(h.granted()).toEqual(calls.slice(0, 3));
    vi.advanceTimersByTime(1_000);
    expect(h.granted()).toEqual(calls);
  });

  it('charges all pools of a call at once or none: a call held by its IP holds nothing of its account', () => {
    const bobs = [h.acquire('poll', 'bob'), h.acquire('poll', 'bob'), h.acquire('poll', 'bob')];
    expect(h.granted()).toEqual(bobs);
    const held = h.acquire('poll', 'alice');
    expect(h.replies.has(held)).toBe(false);
    // Alice's account pool is untouched by the held call: all three of its tokens go to calls through another proxy.
    const viaProxy = Array.from({ length: 3 }, () => h.acquire('poll', 'alice', 'collection', 'socks5://p1'));
    expect(h.granted().slice(3)).toEqual(viaProxy);
  });

  it('lets another account pass a call held by its own account: only the pool that holds a waiter is closed', () => {
    const first = h.acquire('spend', 'alice');
    h.respond(first, 429, { 'retry-after': '5' });
    const heldPoll = h.acquire('poll', 'alice');
    const bobPoll = h.acquire('poll', 'bob');
    expect(h.replies.has(heldPoll)).toBe(false);
    expect(h.replies.get(bobPoll)?.type).toBe('GRANTED');
  });
});

describe('limiter actor with the store pools as declared', () => {
  let h: LimiterHarness;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    h = new LimiterHarness(SETTINGS);
  });
  afterEach(() => {
    h.actor.stop();
    vi.useRealTimers();
  });

  it('charges every call to its account and to the IP it leaves from, keeping each account within its own pool', () => {
    const alice = Array.from({ length: 12 }, () => h.acquire('poll', 'alice'));
    const bob = Array.from({ length: 3 }, () => h.acquire('poll', 'bob'));
    // The declared account pool lets 8 calls out at once and keeps 2 of them for purchases; the shared IP pool is wider.
    expect(h.granted()).toEqual([...alice.slice(0, 6), ...bob]);
    expect(h.replies.get(h.acquire('spend', 'alice'))?.type).toBe('GRANTED');
  });

  it('holds the IP pool and its logins, not the account, on a 429 to auth: the store counts calls without a token per IP', () => {
    const id = h.acquire('read', 'alice', 'auth');
    h.actor.send({ type: 'RESPONSE', requestId: id, op: 'auth', account: 'alice', status: 429, headers: { 'retry-after': '5' }, ms: 3 });
    expect(h.replies.has(h.acquire('poll', 'bob'))).toBe(false);
    expect(h.replies.has(h.acquire('read', 'carol', 'auth'))).toBe(false);
    expect(h.replies.get(h.acquire('poll', 'bob', 'collection', 'socks5://p1'))?.type).toBe('GRANTED');
  });
});
