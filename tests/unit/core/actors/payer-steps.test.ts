import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, toPromise, type AnyActorLogic } from 'xstate';
import { pino } from 'pino';
import type { HeldPayment, OwnSettlements, UnknownPayments } from '../../../../core/actors/unknown-payments.js';
import {
  amountToHold, BudgetExhausted, confirmStep, orderStep, PacksClaimed, plan, planStep, recordStep, reserveStep, UNPAID_LIMIT_HOLD_MS, UNPAID_OWN_HOLD_MS,
  UnpaidOrdersLimit, verifyStep, type PayerInput,
} from '../../../../core/actors/payer-steps.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { OrderRefused } from '../../../../core/actors/order-verification.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { PaymentAttempt, PaymentSteps, Settlement, StoreOrder } from '../../../../core/plugins/payment.js';
import { StoreRejected } from '../../../../core/store/store-error.js';

/** Each payer step on its own, against a real ledger in memory: the amounts, limits and error paths the statechart's
 *  tests only pass through. */

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: 10 });
});
afterEach(async () => {
  vi.useRealTimers();
  await ledger.close();
});

const FEE = 10n;

/** A payment method whose answers each test sets. */
function steps(over: Partial<PaymentSteps> = {}): PaymentSteps {
  return {
    quote: async () => toNano('2.5'),
    createOrder: async (_t, count) => order({ count }),
    check: async () => null,
    prepare: async () => { throw new Error('not prepared in this test'); },
    ...over,
  };
}

let orderN = 0;
function order(over: Partial<StoreOrder> = {}): StoreOrder {
  const count = over.count ?? 2;
  return { orderId: `o${++orderN}`, count, currency: 'TON', amount: toNano('2.5') * BigInt(count), destination: 'store', expiresAt: Date.now() + 300_000, ...over };
}

function payerInput(over: Partial<PayerInput> = {}): PayerInput {
  return {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: steps(), quota: new TargetQuota(10), ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: FEE, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000 },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 50, observedAt: performance.now(),
    ...over,
  };
}

/** Runs one step actor to its end. */
function run<T extends AnyActorLogic>(logic: T, input: unknown): Promise<unknown> {
  const actor = createActor(logic, { input } as never);
  const done = toPromise(actor);
  actor.start();
  return done;
}

/** Claims packs and money as the payer does before an order. */
async function reserve(input: PayerInput, count: number, quote: Units | null = null) {
  return (await run(reserveStep, { input, count, quote })) as { reservationId: number; held: Units; count: number };
}

describe('plan', () => {
  it('waits when no stock is left, and claims at most one order of what is left', () => {
    const input = payerInput();
    expect(plan(input, 0, false)).toEqual({ kind: 'wait' });
    expect(plan(input, 3, false)).toEqual({ kind: 'order', count: 3 });
    expect(plan(input, 50, false)).toEqual({ kind: 'order', count: 5 });
    // 8 of 10 packs are claimed now: 2 are left to claim.
    expect(input.quota.claim(10, 'ton')).toBe(2);
  });

  it('ends on a reached target before a sold-out report, and on a reached share', () => {
    const reached = payerInput({ quota: new TargetQuota(0) });
    expect(plan(reached, 5, true)).toEqual({ kind: 'done', reason: 'target reached' });
    expect(plan(payerInput(), 5, true)).toEqual({ kind: 'done', reason: 'sold out' });
    const shared = new TargetQuota(0 + 10, undefined, { ton: 0, stars: 10 });
    expect(plan(payerInput({ quota: shared }), 5, false)).toEqual({ kind: 'done', reason: 'share reached' });
  });
});

