import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, setup, spawnChild, type Actor, type AnyStateMachine } from 'xstate';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import {
  DROP_POLL_FLOOR_MS,
  DROP_WINDOW_AFTER_MS,
  DROP_WINDOW_BEFORE_MS,
  nextPoll,
  SLOW_POLL_CAP_MS,
  watcherLogic,
  type WatcherInput,
  type WatcherPoller,
  type WatcherReport,
} from '../../../../core/actors/watcher.js';
import type { CollectionView } from '../../../../core/store/collection-answer.js';
import {
  StoreHttpError,
  StoreProxyFailed,
  StoreRateLimited,
  StoreTokenUnavailable,
  StoreTransportError,
} from '../../../../core/store/store-error.js';
import type { Stars } from '../../../../core/money.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const TARGET = { key: '10:1', collection: 10, character: 1 };

const notPublished: CollectionView = { published: false };
const withStock = (left: number, status = 'active'): CollectionView => ({
  published: true, id: 10, title: 'Blue Cats', status,
  characters: [{ id: 1, name: 'Tom', left, priceStars: 250n as Stars, supply: 20, problems: [] }], notes: [],
});

/** A store whose collection answers follow `script` (the last one repeats), recording when each poll came. Each
 *  answer comes `leaseMs` after the poll, as when the limiter holds a poll until its pool grants it. */
