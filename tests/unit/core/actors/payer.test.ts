import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor, type ActorRefFrom } from 'xstate';
import { pino } from 'pino';
import { payerMachine, type PayerInput, type PayerOutput } from '../../../../core/actors/payer.js';
import { payerParent } from './payer-parent.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { PaymentAttempt, PaymentSteps, Settlement, StoreOrder } from '../../../../core/plugins/payment.js';
import { StoreRateLimited, StoreRejected } from '../../../../core/store/store-error.js';

/** A payment method whose store and wallet are in memory: the contract boundary, scripted per test. */
class ScriptedMethod implements PaymentSteps {
  quotePerPack = toNano('2.5');
  /** Amount per pack the "store" asks in its orders. */
  askPerPack = toNano('2.5');
  expiresInMs = 300_000;
  outOfStock = false;
  /** The next N order requests are held back by the limiter (never sent). */
  rateLimitedOrders = 0;
  /** How far ahead the limiter's retry time lies for each held order, ms. */
  holdMs = 50;
  /** Who holds the orders back: the host's limiter (StoreRateLimited), or the plugin itself with an error built by
   *  hand in the documented shape (no automint class: a plugin bundling its own copy of the SDK). */
  heldBy: 'host' | 'plugin' = 'host';
  /** Every order request, when it came and, for a held one, the retry time the limiter gave. */
  orderCalls: { at: number; retryAt?: number }[] = [];
  /** The next N order requests are refused: the account holds too many unpaid orders. */
  unpaidLimitOrders = 0;
  settlement: (key: string) => Settlement = (key) => ({ outcome: 'paid', txHash: `tx-${key}`, fee: 5n });
  orders: StoreOrder[] = [];
  sent: string[] = [];
  intentOnRecordWhenSent: boolean[] = [];
  private n = 0;

  constructor(private readonly ledger: () => Ledger) {}

  async quote(): Promise<Units> {
    return this.quotePerPack;
  }

  async createOrder(_t: unknown, count: number, opts: { onSent: () => void }): Promise<StoreOrder> {
    const at = Date.now();
    if (this.rateLimitedOrders > 0) {
      this.rateLimitedOrders--;
      const retryAt = at + this.holdMs;
      this.orderCalls.push({ at, retryAt });
      if (this.heldBy === 'plugin') throw Object.assign(new Error('voucher issuer busy'), { code: 'VOUCHER_BUSY', details: { rateLimited: true, retryAt } });
      throw new StoreRateLimited(retryAt, { op: 'buyTon', pool: 'account:alice', reason: 'circuit open' });
    }
    this.orderCalls.push({ at });
    opts.onSent();
    if (this.unpaidLimitOrders > 0) {
      this.unpaidLimitOrders--;
      throw new StoreRejected('too_many_unpaid_orders', 409, { op: 'buyTon', url: 'http://store/api/v1/shop/buy/crypto' });
    }
    if (this.outOfStock) throw new StoreRejected('sold_out', 409, { op: 'buyTon', url: 'http://store/api/v1/shop/buy/crypto' });
    const o: StoreOrder = { orderId: `o${++this.n}`, count, currency: 'TON', amount: this.askPerPack * BigInt(count), destination: 'store', expiresAt: Date.now() + this.expiresInMs };
    this.orders.push(o);
    return o;
  }

  async check(): Promise<string | null> {
    return null;
  }

  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    const key = `k-${order.orderId}`;
    return {
      idempotencyKey: key,
      payload: { seqno: 1 },
      send: async () => {
        this.intentOnRecordWhenSent.push((await this.ledger().intents.get(key)) !== undefined);
        this.sent.push(order.orderId);
      },
      confirm: async () => this.settlement(key),
      dispose: () => undefined,
    };
  }
}

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: 10 });
});
afterEach(async () => {
  await ledger.close();
});

function start(method: ScriptedMethod, over: Partial<PayerInput> = {}) {
  const input: PayerInput = {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: method, quota: new TargetQuota(10), ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000 },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 50, observedAt: performance.now(),
    ...over,
  };
  const actor = createActor(payerParent(input));
  actor.start();
  const payer = actor.getSnapshot().children['payer' as never] as unknown as ActorRefFrom<typeof payerMachine>;
  return { actor, payer, input };
}

const done = (a: { getSnapshot(): { context: { output: PayerOutput | undefined } } }): PayerOutput | undefined => a.getSnapshot().context.output;

