import { existsSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateLedger, openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { PURCHASE, seedPurchase, tempFolder, tonOrder } from './ledger-fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openTemp(name = 'data/automint.db'): Promise<{ ledger: Ledger; path: string; dir: string }> {
  const folder = tempFolder();
  cleanups.push(folder.remove);
  const path = join(folder.dir, name);
  const ledger = await openLedger(path);
  cleanups.push(() => ledger.close());
  return { ledger, path, dir: folder.dir };
}

async function pragma(ledger: Ledger, name: string): Promise<unknown> {
  const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(ledger.db);
  return Object.values(rows[0] ?? {})[0];
}

describe('openLedger', () => {
  it('creates the missing parent folder and a database file only its owner can read or write', async () => {
    const { ledger, path } = await openTemp('nested/deeper/automint.db');
    await seedPurchase(ledger);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // SQLite creates the write-ahead log with the main file's mode.
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing database file to mode 0600', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const path = join(folder.dir, 'automint.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const ledger = await openLedger(path);
    cleanups.push(() => ledger.close());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('runs a file database in WAL mode with foreign keys, full sync and a busy timeout', async () => {
    const { ledger } = await openTemp();
    expect(await pragma(ledger, 'journal_mode')).toBe('wal');
    expect(await pragma(ledger, 'foreign_keys')).toBe(1);
    expect(await pragma(ledger, 'synchronous')).toBe(2);
    expect(await pragma(ledger, 'busy_timeout')).toBe(5000);
  });

  it('enforces foreign keys: an order for a purchase that does not exist cannot be written even bypassing the repositories', async () => {
    const ledger = await openLedger(':memory:');
    cleanups.push(() => ledger.close());
    const now = Date.now();
    await expect(
      ledger.db
        .insertInto('orders')
        .values({
          order_id: 'o1', purchase_id: 'nope', method: 'ton', account: 'a', collection: 1, character: 1, count: 1,
          currency: 'TON', amount: '1', destination: 'd', expires_at: now, state: 'created', reason: null,
          created_at: now, updated_at: now,
        })
        .execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  it('stores amounts only as canonical decimal text, even when the repositories are bypassed', async () => {
    const ledger = await openLedger(':memory:');
    cleanups.push(() => ledger.close());
    await seedPurchase(ledger);
    const now = Date.now();
    for (const amount of ['-1', '1.5', '007', '', '1e9']) {
      await expect(
        ledger.db
          .insertInto('orders')
          .values({
            order_id: `o-${amount}`, purchase_id: PURCHASE.id, method: 'ton', account: 'alice', collection: 19,
            character: 2, count: 1, currency: 'TON', amount, destination: 'd', expires_at: now, state: 'created',
            reason: null, created_at: now, updated_at: now,
          })
          .execute(),
      ).rejects.toThrow(/CHECK constraint/);
    }
  });

  it('runs migrations twice harmlessly and keeps the data across reopening', async () => {
    const { ledger, path } = await openTemp();
    await seedPurchase(ledger);
    await ledger.orders.insert(tonOrder('o-1'));
    expect(await migrateLedger(ledger.db)).toEqual([]);
    await ledger.close();

    const again = await openLedger(path);
    cleanups.push(() => again.close());
    expect(await migrateLedger(again.db)).toEqual([]);
    expect((await again.orders.get('o-1'))?.amount).toBe(3_500_000_000n);
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(again.db);
    expect(rows.map((r) => r.name)).toEqual(['001-initial', '002-limiter-state', '003-endpoint-stats', '004-campaign', '005-snipe-seen', '006-ghost-orders', '007-plugin-currencies']);
  });

  it('applies every migration to a fresh database', async () => {
    const ledger = await openLedger(':memory:');
    cleanups.push(() => ledger.close());
    const tables = await ledger.db.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual(['budget_reservations', 'campaign', 'endpoint_stats', 'ghost_orders', 'limiter_state', 'orders', 'payment_intents', 'purchases', 'snipe_seen', 'snipe_state']);
  });

  it('refuses a file that is not a SQLite database with OPEN_FAILED', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const path = join(folder.dir, 'garbage.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    const error = await openLedger(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).code).toBe('OPEN_FAILED');
    expect((error as LedgerError).details).toEqual({ path });
  });

  it('says why a ledger cannot be opened: the reason of the operating system or SQLite', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const blocker = join(folder.dir, 'plain-file');
    writeFileSync(blocker, '');
    const error = await openLedger(join(blocker, 'data', 'automint.db')).catch((e: unknown) => e);
    expect((error as LedgerError).code).toBe('OPEN_FAILED');
    expect((error as LedgerError).message).toMatch(/: ENOTDIR: not a directory$/);
    const garbage = join(folder.dir, 'garbage.db');
    writeFileSync(garbage, 'not a database at all, only text, long enough to fill a header'.repeat(20));
    expect(((await openLedger(garbage).catch((e: unknown) => e)) as LedgerError).message).toMatch(/SQLITE_NOTADB: file is not a database/);
  });

  it('opens an existing ledger only, when told it must exist, and creates nothing otherwise', async () => {
    const { path, dir } = await openTemp('data/automint.db');
    const again = await openLedger(path, { mustExist: true });
    cleanups.push(() => again.close());
    const missing = join(dir, 'elsewhere', 'automint.db');
    const error = await openLedger(missing, { mustExist: true }).catch((e: unknown) => e);
    expect((error as LedgerError).code).toBe('NO_LEDGER');
    expect((error as LedgerError).message).toBe(`no ledger at ${missing} (has \`automint run\` been run with this config?)`);
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);
  });

  it('closes once and ignores a second close', async () => {
    const ledger = await openLedger(':memory:');
    await ledger.close();
    await expect(ledger.close()).resolves.toBeUndefined();
  });
});
