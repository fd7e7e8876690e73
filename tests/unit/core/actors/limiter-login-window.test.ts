/** What one outgoing IP may send. Logins counted by IP: what the store's answer to a login teaches belongs to logins, never to the other calls of
 *  the accounts behind that IP (the store counts those per token). In fake time, with the store's pools as declared. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import { authPool, chargesFor, counterPool, IP_POOL, ipLimit, storePools } from '../../../../core/store/rate-pools.js';
import type { StoreOperation } from '../../../../core/store/store-error.js';
import type { Priority } from '../../../../core/store/request-gate.js';
import type { PoolSnapshot } from '../../../../core/ledger/limiter-state.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const SETTINGS = { maxWaitMs: 30_000, safetyMarginPct: 5, breakerThreshold: 5, breakerCooldownMs: 60_000, requestTimeoutMs: 10_000 };
/** The store's login window per IP, as the simulated store advertises it: 120 a minute. */
const LOGINS_PER_MINUTE = 120;

describe('logins counted by IP', () => {
  let actor: Actor<typeof limiterLogic>;
  let nextId = 1;

  /** Asks for one call; the reply as it stands once the limiter has answered or queued it. */
  function ask(op: StoreOperation, account: string, priority: Priority): { id: number; replies: LimiterReply[] } {
    const id = nextId++;
    const replies: LimiterReply[] = [];
    actor.send({ type: 'ACQUIRE', requestId: id, op, account, priority, reply: (r) => void replies.push(r) });
    return { id, replies };
  }

  /** `n` accounts log in from one address, each answered with the login window's count so far. */
  function logIn(n: number): void {
    const reset = String(Math.ceil((T0 + 60_000) / 1000));
    for (let i = 0; i < n; i++) {
      const { id, replies } = ask('auth', `buyer-${i}`, 'spend');
      expect(replies).toEqual([expect.objectContaining({ type: 'GRANTED' })]);
      const headers = { 'x-ratelimit-limit': String(LOGINS_PER_MINUTE), 'x-ratelimit-remaining': String(LOGINS_PER_MINUTE - 1 - i), 'x-ratelimit-reset': reset };
      actor.send({ type: 'RESPONSE', requestId: id, op: 'auth', account: `buyer-${i}`, status: 200, headers, ms: 5 });
      // Logins of a hundred accounts go out as their sessions come up, not all in one millisecond.
      vi.advanceTimersByTime(30);
    }
  }

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    actor = createActor(limiterLogic, { input: SETTINGS });
    actor.start();
  });
  afterEach(() => {
    actor.stop();
    vi.useRealTimers();
  });

  it('charges a login to the IP, its account and the login window, and counts it in the login window', () => {
    expect(chargesFor('auth', { account: 'alice' }).map((c) => c.pool)).toEqual(['account:alice', 'ip:direct', 'auth:direct']);
    expect(counterPool('auth', { account: 'alice', proxy: 'http://u:p@gw.example.net:8000' })).toBe('auth:gw.example.net:8000');
    expect(authPool(undefined)).toBe('auth:direct');
    // Every other call is counted by its token, and never charges the login window.
    expect(chargesFor('buyTon', { account: 'alice' }).map((c) => c.pool)).toEqual(['account:alice', 'ip:direct']);
    expect(counterPool('buyTon', { account: 'alice' })).toBe('account:alice');
  });

  it('lets a hundred accounts that logged in behind one address order at the drop without the login window holding them', () => {
    logIn(100);
    // 100 logins left 20 in the store's login window; orders are not counted there.
    vi.advanceTimersByTime(2_000);
    const orders = Array.from({ length: 30 }, (_, i) => ask('buyTon', `buyer-${i}`, 'spend'));
    expect(orders.map((o) => o.replies[0]?.type)).toEqual(Array(30).fill('GRANTED'));
  });

  it('holds logins to what the login window has left', () => {
    logIn(100);
    vi.advanceTimersByTime(2_000);
    const more = Array.from({ length: 40 }, (_, i) => ask('auth', `late-${i}`, 'spend'));
    const granted = more.filter((o) => o.replies[0]?.type === 'GRANTED').length;
    // 20 were left in the store's window (less the limiter's safety margin); the rest wait for its reset.
    expect(granted).toBeGreaterThan(0);
    expect(granted).toBeLessThanOrEqual(20);
  });

  it('lets a whole fleet order at once through an IP whose limit is configured wider, and the guess hold it back', () => {
    actor.stop();
    actor = createActor(limiterLogic, { input: { ...SETTINGS, pools: storePools(ipLimit({ burst: 250, perSec: 100, inFlight: 250 })) } });
    actor.start();
    const wide = Array.from({ length: 200 }, (_, i) => ask('buyTon', `buyer-${i}`, 'spend'));
    expect(wide.filter((o) => o.replies[0]?.type === 'GRANTED')).toHaveLength(200);
    actor.stop();
    actor = createActor(limiterLogic, { input: SETTINGS });
    actor.start();
    const guessed = Array.from({ length: 200 }, (_, i) => ask('buyTon', `buyer-${i}`, 'spend'));
    expect(guessed.filter((o) => o.replies[0]?.type === 'GRANTED').length).toBeLessThanOrEqual(IP_POOL.maxInFlight!);
  });

  it("forgets a login window an earlier version saved as the IP pool's limit: polls are paced by the IP's guess", async () => {
    /** The time between two polls the limiter asks of a watcher polling through one account, after restoring `rows`. */
    async function pollSlot(rows: PoolSnapshot[]): Promise<number> {
      actor.stop();
      actor = createActor(limiterLogic, { input: { ...SETTINGS, store: { load: async () => rows, save: async () => undefined } } });
      actor.start();
      await vi.advanceTimersByTimeAsync(0);
      let slot = -1;
      actor.send({ type: 'PACE', account: 'buyer-0', reply: (ms) => void (slot = ms) });
      await vi.advanceTimersByTimeAsync(0);
      return slot;
    }
    const fresh = await pollSlot([]);
    const savedLoginWindow: PoolSnapshot = {
      pool: 'ip:direct', tokens: 60, blockedUntil: 0, breakerState: 'closed', breakerOpenedAt: null, breakerFailures: 0,
      learnedLimit: 120, learnedWindowMs: 60_000, updatedAt: T0 - 60_000,
    };
    expect(fresh).toBeGreaterThan(0);
    expect(await pollSlot([savedLoginWindow])).toBe(fresh);
    // An account pool keeps what the store taught it.
    expect(await pollSlot([{ ...savedLoginWindow, pool: 'account:buyer-0' }])).toBeGreaterThan(fresh);
  });
});
