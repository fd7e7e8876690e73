/** A payer spawned at arming: before the drop it claims its first order's packs and budget in the ledger and waits;
 *  the stock report leads straight to the order request with no ledger write before it; a claim the stock cannot fill
 *  shrinks with the order; a claim no order used goes back (a stop or a sell-out before the drop, the run's end, a
 *  restart after a crash). The payment method is in memory; the ledger is real SQLite. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor, type ActorRefFrom } from 'xstate';
import { sql } from 'kysely';
import { pino } from 'pino';
import { payerMachine, type PayerInput, type PayerOutput } from '../../../../core/actors/payer.js';
import { payerParent } from './payer-parent.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { PaymentAttempt, PaymentSteps, StoreOrder } from '../../../../core/plugins/payment.js';

const TIMEOUT = { timeout: 5_000 };

/** Rows SQLite has changed on the ledger's connection so far: any ledger write moves it. */
async function ledgerChanges(ledger: Ledger): Promise<number> {
  const { rows } = await sql<{ n: number }>`select total_changes() as n`.execute(ledger.db);
  return rows[0]!.n;
}

/** A store and wallet in memory that note, for every order request, how many ledger writes had happened by then. */
class ArmedMethod implements PaymentSteps {
  readonly perPack = toNano('2.5');
  /** Ledger changes counted when each order request went out. */
  readonly changesAtRequest: number[] = [];
  readonly orders: StoreOrder[] = [];
  /** The order in which the payer asked for prices and orders. */
  readonly calls: ('quote' | 'order')[] = [];
  private n = 0;

  constructor(private readonly ledger: () => Ledger) {}

  async quote(): Promise<Units> {
    this.calls.push('quote');
    return this.perPack;
  }

  async createOrder(_t: unknown, count: number, opts: { onSent: () => void }): Promise<StoreOrder> {
    this.calls.push('order');
    opts.onSent();
    this.changesAtRequest.push(await ledgerChanges(this.ledger()));
    const o: StoreOrder = { orderId: `o${++this.n}`, count, currency: 'TON', amount: this.perPack * BigInt(count), destination: 'store', expiresAt: Date.now() + 300_000 };
    this.orders.push(o);
    return o;
  }

  async check(): Promise<string | null> {
    return null;
  }

  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    return {
      idempotencyKey: `k-${order.orderId}`, payload: {},
      send: async () => undefined,
      confirm: async () => ({ outcome: 'paid', txHash: `tx-${order.orderId}`, fee: 0n }),
      dispose: () => undefined,
    };
  }
}

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: 10 });
  await ledger.purchases.setState('p1', 'arming');
  await ledger.purchases.setState('p1', 'armed');
});
afterEach(async () => {
  await ledger.close();
});

/** A payer spawned at arming (no stock seen yet), for a target of `wanted` packs at most 3 TON each. */
function arm(method: ArmedMethod, over: Partial<PayerInput> = {}) {
  const input: PayerInput = {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: method, quota: new TargetQuota(10), ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000 },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 0, observedAt: 0, armAhead: true,
    ...over,
  };
  const actor = createActor(payerParent(input));
  actor.start();
  const payer = actor.getSnapshot().children['payer' as never] as unknown as ActorRefFrom<typeof payerMachine>;
  return { actor, payer, input };
}

/** The payer, waiting for the drop with its claim in the ledger. */
async function armed(payer: ActorRefFrom<typeof payerMachine>) {
  return waitFor(payer, (s) => s.value === 'armed' && s.context.reservationId !== 0, TIMEOUT);
}

const ended = (actor: { getSnapshot(): { context: { output: PayerOutput | undefined } } }) =>
  waitFor(actor as never, () => actor.getSnapshot().context.output !== undefined, TIMEOUT).then(() => actor.getSnapshot().context.output!);

