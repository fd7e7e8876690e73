import { describe, expect, it } from 'vitest';
import { readRateHeaders } from '../../../../core/actors/limiter-headers.js';
import { LimiterPool } from '../../../../core/actors/limiter-pool.js';
import { ServerWindow } from '../../../../core/actors/limiter-window.js';
import type { PoolLimit } from '../../../../core/store/rate-pools.js';

/** On a whole second, as the store's fixed windows are. */
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const POOL = 'account:alice';
const LIMIT: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };
/** No cap on how far a reset may be. */
const FAR = T0 + 3_600_000;

/** Headers of a fixed one-second window ending at `resetAt` with `remaining` left of `limit`. */
const windowHeaders = (remaining: number, resetAt: number, limit?: number) =>
  readRateHeaders(
    { 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(resetAt / 1000), ...(limit ? { 'x-ratelimit-limit': String(limit) } : {}) },
    T0,
  );

/** Takes `n` calls of weight 1 at `now`, ids from `from`. */
const takeMany = (pool: LimiterPool, n: number, now: number, from = 1): void => {
  for (let i = 0; i < n; i++) pool.take(from + i, 1, now + 60_000, now);
};

describe('LimiterPool bucket', () => {
  it('lets a burst up to its capacity go, then holds until a refill', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, reservedForSpend: 0 }, 0, T0);
    takeMany(pool, 10, T0);
    expect(pool.hold(1, 'spend', T0)).toEqual({ until: T0 + 125, reason: 'pool exhausted' });
    expect(pool.hold(1, 'spend', T0 + 125)).toBeNull();
  });

  it('keeps the reserve from polls and reads but not from spending calls', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    takeMany(pool, 8, T0);
    expect(pool.hold(1, 'poll', T0)?.reason).toBe('pool exhausted');
    expect(pool.hold(1, 'read', T0)?.reason).toBe('pool exhausted');
    expect(pool.hold(1, 'spend', T0)).toBeNull();
  });

  it('refills only after a block ends, from empty', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.block(T0 + 3_000, T0);
    expect(pool.hold(1, 'spend', T0 + 2_999)).toEqual({ until: T0 + 3_125, reason: 'retry-after' });
    expect(pool.hold(1, 'spend', T0 + 3_125)).toBeNull();
  });

  it("pauses everyone for a busy store's Retry-After, then goes on with the bucket and the store's window as they were", () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(100, T0 + 60_000, 120), T0, FAR);
    takeMany(pool, 3, T0);
    pool.pause(T0 + 2_000);
    expect(pool.hold(1, 'spend', T0 + 1_999)).toEqual({ until: T0 + 2_000, reason: 'retry-after' });
    expect(pool.hold(1, 'poll', T0 + 1_999)?.reason).toBe('retry-after');
    expect(pool.hold(1, 'spend', T0 + 2_000)).toBeNull();
    // Neither spent nor ended by it: the window still has what the store said, less our three calls.
    expect(pool.window.remaining(T0 + 2_000)).toBe(97);
    expect(pool.window.endsAt(T0 + 2_000)).toBe(T0 + 60_000);
  });

  it('estimates a waiter deep in the queue from the weight ahead of it', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    takeMany(pool, 8, T0);
    // Two tokens left and both reserved: a poll with three ahead of it needs four refills (4 / 8 per second).
    expect(pool.hold(1, 'poll', T0, 3)).toEqual({ until: T0 + 500, reason: 'pool exhausted' });
  });

  it('leaves the safety margin unused', () => {
    const pool = new LimiterPool(POOL, { capacity: 10, refillPerSec: 10, reservedForSpend: 0 }, 30, T0);
    expect(pool.limit).toMatchObject({ capacity: 7, refillPerSec: 7 });
  });

  it('caps calls in flight, keeping the reserve of slots for spending calls, and frees a slot when a call ends', () => {
    const pool = new LimiterPool(POOL, { capacity: 100, refillPerSec: 100, reservedForSpend: 1, maxInFlight: 3 }, 0, T0);
    pool.take(1, 1, T0 + 15_000, T0);
    pool.take(2, 1, T0 + 20_000, T0);
    expect(pool.hold(1, 'poll', T0)).toEqual({ until: T0 + 15_000, reason: 'in flight' });
    expect(pool.hold(1, 'spend', T0)).toBeNull();
    pool.finish(1);
    expect(pool.hold(1, 'poll', T0)).toBeNull();
    expect(pool.expired(T0 + 20_000)).toEqual([2]);
  });
});

