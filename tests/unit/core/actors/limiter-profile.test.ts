/** Every profile field the limiter reads changes what it does: each test runs the same traffic under two values of
 *  one field (the rest from the balanced profile) and shows the difference. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { LEASE_MARGIN_MS, limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import { PROFILES, type ProfileSettings } from '../../../../core/config/profiles.js';
import { accountPool, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Priority } from '../../../../core/store/request-gate.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const LIMIT: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

class Harness {
  readonly actor: Actor<typeof limiterLogic>;
  readonly replies = new Map<number, LimiterReply>();
  private nextId = 1;

  constructor(profile: Partial<ProfileSettings>, limit: PoolLimit = LIMIT) {
    const pools: PoolCatalog = {
      limitFor: () => limit,
      chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }],
      counterPool: (_op, r) => accountPool(r.account),
    };
    // The whole profile goes in, as the sniper passes it: the limiter picks the fields it uses.
    this.actor = createActor(limiterLogic, { input: { ...PROFILES.balanced, ...profile, pools } });
    this.actor.start();
  }

  acquire(priority: Priority = 'poll'): number {
    const requestId = this.nextId++;
    this.actor.send({ type: 'ACQUIRE', requestId, op: 'collection', account: 'alice', priority, reply: (r) => this.replies.set(r.requestId, r) });
    return requestId;
  }

  status(id: number): string {
    return this.replies.get(id)?.type ?? 'waiting';
  }

  async fail(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const id = this.acquire('spend');
      this.actor.send({ type: 'RESPONSE', requestId: id, op: 'collection', account: 'alice', status: null, headers: {}, ms: 1 });
      await flush();
    }
  }
}

describe('limiter profile fields', () => {
  let harnesses: Harness[] = [];
  const start = (profile: Partial<ProfileSettings>, limit?: PoolLimit): Harness => {
    const h = new Harness(profile, limit);
    harnesses.push(h);
    return h;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    for (const h of harnesses) h.actor.stop();
    harnesses = [];
    vi.useRealTimers();
  });

  it('safetyMarginPct: leaves that share of the pool unused', () => {
    const full = start({ safetyMarginPct: 0 }, { ...LIMIT, reservedForSpend: 0 });
    const half = start({ safetyMarginPct: 50 }, { ...LIMIT, reservedForSpend: 0 });
    const burst = (h: Harness) => Array.from({ length: 12 }, () => h.acquire('spend')).filter((id) => h.status(id) === 'GRANTED').length;
    expect(burst(full)).toBe(10);
    expect(burst(half)).toBe(5);
  });

  it('breakerThreshold: the number of failures in a row that opens the circuit', async () => {
    const touchy = start({ breakerThreshold: 2 });
    const patient = start({ breakerThreshold: 4 });
    await touchy.fail(2);
    await patient.fail(2);
    expect(touchy.replies.get(touchy.acquire())).toMatchObject({ type: 'DENIED', reason: 'circuit open' });
    expect(patient.status(patient.acquire())).toBe('GRANTED');
  });

  it('breakerCooldownMs: how long the circuit stays open before a test call', async () => {
    const quick = start({ breakerThreshold: 1, breakerCooldownMs: 5_000 });
    const slow = start({ breakerThreshold: 1, breakerCooldownMs: 20_000 });
    await quick.fail(1);
    await slow.fail(1);
    vi.advanceTimersByTime(5_000);
    expect(quick.status(quick.acquire())).toBe('GRANTED');
    expect(slow.replies.get(slow.acquire())).toMatchObject({ type: 'DENIED', reason: 'circuit open', retryAt: T0 + 20_000 });
  });

  it('maxWaitMs: the longest wait a caller is given before it is denied', () => {
    const short = start({ maxWaitMs: 1_000 });
    const long = start({ maxWaitMs: 5_000 });
    for (const h of [short, long]) for (let i = 0; i < 8; i++) h.acquire();
    // Ninth in line with the reserve kept: 3 refills of 125 ms, then it waits behind 8 more: about 1.4 s.
    for (let i = 0; i < 8; i++) {
      short.acquire();
      long.acquire();
    }
    const late = [short.acquire(), long.acquire()];
    expect(short.status(late[0]!)).toBe('DENIED');
    expect(long.status(late[1]!)).toBe('waiting');
    vi.advanceTimersByTime(5_000);
    expect(long.status(late[1]!)).toBe('GRANTED');
  });

  it('requestTimeoutMs: a call that never ends gives its slot back after its timeout and the lease margin', () => {
    const limit: PoolLimit = { ...LIMIT, reservedForSpend: 0, maxInFlight: 1 };
    const brisk = start({ requestTimeoutMs: 2_000 }, limit);
    const lax = start({ requestTimeoutMs: 30_000 }, limit);
    for (const h of [brisk, lax]) expect(h.status(h.acquire())).toBe('GRANTED');
    const next = [brisk.acquire(), lax.acquire()];
    vi.advanceTimersByTime(2_000 + LEASE_MARGIN_MS - 1);
    expect(brisk.status(next[0]!)).toBe('waiting');
    vi.advanceTimersByTime(1);
    expect(brisk.status(next[0]!)).toBe('GRANTED');
    expect(lax.status(next[1]!)).toBe('waiting');
  });

  it('requestTimeoutMs: takes back a later call that never ends after an earlier one ended in time', () => {
    const limit: PoolLimit = { ...LIMIT, reservedForSpend: 0, maxInFlight: 1 };
    const h = start({ requestTimeoutMs: 2_000 }, limit);
    const first = h.acquire();
    expect(h.status(first)).toBe('GRANTED');
    vi.advanceTimersByTime(1_000);
    h.actor.send({ type: 'RESPONSE', requestId: first, op: 'collection', account: 'alice', status: 200, headers: {}, ms: 1 });
    const hung = h.acquire();
    expect(h.status(hung)).toBe('GRANTED');
    const next = h.acquire();
    // Past the ended call's lease, a millisecond before the hung one's: still out.
    vi.advanceTimersByTime(2_000 + LEASE_MARGIN_MS - 1);
    expect(h.status(next)).toBe('waiting');
    vi.advanceTimersByTime(1);
    expect(h.status(next)).toBe('GRANTED');
  });
});