describe('payer', () => {
  it('pays orders until the target count is reached, each recorded before it is sent', async () => {
    const m = new ScriptedMethod(() => ledger);
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('target reached');
    expect(actor.getSnapshot().context.reports.map((r) => (r.type === 'PAYER.PAID' ? r.orderId : r.type))).toEqual(['o1', 'o2']);
    expect(m.sent).toEqual(['o1', 'o2']);
    expect(m.intentOnRecordWhenSent).toEqual([true, true]);
    const orders = await ledger.orders.list();
    expect(orders.map((o) => o.state)).toEqual(['paid', 'paid']);
    // Spent is what the orders cost plus their fees (5 nanotons each here).
    expect(await ledger.budget.spent('TON')).toBe(toNano('25') + 10n);
    expect(await ledger.budget.committed('TON')).toBe(toNano('25') + 10n);
    expect((await ledger.intents.forOrder('o1'))[0]).toMatchObject({ state: 'confirmed', txHash: 'tx-k-o1', fee: 5n });
  });

  it('refuses an order above the quote: nothing is sent, the order is refused and its budget released', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.askPerPack = toNano('2.9'); // below the max price, above quote + 1%
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toMatch(/^refused: .*above quote/);
    expect(m.sent).toEqual([]);
    expect((await ledger.orders.get('o1'))?.state).toBe('refused');
    expect(await ledger.intents.forOrder('o1')).toEqual([]);
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });

  it('refuses an order that is about to expire without paying it', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.expiresInMs = 5_000;
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toMatch(/expires in/);
    expect(m.sent).toEqual([]);
    expect((await ledger.orders.list({ state: 'paid' }))).toEqual([]);
  });

  it('stops with "budget exhausted" and creates no order when the budget cannot hold one pack', async () => {
    const m = new ScriptedMethod(() => ledger);
    const { actor } = start(m, { budget: toNano('2') });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('budget exhausted');
    expect(m.orders).toEqual([]);
  });

  it('shrinks an order to the packs the budget can hold, and gives the rest back to the target', async () => {
    const m = new ScriptedMethod(() => ledger);
    const quota = new TargetQuota(10);
    const { actor } = start(m, { budget: toNano('10'), quota });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('budget exhausted');
    // Held at the 3 TON maximum per pack, 10 TON holds three packs, not the five planned.
    expect(m.orders.map((o) => o.count)).toEqual([3]);
    expect(m.sent).toEqual(['o1']);
    expect(quota.claim(10)).toBe(7);
    expect(await ledger.budget.committed('TON')).toBeLessThanOrEqual(toNano('10'));
  });

  it('never spends more than the budget across orders', async () => {
    const m = new ScriptedMethod(() => ledger);
    const { actor } = start(m, { budget: toNano('16') });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('budget exhausted');
    // 5 packs spend 12.5 TON; the 3.5 left holds one more pack at the 3 TON maximum.
    expect(m.orders.map((o) => o.count)).toEqual([5, 1]);
    expect(m.sent).toEqual(['o1', 'o2']);
    expect(await ledger.budget.committed('TON')).toBeLessThanOrEqual(toNano('16'));
  });

  it('waits for stock after a sold-out refusal instead of retrying the order', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.outOfStock = true;
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'waiting', { timeout: 5000 });
    expect(await ledger.budget.committed('TON')).toBe(0n);
    m.outOfStock = false;
    payer.send({ type: 'STOCK', left: 10, observedAt: performance.now() });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(m.sent).toEqual(['o1', 'o2']);
  });

  it('stops buying and keeps the budget held and the packs claimed when a payment outcome is unknown', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.settlement = () => ({ outcome: 'unknown', reason: 'chain unreachable' });
    const quota = new TargetQuota(5);
    const { actor } = start(m, { quota });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toMatch(/outcome unknown \(chain unreachable\)/);
    expect((await ledger.orders.get('o1'))?.state).toBe('unknown');
    expect((await ledger.intents.forOrder('o1'))[0]?.state).toBe('unknown');
    expect(await ledger.budget.committed('TON')).toBeGreaterThan(0n);
    expect(quota.claim(5)).toBe(0);
    expect(m.sent).toEqual(['o1']);
  });

  it('releases budget and packs when the payment certainly did not happen', async () => {
    const m = new ScriptedMethod(() => ledger);
    let first = true;
    m.settlement = (key) => {
      if (first) {
        first = false;
        return { outcome: 'not-paid', reason: 'expired unsent' };
      }
      return { outcome: 'paid', txHash: `tx-${key}`, fee: 1n };
    };
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect((await ledger.orders.get('o1'))?.state).toBe('failed');
    expect((await ledger.orders.list({ state: 'paid' })).length).toBe(2);
    expect(await ledger.budget.spent('TON')).toBe(toNano('25') + 2n);
  });

  it('creates no order in a dry run', async () => {
    const m = new ScriptedMethod(() => ledger);
    const { actor } = start(m, { dryRun: true });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toMatch(/^dry run/);
    expect(m.orders).toEqual([]);
  });

  it('ends instead of waiting forever when the character sells out while an order is in flight', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.outOfStock = true;
    const { actor, payer } = start(m);
    payer.send({ type: 'SOLD_OUT' });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('sold out');
  });

  it('asks for a fresh look at the stock when an order is refused for lack of it', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.outOfStock = true;
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'waiting', { timeout: 5000 });
    expect(actor.getSnapshot().context.reports).toContainEqual({ type: 'PAYER.OUT_OF_STOCK', method: 'ton' });
  });

  it('gives up after the allowed number of payments that did not happen, without ordering in a tight loop', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.settlement = () => ({ outcome: 'not-paid', reason: 'expired unsent' });
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(m.orders.length).toBe(2);
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });

  it('finishes a payment being confirmed before it stops', async () => {
    const m = new ScriptedMethod(() => ledger);
    let confirm!: (s: Settlement) => void;
    m.settlement = () => ({ outcome: 'paid', txHash: 'tx', fee: 1n });
    const original = m.prepare.bind(m);
    m.prepare = async (order) => {
      const attempt = await original(order);
      return { ...attempt, confirm: () => new Promise<Settlement>((r) => (confirm = r)) };
    };
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'confirming', { timeout: 5000 });
    payer.send({ type: 'STOP' });
    expect(payer.getSnapshot().value).toBe('confirming');
    confirm({ outcome: 'paid', txHash: 'tx-1', fee: 1n });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('stopped');
    expect((await ledger.orders.get('o1'))?.state).toBe('paid');
    expect(m.orders).toHaveLength(1);
  });

  it('waits, instead of giving up, while the budget is only held by other orders in flight', async () => {
    const other = await ledger.budget.reserve({ currency: 'TON', amount: toNano('98'), account: 'bob', target: '1:1', limits: { total: toNano('100') } });
    if (!other.ok) throw new Error('setup: reservation refused');
    const m = new ScriptedMethod(() => ledger);
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'waiting', { timeout: 5000 });
    expect(m.orders).toEqual([]);
    await ledger.budget.release(other.reservation.id);
    payer.send({ type: 'STOCK', left: 50, observedAt: performance.now() });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('target reached');
  });

  it('claims only the packs another process has left, waits while that process holds the rest, and ends when they are paid', async () => {
    // Another run on the same ledger holds 8 of the 10 packs: this payer's own quota knows nothing of it.
    const other = await ledger.claims.claim({ currency: 'TON', account: 'bob', target: '1:1', method: 'ton', packs: 8, wanted: 10, amountFor: (n) => toNano('3') * BigInt(n), limits: { total: toNano('100') } });
    if (!other.ok) throw new Error('setup: claim refused');
    const m = new ScriptedMethod(() => ledger);
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'waiting', { timeout: 5000 });
    expect(m.orders.map((o) => o.count)).toEqual([2]);
    expect(await ledger.claims.tally('1:1')).toEqual({ paid: 2, held: 8 });
    await ledger.budget.consume(other.reservation.id);
    payer.send({ type: 'STOCK', left: 50, observedAt: performance.now() });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('target reached');
    expect(m.orders.map((o) => o.count)).toEqual([2]);
  });

  it('waits as long as the limiter says when it holds an order back, without counting a failure', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.rateLimitedOrders = 5; // more than maxFailures: holds must not use up the payer's failures
    m.holdMs = 150; // well above retryDelayMs (10), below maxHoldMs (1000): only the limiter's time explains the wait
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'holding', { timeout: 5000 });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('target reached');
    expect(m.sent).toEqual(['o1', 'o2']);
    // Each order request after a held one came no sooner than the retry time the limiter gave.
    const held = m.orderCalls.flatMap((c, i) => (c.retryAt === undefined ? [] : [{ retryAt: c.retryAt, next: m.orderCalls[i + 1] }]));
    expect(held).toHaveLength(5);
    for (const h of held) expect(h.next?.at).toBeGreaterThanOrEqual(h.retryAt);
  });

  it('waits out a plugin\'s own rate-limit error, built by hand in the documented shape, without counting a failure', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.heldBy = 'plugin';
    m.rateLimitedOrders = 5; // more than maxFailures
    m.holdMs = 150;
    const { actor, payer } = start(m);
    await waitFor(payer, (s) => s.value === 'holding', { timeout: 5000 });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('target reached');
    const held = m.orderCalls.flatMap((c, i) => (c.retryAt === undefined ? [] : [{ retryAt: c.retryAt, next: m.orderCalls[i + 1] }]));
    expect(held).toHaveLength(5);
    for (const h of held) expect(h.next?.at).toBeGreaterThanOrEqual(h.retryAt);
  });

  it('holds and asks again when the store refuses for too many unpaid orders (a crashed run left some), without counting failures', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.unpaidLimitOrders = 2; // as many as maxFailures: counted as failures, they would end the payer
    const { actor, payer } = start(m, { policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 2_000 } });
    await waitFor(payer, (s) => s.value === 'holding', { timeout: 5000 });
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 10_000 });
    expect(done(actor)?.reason).toBe('target reached');
    expect(m.sent).toEqual(['o1', 'o2']);
    expect(await ledger.budget.committed('TON')).toBeLessThanOrEqual(toNano('100'));
  });

  it('gives up when the store keeps refusing for unpaid orders longer than twice the longest wait', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.unpaidLimitOrders = 1_000;
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 10_000 });
    expect(done(actor)?.reason).toMatch(/too many unpaid orders/);
    expect(m.sent).toEqual([]);
  });

  it('ends instead of waiting forever when stock reports stop coming', async () => {
    const m = new ScriptedMethod(() => ledger);
    m.outOfStock = true;
    const { actor } = start(m);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5000 });
    expect(done(actor)?.reason).toBe('no stock report for 1 s');
  });
});
