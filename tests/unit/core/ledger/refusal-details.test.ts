/** Every refusal of the ledger says what a person needs to act on it: its stable code, a message naming the order,
 *  intent or reservation and what was wrong, and the same facts as details (what logs and spans carry). A refusal
 *  whose message or details went missing would leave an operator with "INVALID_INPUT" and nothing else. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { checkTransition, ORDER_TRANSITIONS } from '../../../../core/ledger/transitions.js';
import { toNano } from '../../../../core/money.js';
import { PURCHASE, reservedOrder, seedPurchase, tonIntent, tonOrder } from './ledger-fixtures.js';

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await seedPurchase(ledger);
});
afterEach(() => ledger.close());

/** What `step` was refused with: code, message and details, exactly. */
async function refusal(step: () => unknown): Promise<{ code: string; message: string; details: Readonly<Record<string, unknown>> }> {
  let caught: unknown;
  try {
    await step();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LedgerError);
  const e = caught as LedgerError;
  return { code: e.code, message: e.message, details: e.details };
}

const LIMITS = { total: toNano('100') };
const reserve = (overrides: Record<string, unknown> = {}) =>
  ledger.budget.reserve({ currency: 'TON', amount: toNano('4'), account: 'alice', target: '19:2', limits: LIMITS, ...overrides });
async function reservationId(overrides: Record<string, unknown> = {}): Promise<number> {
  const r = await reserve(overrides);
  if (!r.ok) throw new Error(`fixture reservation refused by ${r.reason}`);
  return r.reservation.id;
}

describe('state transitions', () => {
  it('names the entity, the move and the moves allowed from there', () => {
    let caught: unknown;
    try {
      checkTransition('order', ORDER_TRANSITIONS, 'o-1', 'unknown', 'paying');
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      code: 'ILLEGAL_TRANSITION', message: 'order o-1 cannot move from unknown to paying',
      details: { entity: 'order', id: 'o-1', from: 'unknown', to: 'paying', allowed: ['paid', 'failed'] },
    });
  });
});

