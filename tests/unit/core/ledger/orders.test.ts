import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { hasCode } from '../../../../core/errors.js';
import { PURCHASE, seedPurchase, tonOrder } from './ledger-fixtures.js';

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:', { now: () => 1_700_000_000_000 });
  await seedPurchase(ledger);
});
afterEach(() => ledger.close());

describe('orders', () => {
  it('records an order in state created with its amount as a bigint', async () => {
    const row = await ledger.orders.insert(tonOrder('o-1'));
    expect(row).toEqual({
      ...tonOrder('o-1'),
      state: 'created',
      reason: null,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
    expect(await ledger.orders.get('o-1')).toEqual(row);
  });

  it('rejects a second order with the same store order id as DUPLICATE_ORDER and keeps the first', async () => {
    await ledger.orders.insert(tonOrder('o-1'));
    const error = await ledger.orders.insert(tonOrder('o-1', { count: 5 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).code).toBe('DUPLICATE_ORDER');
    expect((error as LedgerError).details).toMatchObject({ orderId: 'o-1', state: 'created' });
    expect((await ledger.orders.get('o-1'))?.count).toBe(2);
  });

  it('refuses an order for a purchase that does not exist', async () => {
    const error = await ledger.orders.insert(tonOrder('o-1', { purchaseId: 'ghost' })).catch((e: unknown) => e);
    expect(hasCode(error, 'NOT_FOUND')).toBe(true);
  });

  it('refuses an order whose target or account differs from its purchase', async () => {
    const error = await ledger.orders.insert(tonOrder('o-1', { account: 'bob' })).catch((e: unknown) => e);
    expect(hasCode(error, 'PURCHASE_MISMATCH')).toBe(true);
  });

  it('refuses a negative amount and a count that is not a positive integer', async () => {
    for (const bad of [{ amount: -1n }, { count: 0 }, { count: 1.5 }]) {
      const error = await ledger.orders.insert(tonOrder('o-bad', bad)).catch((e: unknown) => e);
      expect(hasCode(error, 'INVALID_INPUT')).toBe(true);
    }
    expect(await ledger.orders.list()).toEqual([]);
  });

  it('keeps an amount of 2^70 smallest units exact through storage', async () => {
    const huge = 2n ** 70n + 1n;
    await ledger.orders.insert(tonOrder('o-huge', { amount: huge }));
    expect((await ledger.orders.get('o-huge'))?.amount).toBe(huge);
  });

  it('moves an unknown order to paid once reconciliation finds the money', async () => {
    await ledger.orders.insert(tonOrder('o-1'));
    await ledger.orders.setState('o-1', 'paying');
    await ledger.orders.setState('o-1', 'unknown', 'confirmation timed out');
    const paid = await ledger.orders.setState('o-1', 'paid');
    expect(paid).toMatchObject({ state: 'paid', reason: null });
  });

  it('never moves a paid order back to paying', async () => {
    await ledger.orders.insert(tonOrder('o-1'));
    await ledger.orders.setState('o-1', 'paying');
    await ledger.orders.setState('o-1', 'paid');
    const error = await ledger.orders.setState('o-1', 'paying').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).code).toBe('ILLEGAL_TRANSITION');
    expect((error as LedgerError).details).toMatchObject({ entity: 'order', from: 'paid', to: 'paying' });
    expect((await ledger.orders.get('o-1'))?.state).toBe('paid');
  });

  it('refuses to move an unknown order back to paying, and a failed or refused one anywhere', async () => {
    await ledger.orders.insert(tonOrder('o-u'));
    await ledger.orders.setState('o-u', 'unknown');
    await ledger.orders.insert(tonOrder('o-f'));
    await ledger.orders.setState('o-f', 'failed');
    await ledger.orders.insert(tonOrder('o-r'));
    await ledger.orders.setState('o-r', 'refused', 'amount above quote');
    for (const [id, to] of [['o-u', 'paying'], ['o-f', 'paid'], ['o-r', 'paying']] as const) {
      const error = await ledger.orders.setState(id, to).catch((e: unknown) => e);
      expect(hasCode(error, 'ILLEGAL_TRANSITION')).toBe(true);
    }
  });

  it('reports setState on a missing order as NOT_FOUND', async () => {
    const error = await ledger.orders.setState('ghost', 'paid').catch((e: unknown) => e);
    expect(hasCode(error, 'NOT_FOUND')).toBe(true);
  });

  it('lists orders by purchase, state and method', async () => {
    await ledger.purchases.ensure({ ...PURCHASE, id: '19:3:alice', character: 3 });
    await ledger.orders.insert(tonOrder('o-1'));
    await ledger.orders.insert(tonOrder('o-2', { method: 'stars', currency: 'XTR', amount: 500n }));
    await ledger.orders.insert(tonOrder('o-3', { purchaseId: '19:3:alice', character: 3 }));
    await ledger.orders.setState('o-2', 'paying');
    const ids = (rows: { orderId: string }[]) => rows.map((r) => r.orderId);
    expect(ids(await ledger.orders.list())).toEqual(['o-1', 'o-2', 'o-3']);
    expect(ids(await ledger.orders.list({ purchaseId: PURCHASE.id }))).toEqual(['o-1', 'o-2']);
    expect(ids(await ledger.orders.list({ state: 'created' }))).toEqual(['o-1', 'o-3']);
    expect(ids(await ledger.orders.list({ state: ['paying', 'paid'] }))).toEqual(['o-2']);
    expect(ids(await ledger.orders.list({ method: 'ton', purchaseId: '19:3:alice' }))).toEqual(['o-3']);
    expect(await ledger.orders.list({ state: [] })).toEqual([]);
  });

  it('counts paid packs and in-flight packs of a purchase separately', async () => {
    expect(await ledger.orders.paidPacks(PURCHASE.id)).toBe(0);
    await ledger.orders.insert(tonOrder('paid-1', { count: 3 }));
    await ledger.orders.setState('paid-1', 'paid');
    await ledger.orders.insert(tonOrder('paid-2', { count: 2 }));
    await ledger.orders.setState('paid-2', 'paid');
    await ledger.orders.insert(tonOrder('created', { count: 1 }));
    await ledger.orders.insert(tonOrder('paying', { count: 4 }));
    await ledger.orders.setState('paying', 'paying');
    await ledger.orders.insert(tonOrder('unknown', { count: 5 }));
    await ledger.orders.setState('unknown', 'unknown');
    await ledger.orders.insert(tonOrder('failed', { count: 5 }));
    await ledger.orders.setState('failed', 'failed');
    await ledger.orders.insert(tonOrder('expired', { count: 5 }));
    await ledger.orders.setState('expired', 'expired');
    expect(await ledger.orders.paidPacks(PURCHASE.id)).toBe(5);
    expect(await ledger.orders.inFlightPacks(PURCHASE.id)).toBe(10);
    expect(await ledger.orders.paidPacks('someone-else')).toBe(0);
  });
});
