import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { PURCHASE, tempFolder } from './ledger-fixtures.js';

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
