/** The watcher with a drop time against the simulated store over real sockets, the store enforcing its per-token
 *  limit: inside the drop window every poll is granted by the limiter at once (never held, never refused), the store
 *  never refuses one, the polls of any store window leave the share reserved for spending untouched, and a
 *  purchase's call made at any moment is granted at once. Wall-clock, a few seconds. */
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, fromCallback, setup, spawnChild, type Actor, type AnyStateMachine } from 'xstate';
import { endpointResolver, endpointsLogic } from '../../../../core/actors/endpoints.js';
import { limiterGate, limiterLogic, limiterPollPace } from '../../../../core/actors/limiter.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { watcherLogic, type WatcherInput, type WatcherReport } from '../../../../core/actors/watcher.js';
import { PROFILES } from '../../../../core/config/profiles.js';
import type { Lease, Priority, RateGate } from '../../../../core/store/request-gate.js';
import { StoreClient } from '../../../../core/store/store-client.js';
import { startStore, type SimStore } from '../../../../sim/store/index.js';
import { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
/** The store's enforced limit per token: 30 requests per 5 s window (the limiter learns it from the headers). */
const LIMIT = { requests: 30, windowMs: 5_000 } as const;
/** A fifth of the limit is kept for spending (the declared 2 of 10). */
const RESERVED = Math.ceil(LIMIT.requests / 5);
const DROP_IN_MS = 4_000;

/** One lease asked for: whether the limiter granted it before anything else ran (at once), or refused it. */
interface Asked {
  readonly priority: Priority;
  readonly at: number;
  outcome?: 'at once' | 'held' | 'refused';
}

/** The gate, recording for each call whether its lease came at once: a grant that the limiter gave in the same turn
 *  resolves before a macrotask queued at the ask can run. */
function watchedGate(gate: RateGate, asked: Asked[]): RateGate {
  return {
    async acquire(req): Promise<Lease> {
      const a: Asked = { priority: req.priority, at: Date.now() };
      asked.push(a);
      let turnEnded = false;
      setImmediate(() => (turnEnded = true));
      try {
        const lease = await gate.acquire(req);
        a.outcome = turnEnded ? 'held' : 'at once';
        return lease;
      } catch (e) {
        a.outcome = 'refused';
        throw e;
      }
    },
  };
}

describe('watcher with a drop time against a store enforcing its limit', () => {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const asked: Asked[] = [];
  let store: SimStore;
  let limiter: Actor<typeof limiterLogic>;
  let endpoints: Actor<typeof endpointsLogic>;
  let run: Actor<AnyStateMachine>;
  let dropAt: number;

  beforeAll(async () => {
    dropAt = Date.now() + DROP_IN_MS;
    store = await startStore({
      scenario: storeScenario(dropAt, { rateLimits: { perToken: { ...LIMIT }, resetStyle: 'epoch' } }),
      payments: new MemoryTransferFeed(Date.now),
      wallet: STORE_WALLET_RAW,
    });
    limiter = createActor(limiterLogic, { input: { ...PROFILES.extreme } });
    limiter.start();
    endpoints = createActor(endpointsLogic, { input: { primary: store.url, mirrors: [] } });
    endpoints.start();
    const token = store.issueToken(7_001);
    const client = new StoreClient({
      account: 'alice', token: async () => token, gate: watchedGate(limiterGate(limiter), asked), endpoints: endpointResolver(endpoints),
      dispatcher: agent, userAgent: USER_AGENT, timeoutMs: 10_000,
    });
    const stock: WatcherReport[] = [];
    const input: WatcherInput = {
      target: { key: '10:1', collection: 10, character: 1 }, pollers: [{ account: 'alice', store: client }],
      pace: limiterPollPace(limiter, PROFILES.extreme.pollIntervalMs), purchases: ['purchase:1'],
      pollIntervalMs: PROFILES.extreme.pollIntervalMs, maxWaitMs: PROFILES.extreme.maxWaitMs, dropAt,
      metrics: new RunMetrics(), log: pino({ level: 'silent' }),
    };
    const seen = new Promise<void>((resolve) => {
      const machine = setup({
        actors: {
          watcher: watcherLogic,
          purchase: fromCallback<WatcherReport>(({ receive }) => receive((r) => {
            stock.push(r);
            if (r.type === 'STOCK') resolve();
          })),
        },
      }).createMachine({ entry: [spawnChild('purchase', { systemId: 'purchase:1' }), spawnChild('watcher', { id: 'watcher', input })] });
      run = createActor(machine);
      run.start();
    });
    // A purchase's call now and then while the watcher polls: each must find its reserve whole.
    const spender = setInterval(() => void client.priceTon(10, 1).catch(() => undefined), 1_300);
    await seen;
    await new Promise((r) => setTimeout(r, 1_000));
    clearInterval(spender);
    run.stop();
  }, 20_000);

  afterAll(async () => {
    limiter?.stop();
    endpoints?.stop();
    await store?.close();
    await agent.close();
  });

  it('is granted every poll at once inside the window: no hold, no refusal, no 429', () => {
    const polls = asked.filter((a) => a.priority === 'poll');
    expect(polls.length).toBeGreaterThan(5);
    expect(polls.filter((p) => p.outcome !== 'at once')).toEqual([]);
    expect(store.stats().http429).toBe(0);
  });

  it('leaves the share reserved for spending untouched in every store window', () => {
    const byWindow = new Map<number, number>();
    for (const r of store.requests()) {
      if (!r.route.includes('/collection/')) continue;
      const w = Math.floor(r.startedAt / LIMIT.windowMs);
      byWindow.set(w, (byWindow.get(w) ?? 0) + 1);
    }
    for (const n of byWindow.values()) expect(n).toBeLessThanOrEqual(LIMIT.requests - RESERVED);
  });

  it('grants a purchase call at once whenever it comes', () => {
    const others = asked.filter((a) => a.priority !== 'poll');
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((o) => o.outcome !== 'at once')).toEqual([]);
  });
});