describe('planStep with in-run reconciliation', () => {
  const held: HeldPayment = { orderId: 'o9', method: 'ton', account: 'alice', target: '1:1', count: 2, currency: 'TON', amount: toNano('5'), reason: 'not confirmed' };

  /** The run's reconciliation as the payer sees it, answering as told and counting what it was asked. */
  function port(answers: { own?: OwnSettlements; holding?: { share: boolean; payments: readonly HeldPayment[] } | null }) {
    const asked = { settlementsOf: 0, holdingAll: 0, rounds: 0 };
    const unknownPayments: UnknownPayments = {
      giveUpAfterMs: 60_000,
      settlementsOf: async () => { asked.settlementsOf++; return answers.own ?? { held: [], notPaid: [] }; },
      holdingAll: async () => { asked.holdingAll++; return answers.holding ?? null; },
      requestRound: () => { asked.rounds++; return 12_345; },
    };
    return { unknownPayments, asked };
  }

  const planned = (input: PayerInput, left: number, unsettled: readonly string[] = []) =>
    run(planStep, { input, left, soldOut: false, unsettled });

  it('asks about its own unknown payments only when it has some', async () => {
    const { unknownPayments, asked } = port({});
    expect(await planned(payerInput({ unknownPayments }), 3)).toEqual({ kind: 'order', count: 3 });
    expect(asked.settlementsOf).toBe(0);
  });

  it('its own payment still unknown holds it; proven not paid is a failure to retry; settled paid lets it plan on', async () => {
    const stillUnknown = port({ own: { held: [held], notPaid: [] } });
    expect(await planned(payerInput({ unknownPayments: stillUnknown.unknownPayments }), 3, ['o9']))
      .toEqual({ kind: 'held', by: 'own', payments: [held], retryAt: 12_345 });
    const notPaid = port({ own: { held: [], notPaid: ['o9'] } });
    expect(await planned(payerInput({ unknownPayments: notPaid.unknownPayments }), 3, ['o9'])).toEqual({ kind: 'not-paid', orderIds: ['o9'] });
    const paid = port({ own: { held: [], notPaid: [] } });
    expect(await planned(payerInput({ unknownPayments: paid.unknownPayments }), 3, ['o9'])).toEqual({ kind: 'order', count: 3 });
  });

  it('asks whether unknown payments hold every pack only when stock is seen and no pack is free', async () => {
    const holding = { share: false, payments: [held] };
    // Free packs: an order, whatever the ledger would say.
    const free = port({ holding });
    expect(await planned(payerInput({ unknownPayments: free.unknownPayments }), 3)).toEqual({ kind: 'order', count: 3 });
    expect(free.asked.holdingAll).toBe(0);
    // No stock: a wait.
    const none = port({ holding });
    expect(await planned(payerInput({ unknownPayments: none.unknownPayments }), 0)).toEqual({ kind: 'wait' });
    expect(none.asked.holdingAll).toBe(0);
    // Stock, every pack claimed: held by the target's unknown payments, or the share's, or a plain wait.
    for (const [answer, expected] of [
      [holding, { kind: 'held', by: 'target', payments: [held], retryAt: 12_345 }],
      [{ share: true, payments: [held] }, { kind: 'held', by: 'share', payments: [held], retryAt: 12_345 }],
      [null, { kind: 'wait' }],
    ] as const) {
      const quota = new TargetQuota(10);
      quota.claim(10, 'stars');
      const p = port({ holding: answer });
      expect(await planned(payerInput({ quota, unknownPayments: p.unknownPayments }), 3)).toEqual(expected);
      expect(p.asked.holdingAll).toBe(1);
    }
  });
});

describe('amountToHold', () => {
  it('holds the quote plus tolerance, capped by the maximum per pack, plus the fee allowance', () => {
    const input = payerInput();
    // 2.5 TON + 1 % = 2.525 TON a pack, under the 3 TON maximum.
    expect(amountToHold(input, 2, toNano('2.5'))).toBe(toNano('5.05') + FEE);
    // 3.2 TON + 1 % is over the maximum: the maximum counts.
    expect(amountToHold(input, 2, toNano('3.2'))).toBe(toNano('6') + FEE);
    // No quote yet: the maximum alone.
    expect(amountToHold(input, 2, null)).toBe(toNano('6') + FEE);
    const uncapped = payerInput({ target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: null } });
    expect(amountToHold(uncapped, 2, toNano('3.2'))).toBe(toNano('6.464') + FEE);
  });
});

