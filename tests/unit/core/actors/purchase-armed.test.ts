/** A purchase spawns its payers when it is armed, before the drop: they wait with their first orders claimed, and a
 *  purchase that ends before any stock (stopped, sold out) ends them, their claims released. The payment method is in
 *  memory; the ledger is real SQLite. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor, type Actor, type AnyActorRef } from 'xstate';
import { pino } from 'pino';
import { payerId, purchaseMachine, type PurchaseInput } from '../../../../core/actors/purchase.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { PaymentAccount, PaymentMethod, PaymentSteps, StoreOrder } from '../../../../core/plugins/payment.js';
import type { StoreClient } from '../../../../core/store/store-client.js';

const PURCHASE = 'purchase:10:1:alice';
const TIMEOUT = { timeout: 5_000 };

/** A TON method whose store and wallet are in memory, paying every order. */
class MemoryTon implements PaymentMethod {
  readonly id = 'ton';
  readonly currency = 'TON' as const;
  readonly orderPolicy = { toleranceBps: 100, expiryMarginMs: 1_000, feeAllowance: 0n };
  readonly orders: StoreOrder[] = [];
  private n = 0;

  async prepare(): Promise<void> {}
  async capacity(): Promise<Units> {
    return 10n ** 18n;
  }
  steps(): PaymentSteps {
    return {
      quote: async () => toNano('2'),
      createOrder: async (_t, count, opts) => {
        opts.onSent();
        const order: StoreOrder = { orderId: `ton-${++this.n}`, count, currency: 'TON', amount: toNano('2') * BigInt(count), destination: 'd', expiresAt: Date.now() + 300_000 };
        this.orders.push(order);
        return order;
      },
      check: async () => null,
      prepare: async (order) => ({
        idempotencyKey: `key-${order.orderId}`, payload: {},
        send: async () => undefined,
        confirm: async () => ({ outcome: 'paid', txHash: `tx-${order.orderId}`, fee: 0n }),
        dispose: () => undefined,
      }),
    };
  }
  async reconcile() {
    return { outcome: 'not-paid' as const, reason: 'unused here' };
  }
  async close(): Promise<void> {}
}

let ledger: Ledger;
const running: Actor<typeof purchaseMachine>[] = [];
beforeEach(async () => {
  ledger = await openLedger(':memory:');
});
afterEach(async () => {
  for (const a of running.splice(0)) a.stop();
  await ledger.close();
});

function start(method: MemoryTon): Actor<typeof purchaseMachine> {
  const account: PaymentAccount = { name: 'alice', wallet: undefined, store: { warmUp: async () => undefined } as unknown as StoreClient };
  const input: PurchaseInput = {
    purchaseId: PURCHASE, account,
    target: { key: '10:1', collection: 10, character: 1, packsWanted: 4, maxPricePerPack: { TON: toNano('3') } },
    methods: [method], quota: new TargetQuota(4), ledger, budget: { TON: toNano('100') },
    policy: { maxPerOrder: 5, maxFailures: 2, retryDelayMs: 5, maxHoldMs: 2_000 },
    watcherId: 'watcher:10:1', metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false,
    split: { policy: 'race' },
  };
  const actor = createActor(purchaseMachine, { input });
  running.push(actor);
  actor.start();
  return actor;
}

/** The purchase once armed, its payer waiting for the drop with its claim in the ledger. */
async function armedWithPayer(actor: Actor<typeof purchaseMachine>): Promise<AnyActorRef> {
  const snap = await waitFor(actor, (s) => s.value === 'armed' && s.children[payerId('ton', PURCHASE)] !== undefined, TIMEOUT);
  const payer = snap.children[payerId('ton', PURCHASE)]! as AnyActorRef;
  await waitFor(payer, (s: { value: unknown; context: { reservationId: number } }) => s.value === 'armed' && s.context.reservationId !== 0, TIMEOUT);
  return payer;
}

describe('a purchase armed before the drop', () => {
  it('has its payer spawned and waiting before any stock, its first order claimed', async () => {
    const ton = new MemoryTon();
    const actor = start(ton);
    await armedWithPayer(actor);
    expect(await ledger.claims.tally('10:1')).toEqual({ paid: 0, held: 4 });
    expect((await ledger.purchases.get(PURCHASE))?.state).toBe('armed');
    actor.send({ type: 'STOCK', left: 10, observedAt: performance.now() });
    const out = await waitFor(actor, (s) => s.status === 'done', TIMEOUT);
    expect(out.output).toMatchObject({ outcome: 'done', reason: 'ton: target reached' });
    expect(ton.orders.map((o) => o.count)).toEqual([4]);
  });

  it('ends stopped before the drop with its payer\'s claim released', async () => {
    const actor = start(new MemoryTon());
    await armedWithPayer(actor);
    actor.send({ type: 'STOP' });
    const out = await waitFor(actor, (s) => s.status === 'done', TIMEOUT);
    expect(out.output).toMatchObject({ outcome: 'stopped', reason: 'stopped' });
    await expect.poll(() => ledger.claims.tally('10:1')).toEqual({ paid: 0, held: 0 });
  });

  it('ends sold out before buying with its payer\'s claim released', async () => {
    const ton = new MemoryTon();
    const actor = start(ton);
    await armedWithPayer(actor);
    actor.send({ type: 'SOLD_OUT' });
    const out = await waitFor(actor, (s) => s.status === 'done', TIMEOUT);
    expect(out.output).toMatchObject({ outcome: 'done', reason: 'sold out before buying' });
    await expect.poll(() => ledger.budget.committed('TON')).toBe(0n);
    expect(ton.orders).toEqual([]);
  });
});
