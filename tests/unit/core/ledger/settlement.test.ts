import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { toNano } from '../../../../core/money.js';
import { moneyTables, reservedOrder, seedPurchase, tonIntent, tonOrder } from './ledger-fixtures.js';

const START = 1_700_000_000_000;
let clock = START;
let ledger: Ledger;
beforeEach(async () => {
  clock = START;
  ledger = await openLedger(':memory:', { now: () => clock });
  await seedPurchase(ledger);
});
afterEach(() => ledger.close());

const codeOf = (e: unknown) => (e instanceof LedgerError ? e.code : String(e));
const state = async (orderId: string, key: string | null, reservationId: number | null) => ({
  order: (await ledger.orders.get(orderId))?.state,
  intent: key === null ? undefined : (await ledger.intents.get(key))?.state,
  reservation: reservationId === null ? undefined : (await ledger.budget.get(reservationId))?.state,
});

/** Makes every later update of `table` fail inside SQLite, so a step's earlier writes must roll back. */
async function breakUpdates(table: 'orders' | 'budget_reservations'): Promise<void> {
  await sql.raw(`CREATE TRIGGER break_${table} BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`).execute(ledger.db);
}

/** Runs `step`, expects it refused with `code`, and proves all three money tables are exactly as before. */
async function expectRefusedUnchanged(step: () => Promise<unknown>, code: string): Promise<void> {
  const before = await moneyTables(ledger);
  clock += 1_000;
  expect(codeOf(await step().then(() => 'resolved', (e: unknown) => e))).toBe(code);
  expect(await moneyTables(ledger)).toEqual(before);
}

describe('recordIntent', () => {
  it('records the intent and moves its order to paying in one step, leaving the reservation held', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    clock += 1_000;
    const row = await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    expect(row).toMatchObject({ idempotencyKey: 'k-1', orderId: 'o-1', state: 'recorded', createdAt: clock });
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'paying', intent: 'recorded', reservation: 'held' });
    expect((await ledger.orders.get('o-1'))?.updatedAt).toBe(clock);
  });

  it('refuses what intents.record refuses and changes nothing', async () => {
    await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    await expectRefusedUnchanged(() => ledger.recordIntent(tonIntent('k-1', 'o-1')), 'DUPLICATE_INTENT');
    await expectRefusedUnchanged(() => ledger.recordIntent(tonIntent('k-2', 'o-1')), 'ORDER_NOT_PAYABLE');
    await expectRefusedUnchanged(() => ledger.recordIntent(tonIntent('k-3', 'ghost')), 'NOT_FOUND');
    await reservedOrder(ledger, 'o-2');
    await expectRefusedUnchanged(() => ledger.recordIntent(tonIntent('k-4', 'o-2', { amount: toNano('9') })), 'INTENT_MISMATCH');
  });

  it('rolls the intent back when moving the order fails', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    await breakUpdates('orders');
    await expectRefusedUnchanged(() => ledger.recordIntent(tonIntent('k-1', 'o-1')), 'STORAGE_FAILED');
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'created', intent: undefined, reservation: 'held' });
  });
});