describe('errors a payer reads', () => {
  it('an unpaid-orders refusal says when to ask again', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const e = new UnpaidOrdersLimit('too_many_unpaid_orders');
    expect(e.code).toBe('STORE_UNPAID_ORDERS_LIMIT');
    expect(e.details).toEqual({ errorCode: 'too_many_unpaid_orders', ownInFlight: 0, retryAt: 1_000_000 + UNPAID_LIMIT_HOLD_MS });
    expect(e.message).toContain('too_many_unpaid_orders');
    // Held by the account's own orders being paid: asked again soon, they free the slot as they settle.
    expect(new UnpaidOrdersLimit('too_many_unpaid_orders', 1).details).toMatchObject({ ownInFlight: 1, retryAt: 1_000_000 + UNPAID_OWN_HOLD_MS });
  });

  it('a budget refusal names the currency, the limit and what is committed', () => {
    const e = new BudgetExhausted({ currency: 'TON', reason: 'ACCOUNT', committed: '7', limit: '8' }, true);
    expect(e.code).toBe('BUDGET_EXHAUSTED');
    expect(e.message).toBe('TON budget (ACCOUNT) has no room: 7 of 8 committed');
    expect(e.details).toEqual({ currency: 'TON', reason: 'ACCOUNT', committed: '7', limit: '8', final: true });
    expect(e.final).toBe(true);
  });

  it('a packs refusal says whose packs: the target or the method share', () => {
    const target = new PacksClaimed({ target: '1:1', scope: 'TARGET', paid: 3, held: 2, limit: 5 }, false);
    expect(target.code).toBe('PACKS_CLAIMED');
    expect(target.message).toBe('every pack of target 1:1 is claimed in the ledger: 3 paid, 2 in flight of 5');
    expect(target.details).toEqual({ target: '1:1', scope: 'TARGET', paid: 3, held: 2, limit: 5, final: false });
    const share = new PacksClaimed({ target: '1:1', scope: 'METHOD', paid: 1, held: 0, limit: 1 }, true);
    expect(share.message).toBe("every pack of this method's share of target 1:1 is claimed in the ledger: 1 paid, 0 in flight of 1");
  });
});

