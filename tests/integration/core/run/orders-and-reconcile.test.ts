/** `automint orders` and `automint reconcile` in-process against the simulated world: a Stars payment and a TON
 *  payment left without an outcome in the ledger (as after a crash between sending and confirming) are settled by
 *  `reconcile`, which says what changed; `orders` lists them with their payments. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { cli } from '../../../support/cli-in-process.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { PaymentAttempt, StoreOrder } from '../../../../core/plugins/payment.js';
import { startWorld, type World } from '../../../../sim/world.js';
import { DEMO_SCENARIO } from '../../../../sim/scenarios.js';
import { onSaleNow } from '../../../support/on-sale-now.js';
import { sessionPath, writeSession } from '../../../../plugins/stars/session-file.js';
import { pluginOnWorld } from '../../../support/world-plugin.js';

let world: World;
let dir: string;
let configPath: string;

/** Pays `method` for one pack up to sending, records order and intent as the payer would, and never confirms. */
async function sentButUnconfirmed(method: 'ton' | 'stars'): Promise<StoreOrder> {
  const buyer = world.buyers[method === 'ton' ? 0 : 1]!;
  const plugin = await pluginOnWorld(world, method, buyer, method === 'ton' ? { validForSec: 10, confirmTimeoutSec: 40 } : {});
  const signal = AbortSignal.timeout(30_000);
  try {
    await plugin.method.prepare(plugin.account, signal);
    const steps = plugin.method.steps(plugin.account);
    const target = { key: '1:1', collection: 1, character: 1 };
    await steps.quote(target, signal);
    const order = await steps.createOrder(target, 1, { signal, onSent: () => undefined });
    expect(await steps.check(order, signal)).toBeNull();
    const attempt: PaymentAttempt = await steps.prepare(order, signal);
    const ledger = await openLedger(path.join(dir, 'data', 'automint.db'));
    try {
      await ledger.purchases.ensure({ id: `purchase:1:1:${buyer.name}`, collection: 1, character: 1, account: buyer.name, packsWanted: 2 });
      await ledger.orders.insert({
        orderId: order.orderId, purchaseId: `purchase:1:1:${buyer.name}`, method, account: buyer.name, collection: 1, character: 1,
        count: order.count, currency: order.currency, amount: order.amount, destination: order.destination, expiresAt: order.expiresAt ?? 0,
      });
      await ledger.recordIntent({ idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, method, currency: order.currency,
        amount: order.amount, destination: order.destination, payload: { ...attempt.payload } });
    } finally {
      await ledger.close();
    }
    await attempt.send(signal);
    attempt.dispose(); // the process "died" here
    return order;
  } finally {
    await plugin.close();
  }
}

beforeAll(async () => {
  world = await startWorld({ scenario: onSaleNow(DEMO_SCENARIO), blockIntervalMs: 200 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-reconcile-'));
  configPath = path.join(dir, 'config.yaml');
  // As `automint login` would have left them.
  for (const b of world.buyers) await writeSession(sessionPath(path.join(dir, 'data'), b.name), b.session);
  await writeFile(configPath, YAML.stringify({
    dataDir: path.join(dir, 'data'),
    store: { baseUrl: world.store.url },
    accounts: world.buyers.map((b) => ({ name: b.name, wallet: b.name })),
    wallets: world.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: b.mnemonic })),
    targets: [{ collection: 1, character: 1, packs: 2, methods: ['ton', 'stars'] }],
    budget: { TON: '10', XTR: '1000' },
    plugins: {
      ton: { endpoint: world.chain.endpoint },
      stars: { apiId: 1, apiHash: '0123456789abcdef0123456789abcdef', server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem } },
    },
  }));
}, 60_000);

afterAll(async () => {
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('automint orders and reconcile', () => {
  it('refuses to list or reconcile a ledger no run has created, creating none (exit 2)', async () => {
    const { existsSync } = await import('node:fs');
    for (const command of ['orders', 'reconcile']) {
      const r = await cli([command, '--config', configPath]);
      expect(r.code, command).toBe(2);
      expect(r.err).toContain(`no ledger at ${path.join(dir, 'data', 'automint.db')}`);
    }
    expect(existsSync(path.join(dir, 'data', 'automint.db'))).toBe(false);
  });

  it('says there is nothing to reconcile on an empty ledger', async () => {
    await (await openLedger(path.join(dir, 'data', 'automint.db'))).close();
    const r = await cli(['reconcile', '--config', configPath]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/nothing to reconcile/);
  });

  it('settles a TON and a Stars payment left unconfirmed, reporting paying → paid for each, and orders lists them', async () => {
    const ton = await sentButUnconfirmed('ton');
    const stars = await sentButUnconfirmed('stars');
    const listedBefore = await cli(['orders', '--config', configPath, '--json']);
    const before = listedBefore.out.trim().split('\n').map((l) => JSON.parse(l) as { orderId: string; state: string });
    expect(before.map((o) => o.state)).toEqual(['paying', 'paying']);

    const r = await cli(['reconcile', '--config', configPath, '--json']);
    expect(r.err).toBe('');
    expect(r.code, r.out).toBe(0);
    const report = JSON.parse(r.out) as { changes: { orderId: string; before: string; after: string; outcome: string }[]; stillOpen: number };
    expect(report.stillOpen).toBe(0);
    expect(report.changes).toEqual(expect.arrayContaining([
      expect.objectContaining({ orderId: ton.orderId, before: 'paying', after: 'paid', outcome: 'paid' }),
      expect.objectContaining({ orderId: stars.orderId, before: 'paying', after: 'paid', outcome: 'paid' }),
    ]));
    // Paid once each, as the world sees it.
    expect(world.telegram.payments().filter((p) => p.slug === stars.orderId)).toHaveLength(1);
    const tonAtStore = world.store.orders().find((o) => o.id === ton.orderId)!;
    expect(tonAtStore.payments.filter((p) => p.verdict === 'paid')).toHaveLength(1);

    const table = await cli(['orders', '--config', configPath]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/created\s+order\s+state\s+method/);
    expect(table.out).toContain(ton.orderId);
    expect(table.out).toMatch(/paid\s+stars/);
    const again = await cli(['reconcile', '--config', configPath]);
    expect(again.out).toMatch(/nothing to reconcile/);
  }, 90_000);

  it('refuses an unknown --state with exit 2', async () => {
    const r = await cli(['orders', '--config', configPath, '--state', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--state: must be one of/);
  });
});
