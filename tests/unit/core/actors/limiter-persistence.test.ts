import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { flushLimiter, limiterLogic, RESTORE_TIMEOUT_MS, SAVE_INTERVAL_MS, type LimiterReply, type LimiterStore } from '../../../../core/actors/limiter.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { PoolSnapshot } from '../../../../core/ledger/limiter-state.js';
import { accountPool, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Priority } from '../../../../core/store/request-gate.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const LIMIT: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };
const POOLS: PoolCatalog = {
  limitFor: () => LIMIT,
  chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }],
  counterPool: (_op, r) => accountPool(r.account),
};
const SETTINGS = { maxWaitMs: 120_000, safetyMarginPct: 0, breakerThreshold: 3, breakerCooldownMs: 30_000, requestTimeoutMs: 10_000 };

/** A store in memory that records every save. */
class MemoryStore implements LimiterStore {
  readonly saves: { at: number; snapshots: PoolSnapshot[] }[] = [];
  constructor(private rows: PoolSnapshot[] = [], private readonly failLoad = false) {}
  async load(): Promise<PoolSnapshot[]> {
    if (this.failLoad) throw new Error('disk on fire');
    return this.rows;
  }
  async save(snapshots: PoolSnapshot[]): Promise<void> {
    this.saves.push({ at: Date.now(), snapshots });
    this.rows = snapshots;
  }
}

/** A store whose saves stay under way until the test lets them finish, one at a time. */
class SlowStore implements LimiterStore {
  readonly saves: PoolSnapshot[][] = [];
  readonly written: PoolSnapshot[][] = [];
  private readonly pending: (() => void)[] = [];
  async load(): Promise<PoolSnapshot[]> {
    return [];
  }
  save(snapshots: PoolSnapshot[]): Promise<void> {
    this.saves.push(snapshots);
    return new Promise((resolve) => this.pending.push(() => {
      this.written.push(snapshots);
      resolve();
    }));
  }
  /** Lets the oldest save under way finish; false when none is. */
  finishOne(): boolean {
    const next = this.pending.shift();
    next?.();
    return next !== undefined;
  }
}

const banned = (until: number) => expect.objectContaining({ pool: 'account:alice', blockedUntil: until });

const saved = (pool: string, overrides: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  pool, tokens: 10, blockedUntil: 0, breakerState: 'closed', breakerOpenedAt: null, breakerFailures: 0, learnedLimit: null,
  learnedWindowMs: null, updatedAt: T0, ...overrides,
});

class Harness {
  readonly actor: Actor<typeof limiterLogic>;
  readonly replies = new Map<number, LimiterReply & { at: number }>();
  private nextId = 1;

  constructor(store: LimiterStore, settings: Partial<typeof SETTINGS> = {}) {
    this.actor = createActor(limiterLogic, { input: { ...SETTINGS, ...settings, pools: POOLS, store } });
    this.actor.start();
  }

  acquire(priority: Priority = 'spend'): number {
    const requestId = this.nextId++;
    this.actor.send({
      type: 'ACQUIRE', requestId, op: 'collection', account: 'alice', priority,
      reply: (r) => this.replies.set(r.requestId, { ...r, at: Date.now() }),
    });
    return requestId;
  }

  respond(id: number, status: number | null, headers: Record<string, string> = {}): void {
    this.actor.send({ type: 'RESPONSE', requestId: id, op: 'collection', account: 'alice', status, headers, ms: 2 });
  }
}