describe('reserveStep', () => {
  it('holds the packs and their money in the ledger', async () => {
    const input = payerInput();
    const r = await reserve(input, 2, toNano('2.5'));
    expect(r).toMatchObject({ held: toNano('5.05') + FEE, count: 2 });
    expect(await ledger.budget.get(r.reservationId)).toMatchObject({ state: 'held', amount: toNano('5.05') + FEE, packs: 2, method: 'ton', account: 'alice', target: '1:1' });
  });

  it('keeps to the account budget: shrinks the order, then refuses (not final while only held)', async () => {
    const accountBudget = toNano('6') + FEE - 1n;
    const input = payerInput({ accountBudget });
    // 2 packs at the 3 TON maximum need 6 TON + one fee allowance, a unit more than the account may spend: 1 fits.
    const first = await reserve(input, 2);
    expect(first.count).toBe(1);
    const refused = await reserve(input, 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BudgetExhausted);
    expect((refused as BudgetExhausted).details).toMatchObject({ reason: 'ACCOUNT', limit: accountBudget.toString(), committed: (toNano('3') + FEE).toString() });
    // The total budget (100 TON) was never the limit, and another account is not held back.
    expect((await reserve(payerInput({ account: 'bob', accountBudget }), 1)).count).toBe(1);
    // Only held, nothing spent: the holds may shrink or free, so not final.
    expect((refused as BudgetExhausted).final).toBe(false);
  });

  it('keeps to the target budget across accounts', async () => {
    const input = payerInput({ targetBudget: toNano('3') + FEE });
    await reserve(input, 1);
    const bob = payerInput({ account: 'bob', targetBudget: toNano('3') + FEE });
    const refused = await reserve(bob, 1).catch((e: unknown) => e);
    expect((refused as BudgetExhausted).details).toMatchObject({ reason: 'TARGET' });
  });

  it('a budget refusal is final when what is spent plus the smallest order is over the limit, not when it fits exactly', async () => {
    const limit = toNano('6') + 2n * FEE;
    const input = payerInput({ budget: limit });
    // Spend exactly one pack's worth (3 TON + fee) on a paid order.
    const r = await reserve(input, 1);
    const o = order({ count: 1, amount: toNano('3') });
    await ledger.recordOrder({ orderId: o.orderId, purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: 1, currency: 'TON', amount: o.amount, destination: 'store', expiresAt: o.expiresAt ?? 0 }, r.reservationId);
    await ledger.recordIntent({ idempotencyKey: 'k1', orderId: o.orderId, method: 'ton', currency: 'TON', amount: o.amount, destination: 'store', payload: {} }, { reservationId: r.reservationId, amount: o.amount + FEE, packs: 1 });
    await ledger.settle({ idempotencyKey: 'k1', orderId: o.orderId, reservationId: r.reservationId, outcome: 'paid', txHash: 'tx', fee: FEE, spent: o.amount + FEE });
    // A hold of one more pack (3 TON + fee) leaves the budget full, exactly.
    await reserve(input, 1);
    const notFinal = await reserve(input, 1).catch((e: unknown) => e);
    expect((notFinal as BudgetExhausted).final).toBe(false);
    // One unit less budget: spent + smallest is over it.
    const tighter = payerInput({ budget: limit - 1n });
    const final = await reserve(tighter, 1).catch((e: unknown) => e);
    expect((final as BudgetExhausted).final).toBe(true);
  });

  it("a refusal is final by the money spent in the scope that refused: another account's or target's spending does not count", async () => {
    // Bob has paid 6 TON for another target.
    await ledger.purchases.ensure({ id: 'p2', collection: 1, character: 2, account: 'bob', packsWanted: 10 });
    const bob = payerInput({ purchaseId: 'p2', account: 'bob', target: { key: '1:2', collection: 1, character: 2, maxPricePerPack: toNano('3') } });
    const r = await reserve(bob, 2);
    await ledger.recordOrder({ orderId: 'bob-1', purchaseId: 'p2', method: 'ton', account: 'bob', collection: 1, character: 2, count: 2, currency: 'TON', amount: toNano('6'), destination: 'store', expiresAt: Date.now() + 300_000 }, r.reservationId);
    await ledger.recordIntent({ idempotencyKey: 'k-bob', orderId: 'bob-1', method: 'ton', currency: 'TON', amount: toNano('6'), destination: 'store', payload: {} }, { reservationId: r.reservationId, amount: toNano('6') + FEE, packs: 2 });
    await ledger.settle({ idempotencyKey: 'k-bob', orderId: 'bob-1', reservationId: r.reservationId, outcome: 'paid', txHash: 'tx', fee: FEE, spent: toNano('6') + FEE });
    // Alice's own limits are full of holds only, so waiting may free them: not final, whatever bob spent.
    const limit = toNano('3') + FEE;
    for (const over of [{ accountBudget: limit }, { targetBudget: limit }] as const) {
      const alice = payerInput(over);
      const held = await reserve(alice, 1);
      const refused = await reserve(alice, 1).catch((e: unknown) => e);
      expect((refused as BudgetExhausted).details).toMatchObject({ reason: 'accountBudget' in over ? 'ACCOUNT' : 'TARGET' });
      expect((refused as BudgetExhausted).final).toBe(false);
      await ledger.budget.release(held.reservationId);
    }
  });

  it('a refusal of the whole budget is final by everything spent, on every target', async () => {
    // Bob paid 6 TON + fee for another target; the whole budget is 9 TON + 2 fees, so one 3 TON pack is left to hold.
    await ledger.purchases.ensure({ id: 'p2', collection: 1, character: 2, account: 'bob', packsWanted: 10 });
    const budget = toNano('9') + 2n * FEE;
    const bob = payerInput({ purchaseId: 'p2', account: 'bob', budget, target: { key: '1:2', collection: 1, character: 2, maxPricePerPack: toNano('3') } });
    const r = await reserve(bob, 2);
    await ledger.recordOrder({ orderId: 'bob-1', purchaseId: 'p2', method: 'ton', account: 'bob', collection: 1, character: 2, count: 2, currency: 'TON', amount: toNano('6'), destination: 'store', expiresAt: Date.now() + 300_000 }, r.reservationId);
    await ledger.recordIntent({ idempotencyKey: 'k-bob', orderId: 'bob-1', method: 'ton', currency: 'TON', amount: toNano('6'), destination: 'store', payload: {} }, { reservationId: r.reservationId, amount: toNano('6') + FEE, packs: 2 });
    await ledger.settle({ idempotencyKey: 'k-bob', orderId: 'bob-1', reservationId: r.reservationId, outcome: 'paid', txHash: 'tx', fee: FEE, spent: toNano('6') + FEE });
    const alice = payerInput({ budget: budget - 1n });
    const refused = await reserve(alice, 1).catch((e: unknown) => e);
    expect((refused as BudgetExhausted).details).toMatchObject({ reason: 'TOTAL' });
    expect((refused as BudgetExhausted).final).toBe(true);
  });

  it('every pack claimed: a packs refusal, final only when the packs are paid', async () => {
    const input = payerInput({ quota: new TargetQuota(2) });
    await reserve(input, 2);
    const refused = await reserve(input, 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PacksClaimed);
    expect((refused as PacksClaimed).details).toMatchObject({ scope: 'TARGET', paid: 0, held: 2, limit: 2 });
    expect((refused as PacksClaimed).final).toBe(false);
  });

  it("a method's share caps its claims", async () => {
    const quota = new TargetQuota(4, undefined, { ton: 1, stars: 1 });
    const input = payerInput({ quota });
    const r = await reserve(input, 4);
    expect(r.count).toBe(2);
    const refused = await reserve(input, 1).catch((e: unknown) => e);
    expect((refused as PacksClaimed).details).toMatchObject({ scope: 'METHOD', limit: 2 });
  });
});

