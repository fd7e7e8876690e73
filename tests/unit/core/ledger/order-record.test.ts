/** The ledger's side of a claim made at arming: the order that uses it is recorded and attached in one transaction
 *  (moving its purchase to buying), and its reservation shrinks to the packs the order carries. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano } from '../../../../core/money.js';
import { moneyTables, PURCHASE, seedPurchase, tonIntent, tonOrder } from './ledger-fixtures.js';

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await seedPurchase(ledger);
  await ledger.purchases.setState(PURCHASE.id, 'arming');
  await ledger.purchases.setState(PURCHASE.id, 'armed');
});
afterEach(async () => {
  await ledger.close();
});

/** Five packs claimed at 3 TON each, as a payer does at arming. */
async function claimFive(): Promise<number> {
  const r = await ledger.claims.claim({
    currency: 'TON', account: PURCHASE.account, target: '19:2', method: 'ton', packs: 5, wanted: 10,
    amountFor: (n) => toNano('3') * BigInt(n), limits: { total: toNano('100') },
  });
  if (!r.ok) throw new Error(`claim refused: ${r.reason}`);
  return r.reservation.id;
}

describe('recording the order a claim pays for', () => {
  it('records the order, attaches the claim and moves the purchase to buying, together', async () => {
    const id = await claimFive();
    await ledger.recordOrder(tonOrder('o1'), id);
    expect((await ledger.orders.get('o1'))?.state).toBe('created');
    expect((await ledger.budget.get(id))?.orderId).toBe('o1');
    expect((await ledger.purchases.get(PURCHASE.id))?.state).toBe('buying');
  });

  it('writes nothing when the order cannot be recorded: the claim stays held and unattached for its payer to release', async () => {
    const id = await claimFive();
    await ledger.recordOrder(tonOrder('o1'), id);
    const other = await claimFive();
    await expect(ledger.recordOrder(tonOrder('o1'), other)).rejects.toMatchObject({ code: 'DUPLICATE_ORDER' });
    expect((await ledger.budget.get(other))).toMatchObject({ orderId: null, state: 'held' });
    expect(await ledger.orders.list()).toHaveLength(1);
  });

  it('leaves a purchase that is not armed in its state', async () => {
    await ledger.purchases.setState(PURCHASE.id, 'done');
    const id = await claimFive();
    await ledger.recordOrder(tonOrder('o1'), id);
    expect((await ledger.purchases.get(PURCHASE.id))?.state).toBe('done');
  });
});

describe('shrinking a claim to its order', () => {
  it('gives the packs the order does not carry back to the target with the money', async () => {
    const id = await claimFive();
    await ledger.budget.resize(id, toNano('6'), 2);
    expect(await ledger.budget.get(id)).toMatchObject({ packs: 2, amount: toNano('6') });
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 0, held: 2 });
  });

  it('refuses to grow the packs a reservation claims, and keeps it as it was', async () => {
    const id = await claimFive();
    await expect(ledger.budget.resize(id, toNano('18'), 6)).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { claimed: 5, packs: '6' } });
    expect(await ledger.budget.get(id)).toMatchObject({ packs: 5, amount: toNano('15') });
  });

  it('keeps the packs when none are given', async () => {
    const id = await claimFive();
    await ledger.budget.resize(id, toNano('12'));
    expect(await ledger.budget.get(id)).toMatchObject({ packs: 5, amount: toNano('12') });
  });
});

describe('recording the intent of an order claimed at arming', () => {
  it('shrinks the reservation to the order\'s amount and packs in the intent\'s transaction', async () => {
    const id = await claimFive();
    await ledger.recordOrder(tonOrder('o1'), id);
    await ledger.recordIntent(tonIntent('k1', 'o1'), { reservationId: id, amount: toNano('3.5') + 10n, packs: 2 });
    expect(await ledger.budget.get(id)).toMatchObject({ packs: 2, amount: toNano('3.5') + 10n, state: 'held' });
    expect((await ledger.orders.get('o1'))?.state).toBe('paying');
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 0, held: 2 });
  });

  it('writes neither the intent nor the shrink when the reservation cannot take it', async () => {
    const id = await claimFive();
    await ledger.recordOrder(tonOrder('o1'), id);
    const before = await moneyTables(ledger);
    await expect(ledger.recordIntent(tonIntent('k1', 'o1'), { reservationId: id, amount: toNano('3.5'), packs: 6 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await moneyTables(ledger)).toEqual(before);
  });
});