describe('settle', () => {
  async function paying(orderId: string, key: string): Promise<number> {
    const r = await reservedOrder(ledger, orderId);
    await ledger.recordIntent(tonIntent(key, orderId));
    return r;
  }

  it('paid: confirms the intent with its hash and fee, marks the order paid and consumes the reservation at what was spent', async () => {
    const r = await paying('o-1', 'k-1');
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: r, outcome: 'paid', txHash: 'tx-1', fee: 5_000_000n, spent: toNano('3.505') });
    expect(await ledger.intents.get('k-1')).toMatchObject({ state: 'confirmed', txHash: 'tx-1', fee: 5_000_000n, reason: null });
    expect(await ledger.orders.get('o-1')).toMatchObject({ state: 'paid', reason: null });
    expect(await ledger.budget.get(r)).toMatchObject({ state: 'consumed', amount: toNano('3.505') });
    expect(await ledger.budget.spent('TON')).toBe(toNano('3.505'));
  });

  it('paid without `spent` consumes at the order amount, finding the reservation by order id', async () => {
    const r = await paying('o-1', 'k-1');
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'paid', txHash: 'tx-1' });
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'paid', intent: 'confirmed', reservation: 'consumed' });
    expect((await ledger.budget.get(r))?.amount).toBe(toNano('3.5'));
  });

  it('not-paid: fails the intent and the order with the reason and releases the reservation', async () => {
    const r = await paying('o-1', 'k-1');
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'not-paid', reason: 'valid_until passed' });
    expect(await ledger.intents.get('k-1')).toMatchObject({ state: 'failed', reason: 'valid_until passed' });
    expect(await ledger.orders.get('o-1')).toMatchObject({ state: 'failed', reason: 'valid_until passed' });
    expect(await ledger.budget.get(r)).toMatchObject({ state: 'released', amount: toNano('4') });
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });

  it('unknown: marks intent and order unknown and keeps the budget held until reconciliation settles it', async () => {
    const r = await paying('o-1', 'k-1');
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: r, outcome: 'unknown', reason: 'no confirmation in 60 s' });
    expect(await ledger.orders.get('o-1')).toMatchObject({ state: 'unknown', reason: 'no confirmation in 60 s' });
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'unknown', intent: 'unknown', reservation: 'held' });
    expect(await ledger.budget.committed('TON')).toBe(toNano('4'));

    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'paid', txHash: 'tx-late' });
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'paid', intent: 'confirmed', reservation: 'consumed' });
  });

  it('consumes a reservation that was released earlier when the payment is found after all', async () => {
    const r = await paying('o-1', 'k-1');
    await ledger.budget.release(r);
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'paid', txHash: 'tx-1' });
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'paid', intent: 'confirmed', reservation: 'consumed' });
  });

  it('settles an order that has no reservation', async () => {
    await ledger.orders.insert(tonOrder('o-1'));
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'not-paid', reason: 'expired' });
    expect(await state('o-1', 'k-1', null)).toMatchObject({ order: 'failed', intent: 'failed' });
  });

  for (const outcome of ['paid', 'not-paid', 'unknown'] as const) {
    for (const byId of [true, false]) {
      it(`replays a ${outcome} settlement (reservation ${byId ? 'given' : 'found by order'}) as a no-op`, async () => {
        const r = await paying('o-1', 'k-1');
        const s = { idempotencyKey: 'k-1', orderId: 'o-1', reservationId: byId ? r : null, outcome, txHash: 'tx-1', fee: 7n, reason: 'why' };
        await ledger.settle(s);
        const after = await moneyTables(ledger);
        clock += 60_000;
        await ledger.settle(s);
        expect(await moneyTables(ledger)).toEqual(after);
      });
    }
  }

  it('rolls the intent back when the order refuses the move', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.orders.setState('o-1', 'expired', 'store dropped it');
    await expectRefusedUnchanged(
      () => ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: r, outcome: 'paid', txHash: 'tx-1' }),
      'ILLEGAL_TRANSITION',
    );
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'expired', intent: 'recorded', reservation: 'held' });
  });

  it('rolls intent and order back when the reservation refuses the move', async () => {
    const r = await paying('o-1', 'k-1');
    await ledger.budget.consume(r);
    await expectRefusedUnchanged(
      () => ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: r, outcome: 'not-paid', reason: 'x' }),
      'ILLEGAL_TRANSITION',
    );
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'paying', intent: 'recorded', reservation: 'consumed' });
  });

  it('rolls intent and order back when SQLite fails the reservation write', async () => {
    const r = await paying('o-1', 'k-1');
    await breakUpdates('budget_reservations');
    await expectRefusedUnchanged(
      () => ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'paid', txHash: 'tx-1' }),
      'STORAGE_FAILED',
    );
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'paying', intent: 'recorded', reservation: 'held' });
  });

  it('refuses an unknown intent, an intent of another order and a reservation of another order, changing nothing', async () => {
    const r1 = await paying('o-1', 'k-1');
    await paying('o-2', 'k-2');
    const settle = (over: object) => () =>
      ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: r1, outcome: 'paid', txHash: 't', ...over });
    await expectRefusedUnchanged(settle({ idempotencyKey: 'ghost' }), 'NOT_FOUND');
    await expectRefusedUnchanged(settle({ idempotencyKey: 'k-2' }), 'INTENT_MISMATCH');
    await expectRefusedUnchanged(settle({ orderId: 'o-2', idempotencyKey: 'k-2' }), 'INVALID_INPUT');
    await expectRefusedUnchanged(settle({ reservationId: 999 }), 'NOT_FOUND');
    await expectRefusedUnchanged(settle({ spent: -1n }), 'INVALID_INPUT');
  });
});

