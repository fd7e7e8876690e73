import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { hasCode } from '../../../../core/errors.js';
import { toNano } from '../../../../core/money.js';
import { seedPurchase, tonIntent, tonOrder } from './ledger-fixtures.js';

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:', { now: () => 1_700_000_000_000 });
  await seedPurchase(ledger);
  await ledger.orders.insert(tonOrder('o-1'));
});
afterEach(() => ledger.close());

const codeOf = (e: unknown) => (e instanceof LedgerError ? e.code : String(e));

describe('payment intents', () => {
  it('records an intent with its payload before money moves, in state recorded', async () => {
    const row = await ledger.intents.record(tonIntent('k-1', 'o-1'));
    expect(row).toEqual({
      ...tonIntent('k-1', 'o-1'),
      state: 'recorded',
      txHash: null,
      fee: null,
      reason: null,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
    expect(await ledger.intents.get('k-1')).toEqual(row);
  });

  it('rejects a second intent with the same idempotency key as DUPLICATE_INTENT', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.orders.insert(tonOrder('o-2'));
    const error = await ledger.intents.record(tonIntent('k-1', 'o-2')).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('DUPLICATE_INTENT');
    expect((error as LedgerError).details).toMatchObject({ idempotencyKey: 'k-1', recordedOrderId: 'o-1' });
    expect(await ledger.intents.forOrder('o-2')).toEqual([]);
  });

  it('refuses a second live intent for the same order, so one order is never paid twice', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.intents.setState('k-1', 'sent');
    const error = await ledger.intents.record(tonIntent('k-2', 'o-1')).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('ORDER_NOT_PAYABLE');
    expect((error as LedgerError).details).toMatchObject({ liveIntent: 'k-1', liveIntentState: 'sent' });
  });

  it('keeps one live intent per order even for a writer that bypasses the repository', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    const now = Date.now();
    const direct = ledger.db
      .insertInto('payment_intents')
      .values({
        idempotency_key: 'k-2', order_id: 'o-1', method: 'ton', currency: 'TON', amount: '1', destination: 'd',
        payload: '{}', state: 'recorded', tx_hash: null, fee: null, reason: null, created_at: now, updated_at: now,
      })
      .execute();
    await expect(direct).rejects.toThrow(/UNIQUE constraint/);
  });

  it('allows a new intent for an order once the previous one certainly failed', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.intents.setState('k-1', 'failed', { reason: 'valid_until passed, seqno unchanged' });
    await ledger.intents.record(tonIntent('k-2', 'o-1'));
    expect((await ledger.intents.forOrder('o-1')).map((i) => [i.idempotencyKey, i.state])).toEqual([
      ['k-1', 'failed'],
      ['k-2', 'recorded'],
    ]);
  });

  it('refuses an intent for an order that is final', async () => {
    await ledger.orders.setState('o-1', 'refused', 'amount above quote');
    const error = await ledger.intents.record(tonIntent('k-1', 'o-1')).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('ORDER_NOT_PAYABLE');
  });

  it('refuses an intent for an order that does not exist', async () => {
    const error = await ledger.intents.record(tonIntent('k-1', 'ghost')).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('NOT_FOUND');
  });

  it('refuses an intent that pays more than its order asks, or in another currency or method', async () => {
    for (const bad of [{ amount: toNano('3.500000001') }, { currency: 'XTR' as const }, { method: 'stars' }]) {
      const error = await ledger.intents.record(tonIntent('k-bad', 'o-1', bad)).catch((e: unknown) => e);
      expect(codeOf(error)).toBe('INTENT_MISMATCH');
    }
    expect(await ledger.intents.forOrder('o-1')).toEqual([]);
  });

  it('refuses a payload that cannot be stored as JSON, such as a bigint form id', async () => {
    const error = await ledger.intents
      .record(tonIntent('k-1', 'o-1', { payload: { slug: 'abc', formId: 123n } }))
      .catch((e: unknown) => e);
    expect(codeOf(error)).toBe('INVALID_INPUT');
  });

  it('records what was learned as the intent moves forward', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.intents.setState('k-1', 'sent', { txHash: 'msg-hash' });
    await ledger.intents.setState('k-1', 'unknown', { reason: 'no confirmation in 60 s' });
    const confirmed = await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx-hash', fee: 2n ** 70n });
    expect(confirmed).toMatchObject({ state: 'confirmed', txHash: 'tx-hash', fee: 2n ** 70n, reason: null });
  });

  it('fills a tx hash learned late without moving the state', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.intents.setState('k-1', 'confirmed');
    const row = await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx-hash', fee: 1234n });
    expect(row).toMatchObject({ state: 'confirmed', txHash: 'tx-hash', fee: 1234n });
  });

  it('never moves a confirmed intent to failed, nor an unknown one back to sent', async () => {
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await ledger.intents.setState('k-1', 'confirmed', { txHash: 'tx' });
    expect(codeOf(await ledger.intents.setState('k-1', 'failed').catch((e: unknown) => e))).toBe('ILLEGAL_TRANSITION');

    await ledger.orders.insert(tonOrder('o-2'));
    await ledger.intents.record(tonIntent('k-2', 'o-2'));
    await ledger.intents.setState('k-2', 'unknown');
    expect(codeOf(await ledger.intents.setState('k-2', 'sent').catch((e: unknown) => e))).toBe('ILLEGAL_TRANSITION');
    expect((await ledger.intents.get('k-1'))?.state).toBe('confirmed');
    expect((await ledger.intents.get('k-2'))?.state).toBe('unknown');
  });

  it('reports setState on a missing intent as NOT_FOUND and get as undefined', async () => {
    expect(await ledger.intents.get('ghost')).toBeUndefined();
    expect(codeOf(await ledger.intents.setState('ghost', 'sent').catch((e: unknown) => e))).toBe('NOT_FOUND');
  });

  it('lists as open exactly the intents that are recorded, sent or unknown', async () => {
    const states = ['recorded', 'sent', 'confirmed', 'failed', 'unknown'] as const;
    for (const state of states) {
      await ledger.orders.insert(tonOrder(`o-${state}`));
      await ledger.intents.record(tonIntent(`k-${state}`, `o-${state}`));
      await ledger.intents.setState(`k-${state}`, state);
    }
    const open = await ledger.intents.open();
    expect(open.map((i) => i.idempotencyKey).sort()).toEqual(['k-recorded', 'k-sent', 'k-unknown']);
    expect(open.find((i) => i.idempotencyKey === 'k-sent')?.payload).toEqual(tonIntent('x', 'y').payload);
  });

  it('names where confirmed payments of a method went, each once, the latest paid first, at most as many as asked', async () => {
    let now = 1_700_000_000_000;
    const clocked = await openLedger(':memory:', { now: () => now });
    try {
      await seedPurchase(clocked);
      const pay = async (n: number, destination: string, state: 'confirmed' | 'failed' | 'sent', method = 'ton'): Promise<void> => {
        now += 1_000;
        await clocked.orders.insert(tonOrder(`o-${n}`, { destination, method }));
        await clocked.intents.record(tonIntent(`k-${n}`, `o-${n}`, { destination, method }));
        await clocked.intents.setState(`k-${n}`, state);
      };
      await pay(1, 'UQStoreA', 'confirmed');
      await pay(2, 'UQStoreB', 'confirmed');
      await pay(3, 'UQStoreA', 'confirmed');
      await pay(4, 'UQNeverPaid', 'failed');
      await pay(5, 'UQInFlight', 'sent');
      await pay(6, 'UQOtherMethod', 'confirmed', 'voucher');
      await pay(7, 'UQStoreC', 'confirmed');
      expect(await clocked.intents.confirmedDestinations('ton', 5)).toEqual(['UQStoreC', 'UQStoreA', 'UQStoreB']);
      expect(await clocked.intents.confirmedDestinations('ton', 2)).toEqual(['UQStoreC', 'UQStoreA']);
      expect(await clocked.intents.confirmedDestinations('voucher', 5)).toEqual(['UQOtherMethod']);
      expect(await clocked.intents.confirmedDestinations('stars', 5)).toEqual([]);
    } finally {
      clocked.close();
    }
  });
});
