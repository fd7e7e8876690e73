import { afterEach, describe, expect, it } from 'vitest';
import { startStore, type SimStore, type StoreScenario } from '../../../sim/store/index.js';
import { StoreSetupInvalid } from '../../../sim/store/refusal.js';
import { RivalBots, rivalPhases, rivalUserId, type RivalSpec } from '../../../sim/store/rival-bots.js';
import { rivalAddress } from '../../../sim/store/rival-http.js';
import { validateScenario } from '../../../sim/store/scenario.js';
import { MemoryTransferFeed } from '../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../support/store-scenario.js';

const POLL_ROUTE = 'GET /api/v1/collection/:id';
const stores: SimStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** A rival of collection 10's character 1 (supply 20, 250 stars a pack). */
function rival(overrides: Partial<RivalSpec> = {}): RivalSpec {
  return { collectionId: 10, characterId: 1, packs: 7, pollIntervalMs: 40, reactionMs: 20, ...overrides };
}

async function store(overrides: Partial<StoreScenario>, dropInMs = 250): Promise<{ store: SimStore; dropAt: number }> {
  const dropAt = Date.now() + dropInMs;
  const scenario = storeScenario(dropAt, overrides);
  const s = await startStore({ scenario, payments: new MemoryTransferFeed(), wallet: STORE_WALLET_RAW });
  stores.push(s);
  return { store: s, dropAt };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the rivals');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rivalOrders(s: SimStore, index: number) {
  return s.orders().filter((o) => o.userId === rivalUserId(index));
}

function packsOf(s: SimStore, index: number): number {
  return rivalOrders(s, index).filter((o) => o.state === 'paid').reduce((n, o) => n + o.count, 0);
}

describe('rival bots', () => {
  it('poll the store over HTTP with their own tokens, before and after the drop', async () => {
    const { store: s, dropAt } = await store({ rivals: { seed: 3, bots: [rival(), rival({ packs: 5 })] } });
    await until(() => packsOf(s, 0) === 7 && packsOf(s, 1) === 5);
    const polls = s.requests().filter((r) => r.route === POLL_ROUTE);
    for (const i of [0, 1]) {
      const mine = polls.filter((p) => p.caller === String(rivalUserId(i)));
      expect(mine.some((p) => p.startedAt < dropAt && p.status === 404)).toBe(true);
      expect(mine.some((p) => p.startedAt >= dropAt && p.status === 200)).toBe(true);
    }
  });

  it('call from a loopback address of their own each, so the per-IP window counts them apart from everyone else', async () => {
    const { store: s } = await store({ rivals: { bots: [rival({ packs: 1 }), rival({ packs: 1 })] } });
    await until(() => packsOf(s, 0) === 1 && packsOf(s, 1) === 1);
    for (const i of [0, 1]) {
      const from = new Set(s.requests().filter((r) => r.caller === String(rivalUserId(i))).map((r) => r.from));
      expect([...from]).toEqual([rivalAddress(i)]);
    }
    expect(rivalAddress(0)).not.toBe(rivalAddress(1));
    expect(rivalAddress(0)).not.toBe('127.0.0.1');
  });

  it('take what they want in paid orders no larger than the store allows, stock permitting', async () => {
    const { store: s } = await store({ rivals: { bots: [rival({ packs: 12 })] } });
    await until(() => packsOf(s, 0) === 12);
    const orders = rivalOrders(s, 0);
    expect(orders.every((o) => o.state === 'paid' && o.currency === 'XTR' && o.count <= 5)).toBe(true);
    expect(orders.map((o) => o.count)).toEqual([5, 5, 2]);
    expect(orders.every((o) => o.payments.length === 1)).toBe(true);
    expect(s.stock(10, 1)).toBe(20 - 12);
  });

  it('take no more than is left, sharing it with each other', async () => {
    const kit = rival({ characterId: 2, packs: 3 });
    const { store: s } = await store({ rivals: { bots: [kit, kit] } });
    await until(() => s.stock(10, 2) === 0 && packsOf(s, 0) + packsOf(s, 1) === 3);
    await new Promise((r) => setTimeout(r, 150));
    expect(packsOf(s, 0) + packsOf(s, 1)).toBe(3);
  });

  it('wait their reaction time after the poll that showed stock before ordering', async () => {
    const { store: s } = await store({ rivals: { bots: [rival({ packs: 1, reactionMs: 150 })] } }, 100);
    await until(() => packsOf(s, 0) === 1);
    const firstStock = s.requests().find((r) => r.route === POLL_ROUTE && r.status === 200)!;
    const order = rivalOrders(s, 0)[0]!;
    expect(order.createdAt - firstStock.answeredAt).toBeGreaterThanOrEqual(145);
  });

  it('hold back for the Retry-After of a 429', async () => {
    const { store: s } = await store(
      { rateLimits: { perToken: { requests: 2, windowMs: 1_000 } }, rivals: { bots: [rival({ pollIntervalMs: 30 })] } },
      60_000,
    );
    await until(() => s.requests().some((r) => r.status === 429));
    const refused = s.requests().find((r) => r.status === 429)!;
    await until(() => s.requests().some((r) => r.startedAt > refused.answeredAt));
    const next = s.requests().find((r) => r.startedAt > refused.answeredAt)!;
    expect(next.startedAt - refused.answeredAt).toBeGreaterThanOrEqual(Number(refused.retryAfter) * 1000 - 5);
    expect(next.status).toBe(404);
  });

  it('draw their poll phases from the seed alone', () => {
    const bots = [rival({ pollIntervalMs: 1_000 }), rival({ pollIntervalMs: 250 }), rival({ pollIntervalMs: 1_000 })];
    const plan = (seed: number) => ({ seed, bots });
    const phases = rivalPhases(plan(11));
    expect(rivalPhases(plan(11))).toEqual(phases);
    expect(rivalPhases(plan(12))).not.toEqual(phases);
    expect(phases.every((p, i) => p >= 0 && p < plan(11).bots[i]!.pollIntervalMs)).toBe(true);
  });

  it('leave no timer behind once stopped', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const rivals = RivalBots.start({
      baseUrl: 'http://127.0.0.1:9', plan: { bots: [rival(), rival({ pollIntervalMs: 1_000 })] }, maxCountPerOrder: 5,
      issueToken: () => 'token', invoices: { find: () => null, pay: () => 'unknown' }, onError: (e) => { throw e; },
    });
    expect(timers()).toBeGreaterThan(before);
    rivals.stop();
    expect(timers()).toBe(before);
  });

  it('are refused by the scenario check when they name a character it does not have or an unknown key', () => {
    const bad = storeScenario(0, { rivals: { bots: [rival({ characterId: 9 })] } });
    expect(() => validateScenario(bad)).toThrow(StoreSetupInvalid);
    const typo = storeScenario(0, { rivals: { bots: [{ ...rival(), reactMs: 5 } as RivalSpec] } });
    expect(() => validateScenario(typo)).toThrow(StoreSetupInvalid);
    expect(validateScenario(storeScenario(0, { rivals: { seed: 2, bots: [rival()] } }))).toBeTruthy();
  });
});