describe('budget', () => {
  it.each([
    ['amount', { amount: -1n }],
    ['limits.total', { limits: { total: -1n } }],
    ['limits.perAccount', { limits: { total: 10n, perAccount: -1n } }],
    ['limits.perTarget', { limits: { total: 10n, perTarget: -1n } }],
  ])('refuses a negative %s to reserve, naming the field, the value and the scope', async (field, overrides) => {
    expect(await refusal(() => reserve(overrides))).toEqual({
      code: 'INVALID_INPUT', message: `${field} must be a non-negative bigint of smallest units`,
      details: { currency: 'TON', account: 'alice', target: '19:2', field, value: '-1' },
    });
  });

  it.each([-1, 1.5])('refuses to reserve for %s packs, and reserves for none', async (packs) => {
    expect(await refusal(() => reserve({ packs }))).toEqual({
      code: 'INVALID_INPUT', message: 'packs must be a non-negative integer',
      details: { currency: 'TON', account: 'alice', target: '19:2', packs: String(packs) },
    });
    expect(await reserve({ packs: 0 })).toMatchObject({ ok: true, reservation: { packs: 0 } });
  });

  it('refuses to attach a reservation already attached elsewhere, or released, naming both orders and its state', async () => {
    const id = await reservedOrder(ledger, 'o-1');
    await ledger.orders.insert(tonOrder('o-2'));
    expect(await refusal(() => ledger.budget.attach(id, 'o-2'))).toEqual({
      code: 'ILLEGAL_TRANSITION', message: `reservation ${id} cannot be attached to order o-2`,
      details: { entity: 'reservation', reservationId: id, state: 'held', attachedOrderId: 'o-1', orderId: 'o-2' },
    });
    const released = await reservationId();
    await ledger.budget.release(released);
    expect(await refusal(() => ledger.budget.attach(released, 'o-2'))).toEqual({
      code: 'ILLEGAL_TRANSITION', message: `reservation ${released} cannot be attached to order o-2`,
      details: { entity: 'reservation', reservationId: released, state: 'released', attachedOrderId: null, orderId: 'o-2' },
    });
  });

  it('refuses to attach a reservation to an order that does not exist or is in another currency', async () => {
    const id = await reservationId();
    expect(await refusal(() => ledger.budget.attach(id, 'ghost'))).toEqual({
      code: 'NOT_FOUND', message: 'no order ghost', details: { entity: 'order', orderId: 'ghost', reservationId: id },
    });
    const stars = await reservationId({ currency: 'XTR', amount: 250n, limits: { total: 1_000n } });
    await ledger.orders.insert(tonOrder('o-ton'));
    expect(await refusal(() => ledger.budget.attach(stars, 'o-ton'))).toEqual({
      code: 'INVALID_INPUT', message: `reservation ${stars} is in XTR, order o-ton in TON`, details: { reservationId: stars, orderId: 'o-ton' },
    });
  });

  it('refuses to resize to a negative amount or a reservation no longer held', async () => {
    const id = await reservationId();
    expect(await refusal(() => ledger.budget.resize(id, -1n))).toEqual({
      code: 'INVALID_INPUT', message: 'newAmount must be a non-negative bigint of smallest units',
      details: { reservationId: id, field: 'newAmount', value: '-1' },
    });
    await ledger.budget.release(id);
    expect(await refusal(() => ledger.budget.resize(id, toNano('3')))).toEqual({
      code: 'ILLEGAL_TRANSITION', message: `reservation ${id} is released; only a held one can be resized`,
      details: { entity: 'reservation', reservationId: id, state: 'released' },
    });
  });

  it('refuses growing a reservation past its limit, naming the scope, the amounts and the limit', async () => {
    await reservationId({ amount: toNano('6'), limits: { total: toNano('10') } });
    const id = await reservationId({ limits: { total: toNano('10') } });
    expect(await refusal(() => ledger.budget.resize(id, toNano('5')))).toEqual({
      code: 'BUDGET_EXCEEDED', message: `growing reservation ${id} would exceed the TOTAL limit`,
      details: { reservationId: id, currency: 'TON', reason: 'TOTAL', amount: '5000000000', committed: '6000000000', limit: '10000000000' },
    });
  });

  it('refuses to consume at a negative amount, or again at another amount, and names a missing reservation', async () => {
    const id = await reservationId();
    expect(await refusal(() => ledger.budget.consume(id, -1n))).toEqual({
      code: 'INVALID_INPUT', message: 'actualAmount must be a non-negative bigint of smallest units',
      details: { reservationId: id, field: 'actualAmount', value: '-1' },
    });
    await ledger.budget.consume(id, toNano('4'));
    expect(await refusal(() => ledger.budget.consume(id, toNano('5')))).toEqual({
      code: 'ILLEGAL_TRANSITION', message: `reservation ${id} is already consumed at another amount`,
      details: { entity: 'reservation', reservationId: id, state: 'consumed', recordedAmount: '4000000000', amount: '5000000000' },
    });
    expect(await refusal(() => ledger.budget.release(999))).toEqual({
      code: 'NOT_FOUND', message: 'no reservation 999', details: { entity: 'reservation', reservationId: 999 },
    });
  });
});

describe('pack claims', () => {
  it.each([
    ['packs', { packs: -1 }],
    ['wanted', { wanted: 2.5 }],
    ['methodCap', { methodCap: -2 }],
  ])('refuses a claim whose %s is not a non-negative integer, naming the target and the value', async (key, overrides) => {
    const value = Object.values(overrides)[0];
    expect(await refusal(() => ledger.claims.claim({
      currency: 'TON', account: 'alice', target: '19:2', method: 'ton', packs: 1, wanted: 4,
      amountFor: (n) => toNano('2.5') * BigInt(n), limits: LIMITS, ...overrides,
    }))).toEqual({ code: 'INVALID_INPUT', message: `${key} must be a non-negative integer`, details: { target: '19:2', [key]: String(value) } });
  });
});