describe('LimiterPool learning from the store', () => {
  it('takes the limit the store publishes in place of the declared one', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(19, T0 + 1_000, 20), T0, FAR);
    // The reserve keeps its share of the limit (2 of 10 declared: a fifth), not its count.
    expect(pool.limit).toMatchObject({ capacity: 20, refillPerSec: 20, reservedForSpend: 4 });
    expect(pool.window.learned).toEqual({ limit: 20, windowMs: 1_000 });
  });

  it('never keeps less for spending than declared, under a learned limit below the declared one', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(4, T0 + 1_000, 5), T0, FAR);
    expect(pool.limit).toMatchObject({ capacity: 5, reservedForSpend: 2 });
  });

  it('infers the limit from what remains when the store does not publish it', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(14, T0 + 1_000), T0, FAR);
    expect(pool.window.learned).toEqual({ limit: 15, windowMs: 1_000 });
  });

  it('holds everyone until the reset when the store says nothing is left', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(0, T0 + 1_000, 20), T0 + 400, FAR);
    expect(pool.hold(1, 'spend', T0 + 400)).toEqual({ until: T0 + 1_000, reason: 'rate-window' });
    expect(pool.hold(1, 'spend', T0 + 1_000)).toBeNull();
  });

  it('counts its own grants against the store window between answers', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, capacity: 100, refillPerSec: 100 }, 0, T0);
    pool.learn(windowHeaders(5, T0 + 1_000, 20), T0, FAR);
    takeMany(pool, 3, T0);
    expect(pool.window.remaining(T0)).toBe(2);
    expect(pool.hold(1, 'poll', T0)?.reason).toBe('rate-window');
    expect(pool.hold(2, 'spend', T0)).toBeNull();
    expect(pool.hold(3, 'spend', T0)?.reason).toBe('rate-window');
  });

  it('takes calls still in flight off what the store says is left', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, capacity: 100, refillPerSec: 100 }, 0, T0);
    takeMany(pool, 4, T0);
    pool.finish(1);
    pool.learn(windowHeaders(10, T0 + 1_000, 20), T0, FAR);
    expect(pool.window.remaining(T0)).toBe(7);
  });

  it('keeps the reserve from polls to the very end of the window: a purchase may come in its last instant', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(4, T0 + 1_000, 20), T0, FAR);
    expect(pool.hold(1, 'poll', T0 + 999)).toEqual({ until: T0 + 1_000, reason: 'rate-window' });
    expect(pool.hold(4, 'spend', T0 + 999)).toBeNull();
  });

  it('starts the next fixed window full once the reset has passed', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, capacity: 100, refillPerSec: 100 }, 0, T0);
    pool.learn(windowHeaders(0, T0 + 1_000, 20), T0, FAR);
    expect(pool.window.remaining(T0 + 1_000)).toBe(20);
    expect(pool.window.endsAt(T0 + 1_000)).toBe(T0 + 2_000);
    expect(pool.window.endsAt(T0 + 5_500)).toBe(T0 + 6_000);
  });

  it('keeps the safety margin of the store window from everyone', () => {
    const pool = new LimiterPool(POOL, { ...LIMIT, capacity: 100, refillPerSec: 100, reservedForSpend: 0 }, 10, T0);
    pool.learn(windowHeaders(3, T0 + 1_000, 20), T0, FAR);
    // 10 % of 20 is 2 kept: of 3 left, one may go.
    expect(pool.hold(1, 'spend', T0)).toBeNull();
    expect(pool.hold(2, 'spend', T0)?.reason).toBe('rate-window');
  });

  it('is taught nothing by malformed headers', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(readRateHeaders({ 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': 'never', 'x-ratelimit-limit': 'lots' }, T0), T0, FAR);
    expect(pool.window.learned).toBeNull();
    expect(pool.window.remaining(T0)).toBeNull();
    expect(pool.limit).toMatchObject({ capacity: 10, refillPerSec: 8 });
  });
});

