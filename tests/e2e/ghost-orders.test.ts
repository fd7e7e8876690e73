/** A create-order answer lost after the store created the order (the connection reset once the store acted): the
 *  order may exist, unseen. With the store's unpaid TON limit at 1 (as on the real store), the account's TON buying
 *  stops instead of hammering create-order into the limit; the other accounts and Stars go on; the ghost is in the
 *  ledger as `maybe-created` with its request time, and `automint orders` shows it. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../../cli/demo.js';
import { openLedger } from '../../core/ledger/database.js';
import type { GhostOrder } from '../../core/ledger/ghost-orders.js';
import { orderReports, renderOrders, type OrderReport } from '../../core/run/order-report.js';
import { ledgerPath, runBot, type BotSummary } from '../../core/run/run-bot.js';
import { DEMO_SCENARIO, type WorldScenario } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';
import { expectMoneySafe } from '../support/hostile-run.js';

const BUY_TON = 'POST /api/v1/shop/buy/crypto';
const LIMIT_ONE: WorldScenario = { ...DEMO_SCENARIO, store: (now) => ({ ...DEMO_SCENARIO.store(now), cryptoOrdersLimit: 1 }) };

let world: World;
let dataDir: string;
let summary: BotSummary;
let ghosts: GhostOrder[];
let reports: OrderReport[];

beforeAll(async () => {
  world = await startWorld({ scenario: LIMIT_ONE, blockIntervalMs: 300 });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-ghost-'));
  world.store.setFaults({ connectionReset: { burst: 1 }, routes: [BUY_TON] });
  const config = await loadDemoConfig(world, dataDir);
  summary = await runBot({ config, log: pino({ level: 'silent' }), command: 'test' });
  const ledger = await openLedger(ledgerPath(config), { mustExist: true });
  try {
    ghosts = await ledger.ghosts.list();
    reports = await orderReports(ledger);
  } finally {
    await ledger.close();
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('an order created behind a lost answer (a ghost order)', () => {
  it('is recorded once as maybe-created, with its request time, and shown by `automint orders`', () => {
    expect(world.store.faultState().injected['connectionReset']).toBe(1);
    expect(ghosts).toHaveLength(1);
    const ghost = ghosts[0]!;
    expect(ghost).toMatchObject({ method: 'ton', state: 'maybe-created', currency: 'TON' });
    expect(ghost.reason).toMatch(/^STORE_CONNECTION|^STORE_TIMEOUT/);
    expect(ghost.heldUntil).toBeGreaterThan(ghost.requestedAt);
    const shown = reports.find((r) => r.state === 'maybe-created')!;
    expect(shown).toMatchObject({ orderId: `ghost-${ghost.id}`, account: ghost.account, amount: '?' });
    expect(renderOrders(reports)).toMatch(/ghost-\d+\s+maybe-created\s+ton/);
  });

  it("stops that account's TON buying (the store's limit of 1 is held) instead of asking again; the rest goes on", () => {
    expectMoneySafe(world, summary);
    const ghost = ghosts[0]!;
    const buyer = world.buyers.find((b) => b.name === ghost.account)!;
    // The store did create the order the bot never saw: it stays unpaid.
    const theirs = world.store.orders().filter((o) => o.userId === buyer.userId && o.currency === 'TON');
    expect(theirs.filter((o) => o.state !== 'paid')).toHaveLength(1);
    // After the ghost, that account asked for TON orders only as long as its other payers had not learned of it: the
    // store refused those (too many unpaid), none was created.
    const creates = world.store.requests().filter((r) => r.route === BUY_TON && r.caller === String(buyer.userId) && r.startedAt > ghost.requestedAt);
    expect(creates.filter((r) => r.status === 200)).toEqual([]);
    expect(creates.length).toBeLessThanOrEqual(3);
    expect(summary.targets.flatMap((t) => t.why).join('; ')).toMatch(/may already hold 1 unpaid ton order/);
    // The other account and Stars still bought the Blue Cat.
    expect(summary.targets.find((t) => t.target === '1:1')!.paid).toBe(20);
  });
});