describe('abandonOrder', () => {
  it('refuses the order with its reason and releases the given reservation', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    await ledger.abandonOrder('o-1', 'refused', 'amount above quote', r);
    expect(await ledger.orders.get('o-1')).toMatchObject({ state: 'refused', reason: 'amount above quote' });
    expect(await state('o-1', null, r)).toMatchObject({ order: 'refused', reservation: 'released' });
    expect(await ledger.intents.forOrder('o-1')).toEqual([]);
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });

  it('finds the held reservation by order id when none is given, and a repeat changes nothing', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    await ledger.abandonOrder('o-1', 'failed', 'signing failed', null);
    expect(await state('o-1', null, r)).toMatchObject({ order: 'failed', reservation: 'released' });
    const after = await moneyTables(ledger);
    clock += 1_000;
    await ledger.abandonOrder('o-1', 'failed', 'signing failed', null);
    expect(await moneyTables(ledger)).toEqual(after);
  });

  it('releases a given reservation that was never attached (the order failed before attaching)', async () => {
    const reserved = await ledger.budget.reserve({ currency: 'TON', amount: 5n, account: 'alice', target: '19:2', limits: { total: 10n } });
    if (!reserved.ok) throw new Error('reservation refused');
    await ledger.orders.insert(tonOrder('o-1'));
    await ledger.abandonOrder('o-1', 'refused', 'no quote', reserved.reservation.id);
    expect(await state('o-1', null, reserved.reservation.id)).toMatchObject({ order: 'refused', reservation: 'released' });
  });

  it('rolls the order back when the reservation cannot be released', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    await ledger.budget.consume(r);
    await expectRefusedUnchanged(() => ledger.abandonOrder('o-1', 'refused', 'x', r), 'ILLEGAL_TRANSITION');
    expect(await state('o-1', null, r)).toMatchObject({ order: 'created', reservation: 'consumed' });
  });

  it('refuses an order whose intent may have moved money, until that intent has failed', async () => {
    const r = await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    await expectRefusedUnchanged(() => ledger.abandonOrder('o-1', 'expired', 'too late', null), 'PAYMENT_IN_FLIGHT');
    await ledger.intents.setState('k-1', 'failed', { reason: 'never sent' });
    await ledger.abandonOrder('o-1', 'expired', 'too late', null);
    expect(await state('o-1', 'k-1', r)).toEqual({ order: 'expired', intent: 'failed', reservation: 'released' });
  });

  it('refuses a final order, a missing one and a reservation of another order, changing nothing', async () => {
    await reservedOrder(ledger, 'o-1');
    const r2 = await reservedOrder(ledger, 'o-2');
    await ledger.orders.setState('o-1', 'refused', 'first');
    await expectRefusedUnchanged(() => ledger.abandonOrder('o-1', 'failed', 'second', null), 'ILLEGAL_TRANSITION');
    await expectRefusedUnchanged(() => ledger.abandonOrder('ghost', 'failed', 'x', null), 'NOT_FOUND');
    await ledger.orders.insert(tonOrder('o-3'));
    await expectRefusedUnchanged(() => ledger.abandonOrder('o-3', 'failed', 'x', r2), 'INVALID_INPUT');
  });
});