describe('limiter persistence', () => {
  let harnesses: Harness[] = [];
  const start = (store: LimiterStore, settings?: Partial<typeof SETTINGS>): Harness => {
    const h = new Harness(store, settings);
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

  it('holds calls until the saved state is loaded, then keeps a saved ban', async () => {
    const h = start(new MemoryStore([saved('account:alice', { blockedUntil: T0 + 5_000, tokens: 0 })]));
    const spend = h.acquire();
    expect(h.replies.has(spend)).toBe(false);
    await vi.advanceTimersByTimeAsync(5_124);
    expect(h.replies.has(spend)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.replies.get(spend)).toMatchObject({ type: 'GRANTED', at: T0 + 5_125 });
  });

  it('keeps an open circuit open across a restart, until its cooldown from when it opened', async () => {
    const h = start(new MemoryStore([saved('account:alice', { breakerState: 'open', breakerOpenedAt: T0 - 10_000, breakerFailures: 3 })]));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.replies.get(h.acquire())).toMatchObject({ type: 'DENIED', reason: 'circuit open', retryAt: T0 + 20_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(h.replies.get(h.acquire())?.type).toBe('GRANTED');
  });

  it('refills the saved bucket for the time it was stopped', async () => {
    const h = start(new MemoryStore([saved('account:alice', { tokens: 0, updatedAt: T0 - 500 })]));
    await vi.advanceTimersByTimeAsync(0);
    // Half a second at 8 a second: 4 tokens, all spendable.
    const spends = Array.from({ length: 5 }, () => h.acquire());
    expect(spends.filter((id) => h.replies.get(id)?.type === 'GRANTED')).toHaveLength(4);
  });

  it('takes back the limit the store taught in an earlier run', async () => {
    const h = start(new MemoryStore([saved('account:alice', { tokens: 20, learnedLimit: 20, learnedWindowMs: 1_000 })]));
    await vi.advanceTimersByTimeAsync(0);
    const spends = Array.from({ length: 25 }, () => h.acquire());
    expect(spends.filter((id) => h.replies.get(id)?.type === 'GRANTED')).toHaveLength(20);
  });

  it('starts fresh when loading fails or takes too long, instead of holding calls', async () => {
    const failing = start(new MemoryStore([], true));
    const never: LimiterStore = { load: () => new Promise(() => undefined), save: async () => undefined };
    const stuck = start(never);
    const a = failing.acquire();
    const b = stuck.acquire();
    await vi.advanceTimersByTimeAsync(0);
    expect(failing.replies.get(a)?.type).toBe('GRANTED');
    expect(stuck.replies.has(b)).toBe(false);
    await vi.advanceTimersByTimeAsync(RESTORE_TIMEOUT_MS);
    expect(stuck.replies.get(b)?.type).toBe('GRANTED');
  });

  it('writes nothing while it only grants and answers calls, however busy, and everything once when it stops', async () => {
    const store = new MemoryStore();
    const h = start(store);
    await vi.advanceTimersByTimeAsync(0);
    for (let t = 0; t < 35_000; t += 50) {
      const id = h.acquire('poll');
      if (h.replies.get(id)?.type === 'GRANTED') h.respond(id, 200);
      await vi.advanceTimersByTimeAsync(50);
    }
    // Token levels refill within seconds: not worth a write of their own.
    expect(store.saves).toHaveLength(0);
    h.actor.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.saves).toHaveLength(1);
    expect(store.saves[0]!.snapshots).toEqual([expect.objectContaining({ pool: 'account:alice', breakerState: 'closed' })]);
  });

  it('writes nothing at all when it does nothing, not even when it stops', async () => {
    const store = new MemoryStore([saved('account:alice', { blockedUntil: T0 - 1_000, tokens: 3, updatedAt: T0 - 60_000 })]);
    const h = start(store);
    await vi.advanceTimersByTimeAsync(SAVE_INTERVAL_MS * 5);
    h.actor.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.saves).toHaveLength(0);
  });

  it('writes a ban at once after calm, and further changes at most once per SAVE_INTERVAL_MS', async () => {
    const store = new MemoryStore();
    const h = start(store, { breakerThreshold: 1_000 });
    await vi.advanceTimersByTimeAsync(0);
    h.respond(h.acquire('poll'), 429, { 'retry-after': '1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.saves.map((s) => s.at - T0)).toEqual([0]);
    expect(store.saves[0]!.snapshots).toContainEqual(banned(T0 + 1_000));
    // A 429 storm: every answer moves the ban on.
    const answered = new Set<number>();
    for (let t = 0; t < 35_000; t += 100) {
      h.acquire('spend');
      await vi.advanceTimersByTimeAsync(100);
      for (const [id, r] of h.replies) {
        if (r.type !== 'GRANTED' || answered.has(id)) continue;
        answered.add(id);
        h.respond(id, 429, { 'retry-after': '1' });
      }
    }
    expect(answered.size).toBeGreaterThan(10);
    const times = store.saves.map((s) => s.at - T0);
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(SAVE_INTERVAL_MS);
  });

  it('writes a ban set just before a flush by the time the flush resolves', async () => {
    const store = new MemoryStore();
    const h = start(store);
    await vi.advanceTimersByTimeAsync(0);
    const id = h.acquire('poll');
    h.respond(id, 429, { 'retry-after': '60' });
    // No timer has run since the ban: only the flush can have written it.
    expect(store.saves.flatMap((s) => s.snapshots)).not.toContainEqual(banned(T0 + 60_000));
    await flushLimiter(h.actor);
    expect(store.saves.at(-1)!.snapshots).toContainEqual(banned(T0 + 60_000));
  });

  it('answers a flush only after the save already under way and then one with what changed during it', async () => {
    const store = new SlowStore();
    const h = start(store);
    await vi.advanceTimersByTimeAsync(0);
    h.respond(h.acquire('poll'), 429, { 'retry-after': '5' });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.saves).toHaveLength(1);
    h.respond(h.acquire('poll'), 429, { 'retry-after': '60' });
    let flushed = false;
    const flush = flushLimiter(h.actor).then(() => void (flushed = true));
    await vi.advanceTimersByTimeAsync(0);
    // Saves never overlap: the newer state waits for the older save to end.
    expect(store.saves).toHaveLength(1);
    expect(store.finishOne()).toBe(true);
    await vi.waitFor(() => expect(store.saves).toHaveLength(2));
    expect(flushed).toBe(false);
    expect(store.finishOne()).toBe(true);
    await flush;
    expect(store.written.at(-1)).toContainEqual(banned(T0 + 60_000));
  });

  it('writes nothing more when it stops after a flush, so the ledger can close at once', async () => {
    const store = new MemoryStore();
    const h = start(store);
    await vi.advanceTimersByTimeAsync(0);
    h.respond(h.acquire('poll'), 429, { 'retry-after': '60' });
    await flushLimiter(h.actor);
    const before = store.saves.length;
    h.actor.stop();
    await vi.advanceTimersByTimeAsync(SAVE_INTERVAL_MS);
    expect(store.saves).toHaveLength(before);
  });

  it('resolves a flush at once, writing nothing, before the saved state is loaded or after it stopped', async () => {
    const never: LimiterStore & { saved: number } = { saved: 0, load: () => new Promise(() => undefined), save: async () => void never.saved++ };
    const h = start(never);
    await flushLimiter(h.actor);
    h.actor.stop();
    await flushLimiter(h.actor);
    expect(never.saved).toBe(0);
  });

  it('does not write over the saved state when it stops before loading it', async () => {
    const never: LimiterStore & { saved: number } = { saved: 0, load: () => new Promise(() => undefined), save: async () => void never.saved++ };
    const h = start(never);
    h.actor.stop();
    await vi.advanceTimersByTimeAsync(RESTORE_TIMEOUT_MS);
    expect(never.saved).toBe(0);
  });
});

describe('limiter persistence in the ledger', () => {
  let ledger: Ledger;
  let actors: Actor<typeof limiterLogic>[] = [];

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(T0);
    ledger = await openLedger(':memory:');
  });
  afterEach(async () => {
    for (const a of actors) a.stop();
    actors = [];
    vi.useRealTimers();
    await ledger.close();
  });

  it('keeps a ban window across a restart of the limiter', async () => {
    const first = createActor(limiterLogic, { input: { ...SETTINGS, pools: POOLS, store: ledger.limiter } });
    actors.push(first);
    first.start();
    await vi.advanceTimersByTimeAsync(0);
    const replies = new Map<number, LimiterReply>();
    const reply = (r: LimiterReply): void => void replies.set(r.requestId, r);
    first.send({ type: 'ACQUIRE', requestId: 1, op: 'collection', account: 'alice', priority: 'poll', reply });
    first.send({ type: 'RESPONSE', requestId: 1, op: 'collection', account: 'alice', status: 429, headers: { 'retry-after': '60' }, ms: 3 });
    first.stop();
    await waitForRow(ledger, (rows) => rows.some((r) => r.blockedUntil === T0 + 60_000));

    const second = createActor(limiterLogic, { input: { ...SETTINGS, pools: POOLS, store: ledger.limiter } });
    actors.push(second);
    second.start();
    await vi.advanceTimersByTimeAsync(0);
    second.send({ type: 'ACQUIRE', requestId: 2, op: 'buyTon', account: 'alice', priority: 'spend', reply });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(replies.has(2)).toBe(false);
    await vi.advanceTimersByTimeAsync(1_125);
    expect(replies.get(2)?.type).toBe('GRANTED');
  });
});