describe('a payer armed before the drop', () => {
  it('waits for stock with its first order\'s packs and budget already held in the ledger', async () => {
    const m = new ArmedMethod(() => ledger);
    const quota = new TargetQuota(10);
    const { payer } = arm(m, { quota });
    await armed(payer);
    const [claim] = await ledger.budget.list({ state: 'held' });
    // Five packs, what one order may carry, at the 3 TON maximum plus the fee allowance; no order yet.
    expect(claim).toMatchObject({ packs: 5, method: 'ton', amount: toNano('15') + 10n, orderId: null });
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 0, held: 5 });
    expect(quota.claim(10)).toBe(5);
    expect(m.orders).toEqual([]);
  });

  it('sends its first order on the stock report with no ledger write before the request', async () => {
    const m = new ArmedMethod(() => ledger);
    const { actor, payer } = arm(m);
    await armed(payer);
    const before = await ledgerChanges(ledger);
    payer.send({ type: 'STOCK', left: 50, observedAt: performance.now() });
    await waitFor(payer, () => m.changesAtRequest.length > 0, TIMEOUT);
    expect(m.changesAtRequest[0]).toBe(before);
    // The price, not known before the drop, is asked for alongside the order, never ahead of it.
    expect(m.calls.slice(0, 2)).toEqual(['order', 'quote']);
    expect((await ended(actor)).reason).toBe('target reached');
    // The claim made at arming became the first order's reservation, and the purchase moved to buying with it.
    const [first] = await ledger.budget.list({ orderId: 'o1' });
    expect(first).toMatchObject({ state: 'consumed', packs: 5 });
    expect((await ledger.purchases.get('p1'))?.state).toBe('buying');
    expect(m.orders.map((o) => o.count)).toEqual([5, 5]);
  });

  it('orders only the packs the stock shows and gives the rest of its claim back to the target', async () => {
    const m = new ArmedMethod(() => ledger);
    const quota = new TargetQuota(10);
    const { actor, payer } = arm(m, { quota, policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 200 } });
    await armed(payer);
    payer.send({ type: 'STOCK', left: 2, observedAt: performance.now() });
    await waitFor(payer, (s) => s.matches('confirming') || s.matches('settled') || s.matches('planning') || s.status === 'done', TIMEOUT);
    payer.send({ type: 'SOLD_OUT' });
    expect((await ended(actor)).reason).toBe('sold out');
    expect(m.orders.map((o) => o.count)).toEqual([2]);
    // The order's reservation shrank to its two packs and its amount: three packs went back, in the ledger and the quota.
    const [r] = await ledger.budget.list({ orderId: 'o1' });
    expect(r).toMatchObject({ packs: 2, amount: toNano('5') });
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 2, held: 0 });
    expect(quota.claim(10)).toBe(8);
  });

  it('releases its unused claim when the run stops before the drop', async () => {
    const m = new ArmedMethod(() => ledger);
    const quota = new TargetQuota(10);
    const { actor, payer } = arm(m, { quota });
    await armed(payer);
    payer.send({ type: 'STOP' });
    expect((await ended(actor)).reason).toBe('stopped');
    await expect.poll(() => ledger.budget.list({ state: 'held' })).toEqual([]);
    expect(await ledger.budget.committed('TON')).toBe(0n);
    expect(quota.claim(10)).toBe(10);
    expect(m.orders).toEqual([]);
  });

  it('releases its unused claim when the character sells out before the drop reaches it', async () => {
    const m = new ArmedMethod(() => ledger);
    const quota = new TargetQuota(10);
    const { actor, payer } = arm(m, { quota });
    await armed(payer);
    payer.send({ type: 'SOLD_OUT' });
    expect((await ended(actor)).reason).toBe('sold out');
    await expect.poll(() => ledger.budget.list({ state: 'held' })).toEqual([]);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 0, held: 0 });
    expect(quota.claim(10)).toBe(10);
  });

  it('finishes a claim a stop interrupted, then releases it', async () => {
    const m = new ArmedMethod(() => ledger);
    const { actor, payer } = arm(m);
    // The claim's transaction is under way: the stop arrives before it is in the ledger.
    expect(payer.getSnapshot().value).toBe('claiming');
    payer.send({ type: 'STOP' });
    expect((await ended(actor)).reason).toBe('stopped');
    await expect.poll(() => ledger.budget.list({ state: 'held' })).toEqual([]);
    expect(await ledger.budget.list({ state: 'released' })).toHaveLength(1);
  });

  it('claims nothing ahead without a maximum price (the amount needs the quote) or in a dry run, and buys at the stock report', async () => {
    for (const over of [{ target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: null } }, { dryRun: true }] as Partial<PayerInput>[]) {
      const m = new ArmedMethod(() => ledger);
      const { actor, payer } = arm(m, over);
      await waitFor(payer, (s) => s.value === 'armed', TIMEOUT);
      expect(await ledger.budget.list()).toEqual([]);
      payer.send({ type: 'STOP' });
      await ended(actor);
    }
  });

  it('leaves its claim to the sweep when the process dies before the drop: a restart releases it', async () => {
    const m = new ArmedMethod(() => ledger);
    const { actor, payer } = arm(m);
    await armed(payer);
    // A SIGKILL: the actors vanish without releasing anything.
    actor.stop();
    expect(await ledger.budget.list({ state: 'held' })).toHaveLength(1);
    const swept = await ledger.sweepAbandoned(Date.now() + 1);
    expect(swept.reservations).toHaveLength(1);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 0, held: 0 });
  });

  it('leaves its claim to the run\'s end when its own release never reached the ledger', async () => {
    const m = new ArmedMethod(() => ledger);
    const { actor, payer } = arm(m);
    await armed(payer);
    actor.stop();
    const attached = await ledger.claims.claim({
      currency: 'TON', account: 'alice', target: '1:1', method: 'ton', packs: 1, wanted: 10, amountFor: () => toNano('3'), limits: { total: toNano('100') },
    });
    if (!attached.ok) throw new Error('claim refused');
    await ledger.recordOrder({ orderId: 'live', purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: 1, currency: 'TON', amount: toNano('2.5'), destination: 'store', expiresAt: Date.now() + 60_000 }, attached.reservation.id);
    const released = await ledger.releaseUnattached(Date.now() + 1);
    expect(released).toHaveLength(1);
    // The claim with an order stays held: its order settles it.
    expect((await ledger.budget.list({ state: 'held' })).map((r) => r.orderId)).toEqual(['live']);
  });
});
