/** The payer meeting payments whose outcome is unknown, with the run's in-run reconciliation (the real
 *  InRunReconciliation over an in-memory ledger; the payment method's steps and its `reconcile` are scripted): its
 *  own unknown payment holds its method back until a round settles it — paid counts, not paid is bought again once —
 *  and a payer whose every pack left is held by unknown payments asks for rounds instead of waiting for stock
 *  forever; both end, saying what holds them, when the payments outlast the bound. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { pino } from 'pino';
import { payerMachine, type PayerInput, type PayerOutput } from '../../../../core/actors/payer.js';
import { payerParent } from './payer-parent.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { OpenIntent, PaymentAttempt, PaymentMethod, PaymentSteps, Settlement, StoreOrder } from '../../../../core/plugins/payment.js';
import { InRunReconciliation, type InRunTiming } from '../../../../core/run/in-run-reconciliation.js';

const TIMING: InRunTiming = { everyMs: 150, roundLimitMs: 100, giveUpAfterMs: 1_000 };
const WANTED = 4;

/** A method whose store, wallet and chain are in memory: each payment's confirmation and each reconciliation of it
 *  answer what the test says, by order id. */
class ScriptedMethod implements PaymentSteps {
  orders: StoreOrder[] = [];
  sent: string[] = [];
  /** What confirming each order's payment answers (`confirmAll`, else paid, unless told). */
  confirmed = new Map<string, Settlement>();
  confirmAll: Settlement | null = null;
  /** What reconciling each order's payment answers (`reconcileAll`, else unknown, unless told). */
  reconciled = new Map<string, Settlement>();
  reconcileAll: Settlement | null = null;
  /** When each reconciliation was asked, by order id. */
  reconcileCalls: { orderId: string; at: number }[] = [];
  private n = 0;

  async quote(): Promise<Units> {
    return toNano('2.5');
  }

  async createOrder(_t: unknown, count: number, opts: { onSent: () => void }): Promise<StoreOrder> {
    opts.onSent();
    const o: StoreOrder = { orderId: `o${++this.n}`, count, currency: 'TON', amount: toNano('2.5') * BigInt(count), destination: 'store', expiresAt: Date.now() + 300_000 };
    this.orders.push(o);
    return o;
  }

  async check(): Promise<string | null> {
    return null;
  }

  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    return {
      idempotencyKey: `k-${order.orderId}`,
      payload: { seqno: 1 },
      send: async () => void this.sent.push(order.orderId),
      confirm: async () => this.confirmed.get(order.orderId) ?? this.confirmAll ?? { outcome: 'paid', txHash: `tx-${order.orderId}`, fee: 5n },
      dispose: () => undefined,
    };
  }

  /** The plugin as reconciliation sees it. */
  method(): PaymentMethod {
    return {
      id: 'ton', currency: 'TON', orderPolicy: { toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n },
      prepare: async () => undefined, capacity: async () => toNano('100'), steps: () => this, close: async () => undefined,
      reconcile: async (intent: OpenIntent) => {
        this.reconcileCalls.push({ orderId: intent.orderId, at: Date.now() });
        return this.reconciled.get(intent.orderId) ?? this.reconcileAll ?? { outcome: 'unknown', reason: 'chain unreachable' };
      },
    } as unknown as PaymentMethod;
  }
}

let ledger: Ledger;
let stop: AbortController;
const reconciliations: InRunReconciliation[] = [];
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: WANTED });
  stop = new AbortController();
});
afterEach(async () => {
  stop.abort();
  for (const r of reconciliations.splice(0)) await r.close();
  await ledger.close();
});

function start(m: ScriptedMethod, opts: { quota?: TargetQuota; purchaseId?: string; account?: string; left?: number; reconciliation?: InRunReconciliation; method?: string } = {}) {
  const reconciliation = opts.reconciliation ?? new InRunReconciliation(ledger, [m.method()], pino({ level: 'silent' }), stop.signal, TIMING);
  reconciliations.push(reconciliation);
  const quota = opts.quota ?? new TargetQuota(WANTED);
  const input: PayerInput = {
    purchaseId: opts.purchaseId ?? 'p1', account: opts.account ?? 'alice', method: opts.method ?? 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: m, quota, ledger, budget: toNano('100'),
    policy: { maxPerOrder: WANTED, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 3, retryDelayMs: 10, maxHoldMs: 5_000 },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: opts.left ?? 50, observedAt: performance.now(),
    unknownPayments: reconciliation,
  };
  const actor = createActor(payerParent(input));
  actor.start();
  return { actor, quota, reconciliation };
}