describe('limiter flush before the ledger closes', () => {
  let ledger: Ledger;
  let actor: Actor<typeof limiterLogic>;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(T0);
    ledger = await openLedger(':memory:');
  });
  afterEach(async () => {
    actor.stop();
    vi.useRealTimers();
    await ledger.close();
  });

  it('has the last ban in the ledger once the flush resolves, and warns of nothing when the ledger closes after', async () => {
    const warn = vi.fn();
    actor = createActor(limiterLogic, { input: { ...SETTINGS, pools: POOLS, store: ledger.limiter, log: { warn } } });
    actor.start();
    const replies: LimiterReply[] = [];
    actor.send({ type: 'ACQUIRE', requestId: 1, op: 'collection', account: 'alice', priority: 'poll', reply: (r) => void replies.push(r) });
    // Granted once the saved state is loaded: the limiter holds every call until then.
    await vi.waitFor(() => expect(replies).toEqual([expect.objectContaining({ type: 'GRANTED' })]));
    const bannedAt = Date.now();
    actor.send({ type: 'RESPONSE', requestId: 1, op: 'collection', account: 'alice', status: 429, headers: { 'retry-after': '60' }, ms: 3 });
    await flushLimiter(actor);
    expect(await ledger.limiter.load()).toContainEqual(banned(bannedAt + 60_000));
    actor.stop();
    await ledger.close();
    await vi.advanceTimersByTimeAsync(SAVE_INTERVAL_MS);
    expect(warn).not.toHaveBeenCalled();
  });
});

/** Polls the ledger until its limiter rows satisfy `done`, or fails after a few seconds. */
async function waitForRow(ledger: Ledger, done: (rows: PoolSnapshot[]) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (done(await ledger.limiter.load())) return;
    await vi.advanceTimersByTimeAsync(10);
  }
  throw new Error('limiter state never reached the ledger');
}
