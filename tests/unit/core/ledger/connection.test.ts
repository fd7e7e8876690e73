import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { PURCHASE, tempFolder, tonOrder } from './ledger-fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(path: string, busyTimeoutMs?: number): Promise<Ledger> {
  const ledger = await openLedger(path, { busyTimeoutMs });
  cleanups.push(() => ledger.close());
  return ledger;
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('ledger connection', () => {
  it('waits for an open kysely transaction instead of joining it, so its rollback cannot erase a reservation', async () => {
    const ledger = await open(':memory:');
    const inserted = gate();
    const finish = gate();
    const now = Date.now();
    const failing = ledger.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('purchases')
        .values({
          id: PURCHASE.id, collection: PURCHASE.collection, character: PURCHASE.character, account: PURCHASE.account,
          packs_wanted: 1, state: 'idle', reason: null, created_at: now, updated_at: now,
        })
        .execute();
      inserted.open();
      await finish.promise;
      throw new Error('roll back this transaction');
    });
    await inserted.promise;
    const reservation = ledger.budget.reserve({ currency: 'TON', amount: 5n, account: 'alice', target: '19:2', limits: { total: 10n } });
    finish.open();
    await expect(failing).rejects.toThrow('roll back');
    const result = await reservation;
    expect(result.ok).toBe(true);
    expect(await ledger.budget.committed('TON')).toBe(5n);
    expect(await ledger.purchases.list()).toEqual([]);
  });

  it('opens kysely transactions with BEGIN IMMEDIATE, so a second process cannot write meanwhile and gets BUSY', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const path = join(folder.dir, 'automint.db');
    const holder = await open(path);
    const other = await open(path, 0);
    const started = gate();
    const finish = gate();
    // No statement runs inside: only an IMMEDIATE begin takes the write lock.
    const holding = holder.db.transaction().execute(async () => {
      started.open();
      await finish.promise;
    });
    await started.promise;
    const error = await other.purchases.ensure(PURCHASE).catch((e: unknown) => e);
    finish.open();
    await holding;
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).code).toBe('BUSY');
    await expect(other.purchases.ensure(PURCHASE)).resolves.toMatchObject({ id: PURCHASE.id });
  });
});

describe('a disk that refuses the ledger\'s writes', () => {
  it('keeps the first refused write with SQLite\'s reason and the path, and tells each listener once', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const file = join(folder.dir, 'automint.db');
    const ledger = await open(file);
    const told: LedgerError[] = [];
    ledger.onStorageFault((fault) => told.push(fault));
    expect(ledger.storageFault).toBeNull();
    // A real refusal from SQLite itself: the connection may read but not write, as on a read-only disk.
    await sql`pragma query_only = 1`.execute(ledger.db);
    const refused = await ledger.purchases.ensure({ ...PURCHASE, packsWanted: 1 }).then(() => null, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'STORAGE_FAILED', details: { sqliteCode: 'SQLITE_READONLY' } });
    expect((refused as Error).message).toBe('the ledger could not write (SQLITE_READONLY: attempt to write a readonly database); nothing was written');
    await ledger.limiter.save([{ pool: 'ip:direct', tokens: 1, blockedUntil: 0, breakerState: 'closed', breakerOpenedAt: null, breakerFailures: 0,
      learnedLimit: null, learnedWindowMs: null, updatedAt: Date.now() }]).catch(() => undefined);
    expect(told).toHaveLength(1);
    expect(ledger.storageFault).toBe(told[0]);
    expect(told[0]!.message).toBe(`the ledger at ${file} cannot be written (SQLITE_READONLY: attempt to write a readonly database): ` +
      'free space on its disk or make it writable, then run again');
    // A listener that comes later hears of it at once.
    const late: LedgerError[] = [];
    ledger.onStorageFault((fault) => late.push(fault));
    expect(late).toEqual([told[0]]);
  });

  it('does not take a refusal of its own (a duplicate order) for a disk fault', async () => {
    const ledger = await open(':memory:');
    await ledger.purchases.ensure(PURCHASE);
    await ledger.orders.insert(tonOrder('o-1'));
    const duplicate = await ledger.orders.insert(tonOrder('o-1')).then(() => null, (e: unknown) => e);
    expect(duplicate).toMatchObject({ code: 'DUPLICATE_ORDER' });
    expect(ledger.storageFault).toBeNull();
  });
});