const ended = async (actor: ReturnType<typeof start>['actor']): Promise<PayerOutput> =>
  (await waitFor(actor, (s) => s.context.output !== undefined, { timeout: 8_000 })).context.output!;

const states = async () => (await ledger.orders.list()).map((o) => `${o.orderId}:${o.state}`);

describe('payer with in-run reconciliation of unknown outcomes', () => {
  it('counts its unknown payment as paid once a round proves it paid, and buys nothing more for those packs', async () => {
    const m = new ScriptedMethod();
    m.confirmed.set('o1', { outcome: 'unknown', reason: 'not confirmed within 40 s' });
    m.reconciled.set('o1', { outcome: 'paid', txHash: 'tx-late', fee: 7n });
    const { actor, quota } = await start(m);
    expect((await ended(actor)).reason).toBe('target reached');
    expect(await states()).toEqual(['o1:paid']);
    expect(m.sent).toEqual(['o1']);
    expect(quota.paidPacks).toBe(WANTED);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: WANTED, held: 0 });
    expect(await ledger.budget.spent('TON')).toBe(toNano('10') + 7n);
  });

  it('buys the packs again, once, when a round proves its unknown payment did not happen', async () => {
    const m = new ScriptedMethod();
    m.confirmed.set('o1', { outcome: 'unknown', reason: 'not confirmed within 40 s' });
    m.reconciled.set('o1', { outcome: 'not-paid', reason: 'transfer expired with seqno unmoved' });
    const { actor, quota } = await start(m);
    expect((await ended(actor)).reason).toBe('target reached');
    expect(await states()).toEqual(['o1:failed', 'o2:paid']);
    expect(m.sent).toEqual(['o1', 'o2']);
    expect(quota.paidPacks).toBe(WANTED);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: WANTED, held: 0 });
    expect(await ledger.budget.spent('TON')).toBe(toNano('10') + 5n);
  });

  it('pays nothing more while its own payment is unknown, even with packs free, and ends naming it when rounds cannot settle it', async () => {
    const m = new ScriptedMethod();
    // One pack per order: three packs stay free while the first payment is unknown.
    m.confirmed.set('o1', { outcome: 'unknown', reason: 'not confirmed within 40 s' });
    const { actor, quota } = await start(m, { left: 1 });
    const out = await ended(actor);
    expect(out.reason).toBe('payment outcome unknown (not confirmed within 40 s); reconciled at the next start');
    expect(m.sent).toEqual(['o1']);
    expect(await states()).toEqual(['o1:unknown']);
    // Rounds were asked for it, and its packs and money stay held for the next start.
    expect(m.reconcileCalls.length).toBeGreaterThanOrEqual(2);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 0, held: 1 });
    expect(quota.paidPacks).toBe(0);
  });

  it('asks for rounds when every pack left is held by an unknown payment of an earlier run, and buys them once it is proven not paid', async () => {
    const m = new ScriptedMethod();
    await leftUnknownByAnEarlierRun(WANTED);
    m.reconciled.set('old1', { outcome: 'not-paid', reason: 'transfer expired with seqno unmoved' });
    // As the run seeds it: the earlier run's packs are in flight.
    const { actor } = await start(m, { quota: new TargetQuota(WANTED, { paid: 0, inFlight: WANTED }) });
    expect((await ended(actor)).reason).toBe('target reached');
    expect(await states()).toEqual(['old1:failed', 'o1:paid']);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: WANTED, held: 0 });
  });

  it('ends instead of waiting for stock forever when unknown payments hold every pack left, naming them', async () => {
    const m = new ScriptedMethod();
    await leftUnknownByAnEarlierRun(WANTED);
    const { actor } = await start(m, { quota: new TargetQuota(WANTED, { paid: 0, inFlight: WANTED }) });
    const out = await ended(actor);
    expect(out.reason).toBe('every pack left is held by payments whose outcome is unknown (old1); reconciled at the next start');
    expect(m.orders).toEqual([]);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 0, held: WANTED });
  });

  it('counts a payment proven not paid in-run as a failure: a transfer lost every time ends the payer after its retries', async () => {
    const m = new ScriptedMethod();
    m.confirmAll = { outcome: 'unknown', reason: 'not confirmed within 40 s' };
    m.reconcileAll = { outcome: 'not-paid', reason: 'transfer expired with seqno unmoved' };
    const { actor } = await start(m);
    expect((await ended(actor)).reason).toBe('payment did not happen');
    // maxFailures is 3: three orders, each paid for once, each proven not paid; nothing held.
    expect(await states()).toEqual(['o1:failed', 'o2:failed', 'o3:failed']);
    expect(m.sent).toEqual(['o1', 'o2', 'o3']);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 0, held: 0 });
  });

  it('under split, holds a method whose share is held by its unknown payment while the target still has packs free, naming its share', async () => {
    const m = new ScriptedMethod();
    // Half the target is TON's share; an earlier run's unknown TON payment holds all of it.
    await leftUnknownByAnEarlierRun(WANTED / 2);
    const quota = new TargetQuota(WANTED, { paid: 0, inFlight: WANTED / 2, byMethod: { ton: { paid: 0, inFlight: WANTED / 2 } } }, { ton: 1, stars: 1 });
    const { actor } = start(m, { quota });
    expect((await ended(actor)).reason).toBe('every pack left of its share is held by payments whose outcome is unknown (old1); reconciled at the next start');
    expect(m.orders).toEqual([]);
    expect(m.reconcileCalls.length).toBeGreaterThanOrEqual(2);
  });

  it('never starts two rounds closer together than the cadence, however many payers ask', async () => {
    const m = new ScriptedMethod();
    await leftUnknownByAnEarlierRun(WANTED);
    const quota = new TargetQuota(WANTED, { paid: 0, inFlight: WANTED });
    await ledger.purchases.ensure({ id: 'p2', collection: 1, character: 1, account: 'bob', packsWanted: WANTED });
    const first = start(m, { quota });
    // A second payer of the same target (another account's, say) shares the run's rounds.
    const second = start(m, { quota, purchaseId: 'p2', account: 'bob', reconciliation: first.reconciliation });
    await ended(first.actor);
    await ended(second.actor);
    const at = m.reconcileCalls.map((c) => c.at);
    expect(at.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(TIMING.everyMs - 5);
  });
});