describe('ServerWindow', () => {
  it('believes no window ends later than the longest wait allowed, and learns no length from such a reset', () => {
    const w = new ServerWindow();
    w.learn(windowHeaders(0, T0 + 600_000, 20), 0, T0, T0 + 30_000);
    expect(w.endsAt(T0)).toBe(T0 + 30_000);
    expect(w.learned).toBeNull();
    expect(w.remaining(T0 + 30_000)).toBeNull();
  });

  it('forgets a window length skewed by one hostile answer after a few windows', () => {
    const w = new ServerWindow();
    w.learn(readRateHeaders({ 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': '25', 'x-ratelimit-limit': '20' }, T0), 0, T0, FAR);
    expect(w.learned).toEqual({ limit: 20, windowMs: 25_000 });
    let t = T0 + 25_000;
    for (let i = 0; i < 8; i++, t += 1_000) {
      w.learn(readRateHeaders({ 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': String((t + 1_000) / 1000), 'x-ratelimit-limit': '20' }, t), 0, t, FAR);
    }
    expect(w.learned).toEqual({ limit: 20, windowMs: 1_000 });
  });

  it('corrects a predicted window by the first answer that disagrees with it', () => {
    const w = new ServerWindow({ limit: 20, windowMs: 1_000 });
    w.learn(windowHeaders(0, T0 + 1_000, 20), 0, T0, FAR);
    expect(w.remaining(T0 + 1_200)).toBe(20);
    // The store's next window actually ends at 2.5 s (a window started by the first request, not on the second).
    w.learn(readRateHeaders({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': String((T0 + 2_500) / 1000) }, T0 + 1_200), 0, T0 + 1_200, FAR);
    expect(w.remaining(T0 + 1_200)).toBe(5);
    expect(w.endsAt(T0 + 1_200)).toBe(T0 + 2_500);
  });

  it('ignores an answer from a window that has already ended', () => {
    const w = new ServerWindow();
    w.learn(windowHeaders(10, T0 + 2_000, 20), 0, T0 + 1_100, FAR);
    w.learn(windowHeaders(15, T0 + 1_000, 20), 0, T0 + 1_100, FAR);
    expect(w.remaining(T0 + 1_100)).toBe(10);
  });

  it('treats relative resets within a second of each other as one window, keeping the lower count', () => {
    const w = new ServerWindow();
    w.learn(readRateHeaders({ 'x-ratelimit-remaining': '9', 'x-ratelimit-reset': '2' }, T0), 0, T0, FAR);
    w.learn(readRateHeaders({ 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '2' }, T0 + 300), 0, T0 + 300, FAR);
    expect(w.remaining(T0 + 300)).toBe(9);
    expect(w.endsAt(T0 + 300)).toBe(T0 + 2_300);
  });

  it('learns the window length as the longest span from a first answer to its reset', () => {
    const w = new ServerWindow();
    w.learn(windowHeaders(10, T0 + 1_000, 20), 0, T0 + 600, FAR);
    expect(w.learned).toEqual({ limit: 20, windowMs: 400 });
    w.learn(readRateHeaders({ 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': String((T0 + 2_000) / 1000), 'x-ratelimit-limit': '20' }, T0 + 1_000), 0, T0 + 1_000, FAR);
    expect(w.learned).toEqual({ limit: 20, windowMs: 1_000 });
  });
});

describe('LimiterPool poll pace', () => {
  it('paces polls at the refill less the spend reserve and the slack, from the declared limit', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    // 10 a burst, 8 a second, 2 reserved and 2 of slack: polls may use 6 of every 10, 4.8 a second.
    expect(pool.pollRatePerSec(T0)).toBeCloseTo(4.8);
    expect(pool.pollSlotMs(T0)).toBeCloseTo(1000 / 4.8);
  });

  it('paces polls from the learned limit: 120 a minute keeps 24 for purchases and 2 of slack, 94 for polls', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(readRateHeaders({ 'x-ratelimit-remaining': '119', 'x-ratelimit-reset': String(T0 / 1000 + 60), 'x-ratelimit-limit': '120' }, T0), T0, FAR);
    expect(pool.limit.reservedForSpend).toBe(24);
    expect(pool.pollSlotMs(T0)).toBeCloseTo(60_000 / 94, 0);
  });

  it('spreads what is left of the window for polls over the time to its end once others have taken part of it', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    // 20 a second learned: 4 reserved; 9 left at mid-window leaves 5 for polls over 500 ms.
    pool.learn(windowHeaders(9, T0 + 1_000, 20), T0 + 500, FAR);
    expect(pool.pollSlotMs(T0 + 500)).toBeCloseTo(100);
  });

  it('tells a poller to wait for the reset and one steady slot when nothing is left for polls in the window', () => {
    const pool = new LimiterPool(POOL, LIMIT, 0, T0);
    pool.learn(windowHeaders(19, T0 + 1_000, 20), T0, FAR);
    pool.learn(windowHeaders(4, T0 + 1_000, 20), T0 + 300, FAR);
    // 20 a second, 4 reserved, 2 of slack: 14 polls a second once the window resets.
    expect(pool.pollSlotMs(T0 + 300)).toBeCloseTo(700 + 1000 / 14);
  });
});