describe('orders', () => {
  const facts = { orderId: 'o-1', purchaseId: PURCHASE.id };

  it('refuses a negative amount, a count below one and an expiry that is not epoch milliseconds, naming the order', async () => {
    expect(await refusal(() => ledger.orders.insert(tonOrder('o-1', { amount: -1n })))).toEqual({
      code: 'INVALID_INPUT', message: 'amount must be a non-negative bigint of smallest units', details: { ...facts, field: 'amount', value: '-1' },
    });
    expect(await refusal(() => ledger.orders.insert(tonOrder('o-1', { count: 0 })))).toEqual({
      code: 'INVALID_INPUT', message: 'order count must be a positive integer', details: { ...facts, count: 0 },
    });
    for (const expiresAt of [-1, 1.5]) {
      expect(await refusal(() => ledger.orders.insert(tonOrder('o-1', { expiresAt })))).toEqual({
        code: 'INVALID_INPUT', message: 'order expiresAt must be epoch milliseconds', details: { ...facts, expiresAt },
      });
    }
    expect(await ledger.orders.insert(tonOrder('o-1', { expiresAt: 0 }))).toMatchObject({ orderId: 'o-1', expiresAt: 0 });
  });

  it('refuses an order of a purchase never recorded', async () => {
    expect(await refusal(() => ledger.orders.insert(tonOrder('o-1', { purchaseId: 'nobody' })))).toEqual({
      code: 'NOT_FOUND', message: 'order o-1 names no recorded purchase', details: { orderId: 'o-1', purchaseId: 'nobody', entity: 'purchase' },
    });
  });

  it.each([
    ['collection', { collection: 20 }],
    ['character', { character: 3 }],
    ['account', { account: 'bob' }],
  ])('refuses an order whose %s differs from its purchase, showing both', async (_what, overrides) => {
    const recorded = { collection: PURCHASE.collection, character: PURCHASE.character, account: PURCHASE.account };
    expect(await refusal(() => ledger.orders.insert(tonOrder('o-1', overrides)))).toEqual({
      code: 'PURCHASE_MISMATCH', message: 'order o-1 is for another target or account',
      details: { ...facts, recorded, given: { ...recorded, ...overrides } },
    });
  });

  it('refuses an order id recorded before, and a state change of an order that does not exist', async () => {
    await ledger.orders.insert(tonOrder('o-1'));
    expect(await refusal(() => ledger.orders.insert(tonOrder('o-1')))).toEqual({
      code: 'DUPLICATE_ORDER', message: 'order o-1 is already recorded', details: { orderId: 'o-1', recordedPurchaseId: PURCHASE.id, state: 'created' },
    });
    expect(await refusal(() => ledger.orders.setState('ghost', 'paid'))).toEqual({
      code: 'NOT_FOUND', message: 'no order ghost', details: { entity: 'order', orderId: 'ghost' },
    });
  });
});

describe('payment intents', () => {
  const facts = { idempotencyKey: 'k-1', orderId: 'o-1' };
  beforeEach(async () => {
    await ledger.orders.insert(tonOrder('o-1'));
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', 'boc'],
  ])('refuses a payload that is %s', async (_what, payload) => {
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-1', 'o-1', { payload: payload as unknown as Record<string, unknown> })))).toEqual({
      code: 'INVALID_INPUT', message: 'intent payload must be a plain object', details: facts,
    });
  });

  it('refuses a payload JSON cannot hold (a bigint), keeping the cause', async () => {
    let caught: unknown;
    await ledger.recordIntent(tonIntent('k-1', 'o-1', { payload: { formId: 1n } })).catch((e: unknown) => { caught = e; });
    expect(caught).toMatchObject({ code: 'INVALID_INPUT', message: 'intent payload is not JSON-serialisable', details: facts });
    expect((caught as Error).cause).toBeInstanceOf(TypeError);
  });

  it('refuses a negative amount, a key used before and an order never recorded', async () => {
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-1', 'o-1', { amount: -1n })))).toEqual({
      code: 'INVALID_INPUT', message: 'amount must be a non-negative bigint of smallest units', details: { ...facts, field: 'amount', value: '-1' },
    });
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-1', 'o-1')))).toEqual({
      code: 'DUPLICATE_INTENT', message: 'intent k-1 is already recorded', details: { idempotencyKey: 'k-1', recordedOrderId: 'o-1', state: 'recorded' },
    });
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-2', 'ghost')))).toEqual({
      code: 'NOT_FOUND', message: 'intent names no recorded order ghost', details: { idempotencyKey: 'k-2', orderId: 'ghost', entity: 'order' },
    });
  });

  it('refuses an intent that does not match its order, showing both', async () => {
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-1', 'o-1', { method: 'stars' })))).toEqual({
      code: 'INTENT_MISMATCH', message: 'intent k-1 does not match order o-1',
      details: { ...facts, order: { method: 'ton', currency: 'TON', amount: '3500000000' }, intent: { method: 'stars', currency: 'TON', amount: '3500000000' } },
    });
  });

  it('refuses an intent for a final order or one already being paid, naming its state or the live intent', async () => {
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-2', 'o-1')))).toEqual({
      code: 'ORDER_NOT_PAYABLE', message: 'order o-1 already has intent k-1 (recorded)',
      details: { idempotencyKey: 'k-2', orderId: 'o-1', liveIntent: 'k-1', liveIntentState: 'recorded' },
    });
    await ledger.orders.insert(tonOrder('o-2'));
    await ledger.orders.setState('o-2', 'refused', 'above quote');
    expect(await refusal(() => ledger.recordIntent(tonIntent('k-3', 'o-2')))).toEqual({
      code: 'ORDER_NOT_PAYABLE', message: 'order o-2 is refused; no payment may be recorded',
      details: { idempotencyKey: 'k-3', orderId: 'o-2', orderState: 'refused' },
    });
  });

  it('refuses a negative fee and a state change of an intent that does not exist', async () => {
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(await refusal(() => ledger.intents.setState('k-1', 'confirmed', { fee: -1n }))).toEqual({
      code: 'INVALID_INPUT', message: 'fee must be a non-negative bigint of smallest units', details: { idempotencyKey: 'k-1', field: 'fee', value: '-1' },
    });
    expect(await refusal(() => ledger.intents.setState('ghost', 'sent'))).toEqual({
      code: 'NOT_FOUND', message: 'no intent ghost', details: { entity: 'intent', idempotencyKey: 'ghost' },
    });
  });
});

