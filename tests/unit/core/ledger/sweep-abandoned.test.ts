import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { moneyTables, reservedOrder, seedPurchase, tonIntent } from './ledger-fixtures.js';

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

async function orphan(): Promise<number> {
  const r = await ledger.budget.reserve({ currency: 'TON', amount: 10n, account: 'alice', target: '19:2', limits: { total: 10n ** 15n } });
  if (!r.ok) throw new Error('orphan reservation refused');
  return r.reservation.id;
}

/** One order in each situation a crash can leave behind; returns the reservation of each. */
async function crashedRun() {
  const r = {
    orphanOld: await orphan(),
    orphanReleased: await orphan(),
    created: await reservedOrder(ledger, 'o-created'),
    payingFailed: await reservedOrder(ledger, 'o-paying-failed'),
    live: await reservedOrder(ledger, 'o-live'),
    sent: await reservedOrder(ledger, 'o-sent'),
    unknown: await reservedOrder(ledger, 'o-unknown'),
    paid: await reservedOrder(ledger, 'o-paid'),
    orphanNew: 0,
  };
  await ledger.budget.release(r.orphanReleased);
  // Crash after the intent failed but before the order followed (the old, split settlement).
  await ledger.recordIntent(tonIntent('k-failed', 'o-paying-failed'));
  await ledger.intents.setState('k-failed', 'failed', { reason: 'never sent' });
  await ledger.recordIntent(tonIntent('k-live', 'o-live'));
  await ledger.recordIntent(tonIntent('k-sent', 'o-sent'));
  await ledger.intents.setState('k-sent', 'sent');
  await ledger.recordIntent(tonIntent('k-unknown', 'o-unknown'));
  await ledger.settle({ idempotencyKey: 'k-unknown', orderId: 'o-unknown', reservationId: null, outcome: 'unknown', reason: 'timeout' });
  await ledger.recordIntent(tonIntent('k-paid', 'o-paid'));
  await ledger.settle({ idempotencyKey: 'k-paid', orderId: 'o-paid', reservationId: null, outcome: 'paid', txHash: 'tx' });
  clock = START + 10_000;
  r.orphanNew = await orphan();
  return r;
}

describe('sweepAbandoned', () => {
  it('fails orders left before any payment, releases their budget and old orphans, and leaves live payments alone', async () => {
    const r = await crashedRun();
    const before = await moneyTables(ledger);
    clock += 1_000;
    const result = await ledger.sweepAbandoned(START + 10_000);
    expect(result).toEqual({ orders: ['o-created', 'o-paying-failed'], reservations: [r.orphanOld, r.created, r.payingFailed] });

    expect(await ledger.orders.get('o-created')).toMatchObject({ state: 'failed', reason: 'abandoned before payment: created', updatedAt: clock });
    expect(await ledger.orders.get('o-paying-failed')).toMatchObject({ state: 'failed', reason: 'abandoned before payment: paying' });
    const after = await moneyTables(ledger);
    const released = new Set(result.reservations);
    for (const row of after.reservations) {
      const old = before.reservations.find((b) => b.id === row.id)!;
      if (released.has(row.id)) expect(row).toEqual({ ...old, state: 'released', updated_at: clock });
      else expect(row).toEqual(old);
    }
    const swept = new Set(result.orders);
    expect(after.orders.filter((o) => !swept.has(o.order_id))).toEqual(before.orders.filter((o) => !swept.has(o.order_id)));
    expect(after.intents).toEqual(before.intents);
    expect((await ledger.budget.list({ state: 'held' })).map((x) => x.id)).toEqual([r.live, r.sent, r.unknown, r.orphanNew]);
  });

  it('does nothing the second time', async () => {
    await crashedRun();
    await ledger.sweepAbandoned(START + 10_000);
    const after = await moneyTables(ledger);
    clock += 1_000;
    expect(await ledger.sweepAbandoned(START + 10_000)).toEqual({ orders: [], reservations: [] });
    expect(await moneyTables(ledger)).toEqual(after);
  });

  it('releases an orphan only when it is older than the cut-off', async () => {
    const early = await orphan();
    clock += 5;
    const late = await orphan();
    expect(await ledger.sweepAbandoned(START + 5)).toEqual({ orders: [], reservations: [early] });
    expect((await ledger.budget.get(late))?.state).toBe('held');
  });

  it('rolls every order back when a reservation cannot be written', async () => {
    await crashedRun();
    await sql.raw(`CREATE TRIGGER break_budget BEFORE UPDATE ON budget_reservations BEGIN SELECT RAISE(ABORT, 'injected'); END`).execute(ledger.db);
    const before = await moneyTables(ledger);
    const error = await ledger.sweepAbandoned(START + 10_000).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('STORAGE_FAILED');
    expect(await moneyTables(ledger)).toEqual(before);
    expect((await ledger.orders.get('o-created'))?.state).toBe('created');
  });

  it('refuses a cut-off that is not epoch milliseconds', async () => {
    expect(codeOf(await ledger.sweepAbandoned(Number.NaN).catch((e: unknown) => e))).toBe('INVALID_INPUT');
  });
});
