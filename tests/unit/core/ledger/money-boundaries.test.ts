/** The edges where the ledger's money arithmetic could be one off: a claim that fits the budget exactly or by one pack,
 *  a method's room under its share, a reservation shrunk or kept while others took the budget, settlement picking the
 *  held reservation of an order, the start-of-run sweep leaving final orders alone, and facts learned late about a
 *  payment already confirmed. Each test fails if the boundary moves by one. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { ClaimRequest } from '../../../../core/ledger/pack-claims.js';
import { toNano } from '../../../../core/money.js';
import { reservedOrder, seedPurchase, tonIntent, tonOrder } from './ledger-fixtures.js';

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await seedPurchase(ledger);
});
afterEach(() => ledger.close());

const PER_PACK = toNano('2');
const claimRequest = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  currency: 'TON', account: 'alice', target: '19:2', method: 'ton', packs: 7, wanted: 10,
  amountFor: (n) => PER_PACK * BigInt(n), limits: { total: toNano('100') }, ...overrides,
});

describe('pack claims at the edges', () => {
  it('shrinks to the packs whose money fits the budget exactly, to the nanoton', async () => {
    // 7 packs cost 14 TON; 10 TON fits exactly 5.
    expect(await ledger.claims.claim(claimRequest({ limits: { total: toNano('10') } }))).toMatchObject({ ok: true, packs: 5, reservation: { amount: toNano('10') } });
  });

  it('claims a single pack when only one fits the budget', async () => {
    expect(await ledger.claims.claim(claimRequest({ limits: { total: toNano('3') } }))).toMatchObject({ ok: true, packs: 1, reservation: { amount: PER_PACK } });
  });

  it('refuses, naming the budget scope, when not even one pack fits', async () => {
    expect(await ledger.claims.claim(claimRequest({ limits: { total: toNano('1.5') } })))
      .toEqual({ ok: false, reason: 'TOTAL', committed: 0n, limit: toNano('1.5'), packs: 7 });
  });

  it('grants a method only its share less what it has paid and holds', async () => {
    const paid = await ledger.claims.claim(claimRequest({ packs: 1, methodCap: 4 }));
    if (!paid.ok) throw new Error('first claim refused');
    await ledger.budget.consume(paid.reservation.id);
    await ledger.claims.claim(claimRequest({ packs: 1, methodCap: 4 }));
    // Share 4, 1 paid, 1 held: 2 left, though the target has 8 left and 7 are asked.
    expect(await ledger.claims.claim(claimRequest({ methodCap: 4 }))).toMatchObject({ ok: true, packs: 2 });
    expect(await ledger.claims.tally('19:2', 'ton')).toEqual({ paid: 1, held: 3 });
  });
});

describe('budget at the edges', () => {
  it('keeps or shrinks a reservation without checking limits others have since filled, but refuses to grow it', async () => {
    const small = await ledger.budget.reserve({ currency: 'TON', amount: toNano('4'), account: 'alice', target: '19:2', limits: { total: toNano('10') } });
    // Another reservation granted under a larger budget takes the total past the first one's limit.
    await ledger.budget.reserve({ currency: 'TON', amount: toNano('8'), account: 'alice', target: '19:2', limits: { total: toNano('100') } });
    if (!small.ok) throw new Error('fixture reservation refused');
    expect(await ledger.budget.resize(small.reservation.id, toNano('4'))).toMatchObject({ state: 'held', amount: toNano('4') });
    expect(await ledger.budget.resize(small.reservation.id, toNano('3'))).toMatchObject({ state: 'held', amount: toNano('3') });
    await expect(ledger.budget.resize(small.reservation.id, toNano('3.000000001'))).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });

  it('resizes a claim to all its packs or to none, refusing a negative or fractional count with what it claims', async () => {
    const claimed = await ledger.claims.claim(claimRequest({ packs: 3 }));
    if (!claimed.ok) throw new Error('fixture claim refused');
    const id = claimed.reservation.id;
    expect(await ledger.budget.resize(id, toNano('6'), 3)).toMatchObject({ packs: 3, amount: toNano('6') });
    for (const packs of [-1, 1.5]) {
      await expect(ledger.budget.resize(id, toNano('6'), packs)).rejects.toMatchObject({
        code: 'INVALID_INPUT', message: `reservation ${id} claims 3 packs; it can only shrink to 0..3`, details: { reservationId: id, claimed: 3, packs: String(packs) },
      });
    }
    expect(await ledger.budget.resize(id, 0n, 0)).toMatchObject({ packs: 0, amount: 0n });
  });

  it('leaves a reservation written without packs (an older version) counting its order\'s packs when resized', async () => {
    const id = await reservedOrder(ledger, 'o-old', toNano('4'));
    expect((await ledger.budget.get(id))?.packs).toBe(0);
    expect(await ledger.budget.resize(id, toNano('3.5'), 7)).toMatchObject({ packs: 0, amount: toNano('3.5') });
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 0, held: 2 });
  });

  it('counts held and consumed money as committed, released money not', async () => {
    const held = await reservedOrder(ledger, 'o-held', toNano('4'));
    const consumed = await reservedOrder(ledger, 'o-paid', toNano('3'));
    const released = await reservedOrder(ledger, 'o-failed', toNano('2'));
    await ledger.budget.consume(consumed);
    await ledger.budget.release(released);
    expect(held).toBeGreaterThan(0);
    expect(await ledger.budget.committed('TON')).toBe(toNano('7'));
    expect(await ledger.budget.committed('TON', { account: 'alice', target: '19:2' })).toBe(toNano('7'));
    expect(await ledger.budget.spent('TON')).toBe(toNano('3'));
  });
});

describe('settlement at the edges', () => {
  it('consumes the held reservation of an order that also has a released one, leaving the released one alone', async () => {
    // The order's first reservation was released (e.g. a retry re-reserved); the held one pays.
    const first = await reservedOrder(ledger, 'o-1', toNano('4'));
    await ledger.budget.release(first);
    const again = await ledger.budget.reserve({ currency: 'TON', amount: toNano('3.5'), account: 'alice', target: '19:2', limits: { total: toNano('100') } });
    if (!again.ok) throw new Error('fixture reservation refused');
    await ledger.budget.attach(again.reservation.id, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'paid', txHash: 'tx', fee: 0n, spent: toNano('3.5') });
    expect((await ledger.budget.get(again.reservation.id))?.state).toBe('consumed');
    expect((await ledger.budget.get(first))?.state).toBe('released');
    expect(await ledger.budget.spent('TON')).toBe(toNano('3.5'));
  });

  it('consumes a released reservation when it is the order\'s only one: money found moved is never forgotten', async () => {
    const id = await reservedOrder(ledger, 'o-1', toNano('4'));
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    await ledger.budget.release(id);
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: null, outcome: 'paid', txHash: 'tx', fee: 0n });
    expect(await ledger.budget.get(id)).toMatchObject({ state: 'consumed', amount: toNano('3.5') });
  });

  it('keeps the reason of a payment settled unknown on its intent and order', async () => {
    const id = await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
    await ledger.settle({ idempotencyKey: 'k-1', orderId: 'o-1', reservationId: id, outcome: 'unknown', reason: 'no answer from toncenter' });
    expect(await ledger.intents.get('k-1')).toMatchObject({ state: 'unknown', reason: 'no answer from toncenter' });
    expect(await ledger.orders.get('o-1')).toMatchObject({ state: 'unknown', reason: 'no answer from toncenter' });
    expect((await ledger.budget.get(id))?.state).toBe('held');
  });

  it('sweeps only orders left created or paying without a payment, never a final one', async () => {
    await ledger.orders.insert(tonOrder('o-created'));
    await ledger.orders.insert(tonOrder('o-refused'));
    await ledger.orders.setState('o-refused', 'refused', 'above quote');
    await ledger.orders.insert(tonOrder('o-expired'));
    await ledger.orders.setState('o-expired', 'expired', 'too late');
    const result = await ledger.sweepAbandoned(0);
    expect(result.orders).toEqual(['o-created']);
    expect(await ledger.orders.get('o-refused')).toMatchObject({ state: 'refused', reason: 'above quote' });
    expect(await ledger.orders.get('o-expired')).toMatchObject({ state: 'expired', reason: 'too late' });
    expect(await ledger.orders.get('o-created')).toMatchObject({ state: 'failed', reason: 'abandoned before payment: created' });
  });
});

describe('facts learned after a payment is confirmed', () => {
  beforeEach(async () => {
    await reservedOrder(ledger, 'o-1');
    await ledger.recordIntent(tonIntent('k-1', 'o-1'));
  });

  it('fills in a tx hash learned late, keeping the fee already known', async () => {
    await ledger.intents.setState('k-1', 'confirmed', { fee: 5n });
    expect(await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx-late' })).toMatchObject({ txHash: 'tx-late', fee: 5n });
    expect(await ledger.intents.get('k-1')).toMatchObject({ state: 'confirmed', txHash: 'tx-late', fee: 5n });
  });

  it('fills in a fee learned late, keeping the tx hash already known', async () => {
    await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx-1' });
    expect(await ledger.intents.setState('k-1', 'confirmed', { fee: 7n })).toMatchObject({ txHash: 'tx-1', fee: 7n });
    expect(await ledger.intents.get('k-1')).toMatchObject({ txHash: 'tx-1', fee: 7n });
  });

  it('never overwrites a tx hash or fee already recorded', async () => {
    await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx-1', fee: 5n });
    expect(await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx-other', fee: 9n })).toMatchObject({ txHash: 'tx-1', fee: 5n });
  });
});
