/** A contested drop: the demo config buys the demo's Blue Cats while two rival bots (a 1 s and a 0.25 s poller, each
 *  wanting 10 packs) poll the same store over HTTP and order what they see. Real sockets; one seed. Whatever the
 *  rivals take, automint pays no order twice, stays within its budgets and packs, and its ledger agrees with the
 *  store on its own orders. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { loadDemoConfig, worldVerdict } from '../../cli/demo.js';
import { toNano } from '../../core/money.js';
import { runBot } from '../../core/run/run-bot.js';
import { isRivalUserId, rivalUserId } from '../../sim/store/rival-bots.js';
import { DEMO_SCENARIO, type WorldScenario } from '../../sim/scenarios.js';
import { startWorld } from '../../sim/world.js';
import { ledgerKeyOf } from '../support/store-order-key.js';

const POLL_ROUTE = 'GET /api/v1/collection/:id';
/** Blue Cats left for the contest: fewer than automint (20) and the rivals (10 + 10) want together. */
const SUPPLY = 30;

const CONTEST: WorldScenario = {
  ...DEMO_SCENARIO,
  name: 'contest',
  description: 'the demo drop, Blue Cats cut to 30, contested by two rival bots instead of the steady competitors',
  store: (now) => {
    const demo = DEMO_SCENARIO.store(now);
    return {
      ...demo,
      collections: demo.collections.map((c) => ({
        ...c, characters: c.characters.map((ch) => (ch.id === 1 ? { ...ch, supply: SUPPLY } : ch)),
      })),
      competitors: undefined,
      rivals: {
        seed: 5,
        bots: [
          { collectionId: 1, characterId: 1, packs: 10, pollIntervalMs: 1_000, reactionMs: 150 },
          { collectionId: 1, characterId: 1, packs: 10, pollIntervalMs: 250, reactionMs: 150 },
        ],
      },
    };
  },
};

describe('a drop contested by rival bots', () => {
  it('pays no order twice nor past its budget while the rivals poll over HTTP and take packs', async () => {
    const world = await startWorld({ scenario: CONTEST, blockIntervalMs: 300 });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-contest-'));
    try {
      const config = await loadDemoConfig(world, dataDir);
      const summary = await runBot({ config, log: pino({ level: 'silent' }), command: 'test' });
      const orders = world.store.orders();

      const verdict = worldVerdict(orders);
      expect(verdict.doublePaid).toBe(0);
      expect(verdict.mismatched).toBe(0);
      expect(world.store.unmatchedTransfers()).toEqual([]);
      const ours = orders.filter((o) => !isRivalUserId(o.userId));
      const storePaid = new Set(ours.filter((o) => o.state === 'paid').map(ledgerKeyOf));
      expect(new Set(summary.orders.filter((o) => o.state === 'paid').map((o) => o.orderId))).toEqual(storePaid);
      expect(summary.unknown).toBe(0);

      // Budgets (config/demo.yaml): 80 TON and 3000 Stars overall, by the ledger and by what the store was paid.
      expect(summary.spent.TON).toBeLessThanOrEqual(toNano('80'));
      expect(summary.spent.XTR).toBeLessThanOrEqual(3000n);
      const paidTo = (currency: string): bigint =>
        ours.filter((o) => o.state === 'paid' && o.currency === currency).reduce((sum, o) => sum + o.totalAmount, 0n);
      expect(paidTo('TON')).toBeLessThanOrEqual(toNano('80'));
      expect(paidTo('XTR')).toBeLessThanOrEqual(3000n);
      const cats = ours.filter((o) => o.state === 'paid' && o.characterId === 1).reduce((n, o) => n + o.count, 0);
      expect(cats).toBeLessThanOrEqual(20);

      // The rivals were real clients: their polls are in the store's own log, and they were sold packs. The 1 s
      // rival's first poll after the drop may come after the bot is done: it is waited for, a second at most.
      const dropAt = world.startedAt + 3_000;
      const sawStock = (i: number): boolean => world.store.requests().some((r) =>
        r.route === POLL_ROUTE && r.caller === String(rivalUserId(i)) && r.startedAt >= dropAt && r.status === 200);
      await vi.waitFor(() => expect(sawStock(0) && sawStock(1)).toBe(true), { timeout: 2_000, interval: 50 });
      const rivalCats = world.store.orders()
        .filter((o) => isRivalUserId(o.userId) && o.state === 'paid')
        .reduce((n, o) => n + o.count, 0);
      expect(rivalCats).toBeGreaterThan(0);
      expect(cats + rivalCats).toBeLessThanOrEqual(SUPPLY);
    } finally {
      await world.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