describe('orderStep', () => {
  it('an unpaid-orders refusal (any case) frees the hold and becomes UnpaidOrdersLimit', async () => {
    const input = payerInput({ steps: steps({ createOrder: async () => { throw new StoreRejected('TOO_MANY_UNPAID_ORDERS', 409, { op: 'buyTon', url: 'u' }); } }) });
    const r = await reserve(input, 1);
    const e = await run(orderStep, { input, count: 1, quote: null, reservationId: r.reservationId, observedAt: null }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnpaidOrdersLimit);
    expect((await ledger.budget.get(r.reservationId))?.state).toBe('released');
  });

  it('another refusal frees the hold and is passed on as it came', async () => {
    const refusal = new StoreRejected('sold_out', 409, { op: 'buyTon', url: 'u' });
    const input = payerInput({ steps: steps({ createOrder: async () => { throw refusal; } }) });
    const r = await reserve(input, 1);
    await expect(run(orderStep, { input, count: 1, quote: null, reservationId: r.reservationId, observedAt: null })).rejects.toBe(refusal);
    expect((await ledger.budget.get(r.reservationId))?.state).toBe('released');
  });

  it('an order id already in the ledger is not ours: the hold is freed and the other order left alone', async () => {
    const taken = order({ count: 1 });
    const input = payerInput({ steps: steps({ createOrder: async () => taken }) });
    const first = await reserve(input, 1);
    await run(orderStep, { input, count: 1, quote: toNano('2.5'), reservationId: first.reservationId, observedAt: null });
    const second = await reserve(input, 1);
    await expect(run(orderStep, { input, count: 1, quote: toNano('2.5'), reservationId: second.reservationId, observedAt: null })).rejects.toBeDefined();
    expect((await ledger.budget.get(second.reservationId))?.state).toBe('released');
    expect((await ledger.budget.get(first.reservationId))?.state).toBe('held');
    expect((await ledger.orders.get(taken.orderId))?.state).toBe('created');
  });

  it('an order whose price cannot be looked up is refused, never paid, and its hold freed', async () => {
    const input = payerInput({ steps: steps({ quote: async () => { throw new Error('price lookup failed'); } }) });
    const r = await reserve(input, 2);
    await expect(run(orderStep, { input, count: 2, quote: null, reservationId: r.reservationId, observedAt: null })).rejects.toThrow('price lookup failed');
    const [row] = await ledger.orders.list({ purchaseId: 'p1' });
    expect(row).toMatchObject({ state: 'refused' });
    expect(row?.reason).toContain('not verifiable: price lookup failed');
    expect((await ledger.budget.get(r.reservationId))?.state).toBe('released');
  });

  it('a known quote is used as it is; an unknown one is fetched alongside the order', async () => {
    let quoted = 0;
    const input = payerInput({ steps: steps({ quote: async () => { quoted++; return toNano('2.4'); } }) });
    const a = await reserve(input, 1);
    expect(await run(orderStep, { input, count: 1, quote: toNano('2.5'), reservationId: a.reservationId, observedAt: null })).toMatchObject({ quote: toNano('2.5') });
    expect(quoted).toBe(0);
    const b = await reserve(input, 1);
    expect(await run(orderStep, { input, count: 1, quote: null, reservationId: b.reservationId, observedAt: null })).toMatchObject({ quote: toNano('2.4') });
    expect(quoted).toBe(1);
  });
});