/** An order of the target whose payment an earlier run left unknown, holding `packs` packs and their money. */
async function leftUnknownByAnEarlierRun(packs: number): Promise<void> {
  await ledger.purchases.ensure({ id: 'p0', collection: 1, character: 1, account: 'carol', packsWanted: WANTED });
  const claim = await ledger.claims.claim({
    currency: 'TON', account: 'carol', target: '1:1', method: 'ton', packs, wanted: WANTED,
    amountFor: (n) => toNano('2.5') * BigInt(n) + 10n, limits: { total: toNano('100') },
  });
  if (!claim.ok) throw new Error('claim refused');
  await ledger.orders.insert({
    orderId: 'old1', purchaseId: 'p0', method: 'ton', account: 'carol', collection: 1, character: 1, count: packs,
    currency: 'TON', amount: toNano('2.5') * BigInt(packs), destination: 'store', expiresAt: Date.now() + 300_000,
  });
  await ledger.budget.attach(claim.reservation.id, 'old1');
  await ledger.recordIntent({ idempotencyKey: 'k-old1', orderId: 'old1', method: 'ton', currency: 'TON', amount: toNano('2.5') * BigInt(packs), destination: 'store', payload: { seqno: 0 } });
  await ledger.settle({ idempotencyKey: 'k-old1', orderId: 'old1', reservationId: claim.reservation.id, outcome: 'unknown', reason: 'not confirmed before the run ended' });
}