function scriptedStore(script: readonly (CollectionView | Error)[], leaseMs = 0) {
  const at: number[] = [];
  const priorities: (string | undefined)[] = [];
  return {
    at,
    priorities,
    collection: async (_id: number, opts: { signal?: AbortSignal; priority?: string } = {}): Promise<CollectionView> => {
      at.push(Date.now() - T0);
      priorities.push(opts.priority);
      if (leaseMs > 0) await new Promise((r) => setTimeout(r, leaseMs));
      const answer = script[Math.min(at.length - 1, script.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const gaps = (at: readonly number[]): number[] => at.slice(1).map((t, i) => t - at[i]!);

describe('nextPoll', () => {
  const cadence = { pollIntervalMs: 2_000 };
  const dropAt = T0 + 3_600_000;

  it('polls at the profile interval without a drop time', () => {
    expect(nextPoll(T0, cadence)).toEqual({ phase: 'watching', delayMs: 2_000 });
  });

  it('polls the target as many times as often as accounts take turns, each at the profile interval, never past the pace', () => {
    expect(nextPoll(T0, { ...cadence, accounts: 4 })).toEqual({ phase: 'watching', delayMs: 500 });
    expect(nextPoll(T0, { ...cadence, accounts: 4, pacedMs: 800 })).toEqual({ phase: 'watching', delayMs: 800 });
    expect(nextPoll(T0, { ...cadence, accounts: 0 })).toEqual({ phase: 'watching', delayMs: 2_000 });
    // Before the drop window the target is polled slowly whatever the fleet: its polls are kept for the drop.
    expect(nextPoll(T0, { ...cadence, accounts: 4, dropAt })).toEqual({ phase: 'waiting', delayMs: 8_000 });
  });

  it('polls four times slower before the drop window, capped, and never past the window opening', () => {
    expect(nextPoll(T0, { ...cadence, dropAt })).toEqual({ phase: 'waiting', delayMs: 8_000 });
    expect(nextPoll(T0, { pollIntervalMs: 10_000, dropAt })).toEqual({ phase: 'waiting', delayMs: SLOW_POLL_CAP_MS });
    expect(nextPoll(T0, { pollIntervalMs: 60_000, dropAt }).delayMs).toBe(60_000);
    expect(nextPoll(dropAt - DROP_WINDOW_BEFORE_MS - 3_000, { ...cadence, dropAt })).toEqual({ phase: 'waiting', delayMs: 3_000 });
  });

  it('leaves the pace to the limiter from a minute before the drop to ten minutes after it, then polls at the interval', () => {
    expect(nextPoll(dropAt - DROP_WINDOW_BEFORE_MS, { ...cadence, dropAt })).toEqual({ phase: 'drop', delayMs: DROP_POLL_FLOOR_MS });
    expect(nextPoll(dropAt + DROP_WINDOW_AFTER_MS, { ...cadence, dropAt })).toEqual({ phase: 'drop', delayMs: DROP_POLL_FLOOR_MS });
    expect(nextPoll(dropAt + DROP_WINDOW_AFTER_MS + 1, { ...cadence, dropAt })).toEqual({ phase: 'watching', delayMs: 2_000 });
  });
});

describe('nextPoll with the limiter pace', () => {
  const dropAt = T0 + 3_600_000;

  it('never polls faster than the paced interval, in every phase', () => {
    expect(nextPoll(T0, { pollIntervalMs: 500, pacedMs: 625 })).toEqual({ phase: 'watching', delayMs: 625 });
    expect(nextPoll(dropAt - 1_000, { pollIntervalMs: 500, dropAt, pacedMs: 625 })).toEqual({ phase: 'drop', delayMs: 625 });
    expect(nextPoll(T0, { pollIntervalMs: 500, dropAt, pacedMs: 9_000 })).toEqual({ phase: 'waiting', delayMs: 9_000 });
  });

  it('polls at the pace inside the drop window however wide the limit, down to the spin floor', () => {
    expect(nextPoll(dropAt, { pollIntervalMs: 2_000, dropAt, pacedMs: 120 })).toEqual({ phase: 'drop', delayMs: 120 });
    expect(nextPoll(dropAt, { pollIntervalMs: 2_000, dropAt, pacedMs: 5 })).toEqual({ phase: 'drop', delayMs: DROP_POLL_FLOOR_MS });
  });
});

describe('watcher actor', () => {
  let actor: Actor<AnyStateMachine> | undefined;
  let reports: WatcherReport[];
  let logLines: { msg: string; phase?: string }[];

  /** Runs a watcher beside one purchase stand-in (systemId `purchase:1`) that records what it is told. */
  const run = (store: WatcherPoller['store'], extra: Partial<WatcherInput> = {}): void => {
    reports = [];
    logLines = [];
    const log = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line) as { msg: string }) });
    const input: WatcherInput = {
      target: TARGET, pollers: [{ account: 'alice', store }], purchases: ['purchase:1'], pollIntervalMs: 1_000, maxWaitMs: 60_000, metrics: new RunMetrics(), log, ...extra,
    };
    const machine = setup({
      actors: {
        watcher: watcherLogic,
        purchase: fromCallback<WatcherReport>(({ receive }) => receive((r) => reports.push(r))),
      },
    }).createMachine({
      entry: [spawnChild('purchase', { systemId: 'purchase:1' }), spawnChild('watcher', { id: 'watcher', input })],
    });
    actor = createActor(machine);
    actor.start();
  };
  const pollNow = (): void => (actor!.getSnapshot().children as Record<string, { send: (e: { type: 'POLL_NOW' }) => void }>)['watcher']!.send({ type: 'POLL_NOW' });

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor?.stop();
    actor = undefined;
    vi.useRealTimers();
  });

  it('tells nothing before the collection is published, then STOCK after every poll while stock falls, and SOLD_OUT once', async () => {
    const store = scriptedStore([notPublished, notPublished, withStock(5), withStock(3), withStock(1), withStock(0)]);
    run(store);
    await vi.advanceTimersByTimeAsync(6_500);
    expect(reports.map((r) => (r.type === 'STOCK' ? r.left : r.type))).toEqual([5, 3, 1, 'SOLD_OUT']);
    expect(store.at).toHaveLength(7);
    expect(new Set(store.priorities)).toEqual(new Set(['poll']));
  });

  it('tells nothing while the collection is published but not active', async () => {
    const store = scriptedStore([withStock(5, 'upcoming'), withStock(5)]);
    run(store);
    await vi.advanceTimersByTimeAsync(0);
    expect(reports).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reports).toMatchObject([{ type: 'STOCK', left: 5 }]);
  });

  it('polls slowly before the drop window, as fast as the limiter grants inside it, and at the profile interval after it', async () => {
    const dropAt = T0 + 140_000;
    // Each poll waits 400 ms for its lease, as under a limiter pacing polls.
    const store = scriptedStore([notPublished], 400);
    run(store, { pollIntervalMs: 2_000, dropAt });
    const opens = dropAt - DROP_WINDOW_BEFORE_MS - T0;
    const closes = dropAt + DROP_WINDOW_AFTER_MS - T0;
    await vi.advanceTimersByTimeAsync(closes + 10_000);
    const before = store.at.filter((t) => t <= opens);
    const inside = store.at.filter((t) => t >= opens && t <= closes);
    const after = store.at.filter((t) => t >= inside.at(-1)!);
    expect(new Set(gaps(before))).toEqual(new Set([8_000]));
    expect(before.at(-1)).toBe(opens);
    // No pause of its own: the next poll asks the limiter as soon as the last one is answered.
    expect(new Set(gaps(inside))).toEqual(new Set([400]));
    expect(new Set(gaps(after).slice(1))).toEqual(new Set([2_000]));
  });

  it(`keeps ${DROP_POLL_FLOOR_MS} ms between polls in the drop window when the limiter and the store answer at once`, async () => {
    const dropAt = T0 + 30_000;
    const store = scriptedStore([notPublished]);
    run(store, { pollIntervalMs: 2_000, dropAt });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.at).toHaveLength(5_000 / DROP_POLL_FLOOR_MS + 1);
    expect(new Set(gaps(store.at))).toEqual(new Set([DROP_POLL_FLOOR_MS]));
  });

  it('polls fast as soon as stock shows, when the drop comes earlier than announced', async () => {
    const store = scriptedStore([notPublished, notPublished, withStock(9)]);
    run(store, { pollIntervalMs: 2_000, dropAt: T0 + 3_600_000 });
    await vi.advanceTimersByTimeAsync(16_000 + 5_000);
    expect(store.at.slice(0, 3)).toEqual([0, 8_000, 16_000]);
    expect(new Set(gaps(store.at.slice(2)))).toEqual(new Set([DROP_POLL_FLOOR_MS]));
  });

  it("waits for the limiter's retry time after a 429, and for Retry-After when the store sent one", async () => {
    const limited = new StoreRateLimited(T0 + 7_000, { op: 'collection', pool: 'account:alice', reason: 'retry-after' });
    const http429 = new StoreHttpError(429, { op: 'collection', url: 'http://store/api/v1/collection/10', retryAfterMs: 5_000 });
    const store = scriptedStore([limited, http429, withStock(4)]);
    run(store);
    await vi.advanceTimersByTimeAsync(12_500);
    expect(store.at).toEqual([0, 7_000, 12_000]);
    expect(reports).toMatchObject([{ type: 'STOCK', left: 4 }]);
  });

  it('keeps polling at its cadence through 5xx answers and transport failures', async () => {
    const store = scriptedStore([
      new StoreHttpError(502, { op: 'collection', url: 'u' }),
      new StoreTransportError('timeout', false, { op: 'collection', url: 'u' }),
      new StoreHttpError(503, { op: 'collection', url: 'u' }),
      withStock(2),
    ]);
    run(store);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(store.at).toEqual([0, 1_000, 2_000, 3_000]);
    expect(reports).toMatchObject([{ type: 'STOCK', left: 2 }]);
  });

  it('slows down after an auth failure the store client could not mend, and goes on polling', async () => {
    const store = scriptedStore([new StoreTokenUnavailable('expired', { account: 'alice', source: 'configured' }), withStock(1)]);
    run(store);
    await vi.advanceTimersByTimeAsync(4_500);
    expect(store.at).toEqual([0, 4_000]);
    expect(reports).toHaveLength(1);
  });

  it('looks again at once on POLL_NOW, even while it waits out a rate limit', async () => {
    const limited = new StoreRateLimited(T0 + 15_500, { op: 'collection', pool: 'account:alice', reason: 'pool exhausted' });
    const store = scriptedStore([withStock(3), withStock(2), limited, withStock(1)]);
    run(store, { pollIntervalMs: 5_000 });
    await vi.advanceTimersByTimeAsync(1_500);
    pollNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.at).toEqual([0, 1_500]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.at).toEqual([0, 1_500, 6_500]);
    // Held back until 15.5 s; a purchase that needs a fresh look asks the limiter again now.
    await vi.advanceTimersByTimeAsync(1_000);
    pollNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.at).toEqual([0, 1_500, 6_500, 7_500]);
    expect(reports.at(-1)).toMatchObject({ type: 'STOCK', left: 1 });
  });

  it('waits no longer than maxWaitMs, whatever Retry-After or the limiter asks', async () => {
    const day = new StoreHttpError(429, { op: 'collection', url: 'u', retryAfterMs: 86_400_000 });
    const month = new StoreRateLimited(T0 + 40 * 86_400_000, { op: 'collection', pool: 'account:alice', reason: 'retry-after' });
    const store = scriptedStore([day, month, withStock(2)]);
    run(store, { maxWaitMs: 30_000 });
    await vi.advanceTimersByTimeAsync(60_500);
    expect(store.at).toEqual([0, 30_000, 60_000]);
    expect(reports).toMatchObject([{ type: 'STOCK', left: 2 }]);
  });

  it('holds its slow pre-drop cadence to maxWaitMs too', async () => {
    const store = scriptedStore([notPublished]);
    run(store, { pollIntervalMs: 20_000, maxWaitMs: 25_000, dropAt: T0 + 3_600_000 });
    await vi.advanceTimersByTimeAsync(50_500);
    expect(store.at).toEqual([0, 25_000, 50_000]);
  });

  it('logs one line per kind of trouble, not one per poll, and one when polling works again', async () => {
    const e502 = new StoreHttpError(502, { op: 'collection', url: 'u' });
    const store = scriptedStore([e502, e502, e502, new StoreTransportError('connection', false, { op: 'collection', url: 'u' }), withStock(1)]);
    run(store);
    await vi.advanceTimersByTimeAsync(4_500);
    expect(logLines.filter((l) => l.msg === 'poll failed')).toHaveLength(2);
    expect(logLines.filter((l) => l.msg === 'polling again')).toHaveLength(1);
  });

  it('stops polling when it is stopped', async () => {
    const store = scriptedStore([notPublished]);
    run(store);
    await vi.advanceTimersByTimeAsync(2_500);
    actor!.stop();
    const polls = store.at.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.at).toHaveLength(polls);
  });

  it('polls at the limiter pace inside the drop window, taking turns over the target accounts', async () => {
    const dropAt = T0 + 30_000;
    const alice = scriptedStore([notPublished]);
    const bob = scriptedStore([notPublished]);
    const asked: string[] = [];
    run(alice, {
      dropAt, pollIntervalMs: 500,
      pollers: [{ account: 'alice', store: alice }, { account: 'bob', store: bob }],
      pace: async (account) => {
        asked.push(account);
        return 600;
      },
    });
    await vi.advanceTimersByTimeAsync(6_000);
    const all = [...alice.at, ...bob.at].sort((a, b) => a - b);
    // Each account at its pace (600 ms), the two in turn: the target every 300 ms.
    expect(new Set(gaps(all))).toEqual(new Set([300]));
    expect(new Set(gaps(alice.at))).toEqual(new Set([600]));
    expect(new Set(gaps(bob.at))).toEqual(new Set([600]));
    expect(new Set(asked)).toEqual(new Set(['alice', 'bob']));
  });

  it('staggers the fleet without a drop time: each account at the profile interval, the target that many times as often', async () => {
    const stores = ['alice', 'bob', 'carol', 'dave'].map((account) => ({ account, store: scriptedStore([notPublished]) }));
    run(stores[0]!.store, { pollIntervalMs: 2_000, pollers: stores });
    await vi.advanceTimersByTimeAsync(10_000);
    const all = stores.flatMap((p) => p.store.at).sort((a, b) => a - b);
    expect(new Set(gaps(all))).toEqual(new Set([500]));
    for (const p of stores) expect(new Set(gaps(p.store.at))).toEqual(new Set([2_000]));
  });

  it('takes a rate-limited account out of the rotation until its retry time while the others close the gap', async () => {
    const limited = new StoreRateLimited(T0 + 10_000, { op: 'collection', pool: 'account:alice', reason: 'pool exhausted' });
    const alice = scriptedStore([limited, notPublished]);
    const bob = scriptedStore([notPublished]);
    run(alice, { pollIntervalMs: 1_000, pollers: [{ account: 'alice', store: alice }, { account: 'bob', store: bob }] });
    await vi.advanceTimersByTimeAsync(12_000);
    // Alice fails at 0 and rests until 10 s; Bob alone polls at his own interval meanwhile, then they take turns again.
    expect(alice.at).toEqual([0, 10_500, 11_500]);
    expect(bob.at.slice(0, 3)).toEqual([500, 1_500, 2_500]);
    expect(bob.at.filter((t) => t < 10_000)).toHaveLength(10);
    expect(logLines.find((l) => l.msg === 'account out of the poll rotation')).toMatchObject({ account: 'alice' });
  });

  it("rests an account whose proxy failed (4 × the interval) while the others poll", async () => {
    const failed = new StoreProxyFailed('refused', { op: 'collection', url: 'http://store/api', account: 'alice', proxy: 'socks5://alice:***@10.0.0.1:1080' });
    const alice = scriptedStore([failed, notPublished]);
    const bob = scriptedStore([notPublished]);
    run(alice, { pollIntervalMs: 1_000, pollers: [{ account: 'alice', store: alice }, { account: 'bob', store: bob }] });
    await vi.advanceTimersByTimeAsync(5_000);
    // Alice's proxy refused at 0: she is back after 4 s; Bob alone polls meanwhile, at his own interval.
    expect(alice.at).toEqual([0, 4_500]);
    expect(bob.at.filter((t) => t < 4_000)).toEqual([500, 1_500, 2_500, 3_500]);
  });

  it('waits as the account must when every account is resting', async () => {
    const aliceLimited = new StoreRateLimited(T0 + 6_000, { op: 'collection', pool: 'account:alice', reason: 'pool exhausted' });
    const bobLimited = new StoreRateLimited(T0 + 8_000, { op: 'collection', pool: 'account:bob', reason: 'pool exhausted' });
    const alice = scriptedStore([aliceLimited, withStock(3)]);
    const bob = scriptedStore([bobLimited, withStock(3)]);
    run(alice, { pollIntervalMs: 1_000, pollers: [{ account: 'alice', store: alice }, { account: 'bob', store: bob }] });
    await vi.advanceTimersByTimeAsync(6_500);
    // Bob's turn comes at 500 ms and he is limited too (until 8 s): nothing more until Alice is back at 6 s.
    expect(alice.at).toEqual([0, 6_000]);
    expect(bob.at).toEqual([500]);
    expect(reports).toMatchObject([{ type: 'STOCK', left: 3 }]);
  });

  it('polls an account shared by two watchers at half its pace', async () => {
    const store = scriptedStore([notPublished]);
    run(store, { dropAt: T0 + 30_000, pollers: [{ account: 'alice', store, sharedBy: 2 }], pace: async () => 600 });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(new Set(gaps(store.at))).toEqual(new Set([1_200]));
  });

  it('follows the pace as the limiter changes it (a limit learned, a window others have eaten into)', async () => {
    const store = scriptedStore([notPublished]);
    let paceMs = 200;
    run(store, { dropAt: T0 + 30_000, pace: async () => paceMs });
    await vi.advanceTimersByTimeAsync(1_000);
    paceMs = 700;
    await vi.advanceTimersByTimeAsync(3_000);
    const g = gaps(store.at);
    expect(g.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(new Set(g.slice(6))).toEqual(new Set([700]));
  });
});