describe('verifyStep', () => {
  async function placed(input: PayerInput, o: StoreOrder) {
    const r = await reserve(input, o.count, toNano('2.5'));
    await ledger.recordOrder({ orderId: o.orderId, purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: o.count, currency: 'TON', amount: o.amount, destination: 'store', expiresAt: o.expiresAt ?? 0 }, r.reservationId);
    return r;
  }

  it("a method's refusal keeps its code, or METHOD_REFUSED without one, and the order is refused", async () => {
    const input = payerInput();
    for (const [o, code] of [[order({ count: 1, refusal: 'no wallet', refusalCode: 'NO_WALLET' }), 'NO_WALLET'], [order({ count: 1, refusal: 'nope' }), 'METHOD_REFUSED']] as const) {
      const r = await placed(input, o);
      const e = await run(verifyStep, { input, order: o, count: 1, quote: toNano('2.5'), held: r.held, reservationId: r.reservationId }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(OrderRefused);
      expect((e as OrderRefused).code).toBe(code);
      expect((e as OrderRefused).details).toMatchObject({ orderId: o.orderId });
      const row = await ledger.orders.get(o.orderId);
      expect(row?.state).toBe('refused');
      expect(row?.reason).toMatch(new RegExp(`^${code}: `));
      expect((await ledger.budget.get(r.reservationId))?.state).toBe('released');
    }
  });

  it('the order may cost what is held less the fee allowance, not one unit more', async () => {
    const input = payerInput();
    const fits = order({ count: 2, amount: toNano('5.05') });
    const r1 = await placed(input, fits);
    await run(verifyStep, { input, order: fits, count: 2, quote: toNano('2.5'), held: r1.held, reservationId: r1.reservationId });
    const over = order({ count: 2, amount: toNano('5.05') });
    const r2 = await placed(input, over);
    const e = await run(verifyStep, { input, order: over, count: 2, quote: toNano('2.5'), held: r2.held - 1n, reservationId: r2.reservationId }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OrderRefused);
  });

  it("the method's own check can refuse an order, with its words", async () => {
    const input = payerInput({ steps: steps({ check: async () => 'destination not verified' }) });
    const o = order({ count: 1 });
    const r = await placed(input, o);
    const e = await run(verifyStep, { input, order: o, count: 1, quote: toNano('2.5'), held: r.held, reservationId: r.reservationId }).catch((x: unknown) => x);
    expect((e as OrderRefused).code).toBe('METHOD_REFUSED');
    expect((e as OrderRefused).details).toMatchObject({ orderId: o.orderId });
    expect((await ledger.orders.get(o.orderId))?.reason).toContain('destination not verified');
  });

  it('an error that is not a refusal marks the order failed', async () => {
    const input = payerInput({ steps: steps({ check: async () => { throw new Error('socket closed'); } }) });
    const o = order({ count: 1 });
    const r = await placed(input, o);
    await expect(run(verifyStep, { input, order: o, count: 1, quote: toNano('2.5'), held: r.held, reservationId: r.reservationId })).rejects.toThrow('socket closed');
    expect(await ledger.orders.get(o.orderId)).toMatchObject({ state: 'failed', reason: 'socket closed' });
  });
});

describe('recordStep and confirmStep', () => {
  function attempt(key: string, confirm: () => Promise<Settlement>) {
    let disposed = 0;
    const a: PaymentAttempt = { idempotencyKey: key, payload: { seqno: 7 }, send: async () => undefined, confirm, dispose: () => { disposed++; } };
    return { a, disposed: () => disposed };
  }

  async function recorded(input: PayerInput, o: StoreOrder, key: string, confirm: () => Promise<Settlement>) {
    const r = await reserve(input, o.count, toNano('2.5'));
    await ledger.recordOrder({ orderId: o.orderId, purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: o.count, currency: 'TON', amount: o.amount, destination: 'store', expiresAt: o.expiresAt ?? 0 }, r.reservationId);
    const at = attempt(key, confirm);
    await run(recordStep, { input, order: o, attempt: at.a, reservationId: r.reservationId });
    return { r, at };
  }

  it('the intent is written with the hold shrunk to the order plus the fee allowance and its packs', async () => {
    const input = payerInput();
    const o = order({ count: 1, amount: toNano('2.4') });
    const { r } = await recorded(input, o, 'k-rec', async () => ({ outcome: 'unknown', reason: 'x' }));
    expect(await ledger.intents.get('k-rec')).toMatchObject({ orderId: o.orderId, amount: toNano('2.4'), payload: { seqno: 7 } });
    expect(await ledger.budget.get(r.reservationId)).toMatchObject({ amount: toNano('2.4') + FEE, packs: 1 });
  });

  it('paid consumes the amount plus the actual fee', async () => {
    const input = payerInput();
    const o = order({ count: 1, amount: toNano('2.4') });
    const { r, at } = await recorded(input, o, 'k-paid', async () => ({ outcome: 'paid', txHash: 'tx-1', fee: 3n }));
    expect(await run(confirmStep, { input, order: o, attempt: at.a, reservationId: r.reservationId })).toMatchObject({ outcome: 'paid' });
    expect(await ledger.budget.get(r.reservationId)).toMatchObject({ state: 'consumed', amount: toNano('2.4') + 3n });
    expect(await ledger.orders.get(o.orderId)).toMatchObject({ state: 'paid' });
    expect(at.disposed()).toBe(1);
  });

  it('a confirmation that throws is unknown: the hold stays, the attempt is disposed', async () => {
    const input = payerInput();
    const o = order({ count: 1 });
    const { r, at } = await recorded(input, o, 'k-unk', async () => { throw new Error('indexer down'); });
    expect(await run(confirmStep, { input, order: o, attempt: at.a, reservationId: r.reservationId })).toEqual({ outcome: 'unknown', reason: 'indexer down' });
    expect(await ledger.budget.get(r.reservationId)).toMatchObject({ state: 'held' });
    expect((await ledger.intents.get('k-unk'))?.state).toBe('unknown');
    expect(at.disposed()).toBe(1);
  });

  it('not paid frees the hold', async () => {
    const input = payerInput();
    const o = order({ count: 1 });
    const { r, at } = await recorded(input, o, 'k-np', async () => ({ outcome: 'not-paid', reason: 'expired' }));
    await run(confirmStep, { input, order: o, attempt: at.a, reservationId: r.reservationId });
    expect(await ledger.budget.get(r.reservationId)).toMatchObject({ state: 'released' });
    expect((await ledger.intents.get('k-np'))?.state).toBe('failed');
    expect((await ledger.orders.get(o.orderId))?.state).toBe('failed');
  });
});