describe('settlement', () => {
  it('refuses to settle an intent that does not exist, or under another order', async () => {
    const id = await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(await refusal(() => ledger.settle({ idempotencyKey: 'ghost', orderId: 'o-1', reservationId: id, outcome: 'paid' }))).toEqual({
      code: 'NOT_FOUND', message: 'no intent ghost', details: { entity: 'intent', idempotencyKey: 'ghost' },
    });
    expect(await refusal(() => ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-2', reservationId: id, outcome: 'paid' }))).toEqual({
      code: 'INTENT_MISMATCH', message: 'intent k-1 pays order o-1, not o-2', details: { idempotencyKey: 'k-1', orderId: 'o-2', recordedOrderId: 'o-1' },
    });
  });

  it('refuses to settle against a reservation that does not exist or belongs to another order', async () => {
    await reservedOrder(ledger, 'o-1');
    const other = await reservedOrder(ledger, 'o-2');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(await refusal(() => ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: 999, outcome: 'paid' }))).toEqual({
      code: 'NOT_FOUND', message: 'no reservation 999', details: { entity: 'reservation', reservationId: 999, orderId: 'o-1' },
    });
    expect(await refusal(() => ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: other, outcome: 'paid' }))).toEqual({
      code: 'INVALID_INPUT', message: `reservation ${other} belongs to order o-2, not o-1`, details: { reservationId: other, orderId: 'o-1', attachedOrderId: 'o-2' },
    });
  });

  it('refuses an outcome it does not know, changing nothing', async () => {
    const id = await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    // A caller outside the type system (a plugin built against another version) could pass anything.
    const bogus = { idempotencyKey: 'k-1', orderId: 'o-1', reservationId: id, outcome: 'maybe' } as unknown as Parameters<Ledger['settle']>[0];
    expect(await refusal(() => ledger.settle(bogus))).toEqual({
      code: 'INVALID_INPUT', message: 'unknown settlement outcome maybe', details: { orderId: 'o-1', outcome: 'maybe' },
    });
    expect((await ledger.intents.get('k-1'))?.state).toBe('recorded');
  });

  it('refuses to abandon an order whose payment may have moved money, naming the intent', async () => {
    const id = await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(await refusal(() => ledger.abandonOrder('o-1', 'failed', 'gave up', id))).toEqual({
      code: 'PAYMENT_IN_FLIGHT', message: 'order o-1 has intent k-1 (recorded); settle it instead',
      details: { orderId: 'o-1', state: 'failed', liveIntent: 'k-1', liveIntentState: 'recorded' },
    });
  });

  it('refuses a sweep cut-off that is not epoch milliseconds', async () => {
    expect(await refusal(() => ledger.sweepAbandoned(Number.NaN))).toEqual({
      code: 'INVALID_INPUT', message: 'olderThan must be epoch milliseconds', details: { olderThan: Number.NaN },
    });
  });
});
