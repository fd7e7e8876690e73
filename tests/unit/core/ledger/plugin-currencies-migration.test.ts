/** Migration 007: the money tables take any currency code a plugin declares, and a ledger written before keeps every
 *  row, index and foreign key. */
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { ledgerMigrationProvider } from '../../../../core/ledger/migrations/index.js';
import { moneyTables, reservedOrder, seedPurchase, tempFolder, tonIntent, tonOrder } from './ledger-fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function indexNames(ledger: Ledger): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and sql is not null order by name`.execute(ledger.db);
  return rows.map((r) => r.name);
}

describe('ledger migration 007: plugin currencies', () => {
  it('records orders, intents and reservations in a currency a plugin declares', async () => {
    const ledger = await openLedger(':memory:');
    cleanups.push(() => ledger.close());
    await seedPurchase(ledger);
    const reservation = await ledger.budget.reserve({ currency: 'VCH', amount: 1250n, account: 'alice', target: '19:2', limits: { total: 5000n } });
    expect(reservation.ok).toBe(true);
    await ledger.orders.insert(tonOrder('v-1', { method: 'voucher', currency: 'VCH', amount: 1250n }));
    await ledger.intents.record(tonIntent('k-v-1', 'v-1', { method: 'voucher', currency: 'VCH', amount: 1250n }));
    expect((await ledger.orders.get('v-1'))?.currency).toBe('VCH');
    await expect(ledger.orders.insert(tonOrder('v-2', { currency: 'vch' }))).rejects.toThrow();
  });

  it('keeps every row and index of a ledger written before it, and takes it back down', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const path = join(folder.dir, 'automint.db');
    const ledger = await openLedger(path);
    const migrator = new Migrator({ db: ledger.db, provider: ledgerMigrationProvider });
    const indexes = await indexNames(ledger);
    const down = await migrator.migrateTo('006-ghost-orders');
    expect(down.error).toBeUndefined();
    await seedPurchase(ledger);
    await reservedOrder(ledger, 'o-1');
    await ledger.intents.record(tonIntent('k-1', 'o-1'));
    await expect(ledger.orders.insert(tonOrder('v-0', { currency: 'VCH' }))).rejects.toThrow(/CHECK/);
    const before = await moneyTables(ledger);
    await ledger.close();

    const again = await openLedger(path);
    cleanups.push(() => again.close());
    expect(await moneyTables(again)).toEqual(before);
    expect(await indexNames(again)).toEqual(indexes);
    const { rows } = await sql`pragma foreign_key_check`.execute(again.db);
    expect(rows).toEqual([]);
    const { rows: enforced } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(again.db);
    expect(enforced).toEqual([{ foreign_keys: 1 }]);
    // The one-live-intent-per-order index still holds after the rebuild.
    await expect(again.intents.record(tonIntent('k-2', 'o-1'))).rejects.toThrow();
  });

  it('opens a ledger whose 007 committed but whose migration row was never written (crash or a second process)', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const path = join(folder.dir, 'automint.db');
    const ledger = await openLedger(path);
    await seedPurchase(ledger);
    await reservedOrder(ledger, 'o-1');
    await ledger.orders.insert(tonOrder('v-1', { method: 'voucher', currency: 'VCH', amount: 1250n }));
    const before = await moneyTables(ledger);
    await sql`delete from kysely_migration where name = '007-plugin-currencies'`.execute(ledger.db);
    await ledger.close();

    const again = await openLedger(path);
    cleanups.push(() => again.close());
    expect(await moneyTables(again)).toEqual(before);
    const { rows } = await sql<{ name: string }>`select name from kysely_migration where name = '007-plugin-currencies'`.execute(again.db);
    expect(rows).toHaveLength(1);
  });

  it('refuses to go back down with a clear error while a row holds a currency other than TON or XTR', async () => {
    const ledger = await openLedger(':memory:');
    cleanups.push(() => ledger.close());
    await seedPurchase(ledger);
    await ledger.orders.insert(tonOrder('v-1', { method: 'voucher', currency: 'VCH', amount: 1250n }));
    const before = await moneyTables(ledger);
    const migrator = new Migrator({ db: ledger.db, provider: ledgerMigrationProvider });
    const down = await migrator.migrateTo('006-ghost-orders');
    expect(String(down.error)).toMatch(/orders holds 1 row in a currency other than TON or XTR \(VCH\)/);
    expect(String(down.error)).not.toMatch(/CHECK constraint/);
    expect(await moneyTables(ledger)).toEqual(before);
  });

  it('never hands out again the id of a budget reservation deleted before the rebuild', async () => {
    const ledger = await openLedger(':memory:');
    cleanups.push(() => ledger.close());
    const migrator = new Migrator({ db: ledger.db, provider: ledgerMigrationProvider });
    expect((await migrator.migrateTo('006-ghost-orders')).error).toBeUndefined();
    await seedPurchase(ledger);
    await reservedOrder(ledger, 'o-1');
    const last = await reservedOrder(ledger, 'o-2');
    await sql`delete from budget_reservations where id = ${last}`.execute(ledger.db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const next = await ledger.budget.reserve({ currency: 'TON', amount: 1n, account: 'alice', target: '19:2', limits: { total: 10n ** 12n } });
    if (!next.ok) throw new Error('reservation refused');
    expect(next.reservation.id).toBeGreaterThan(last);
  });
});
