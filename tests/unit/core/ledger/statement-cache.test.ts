/** The ledger's read-check-write transactions prepare each SQL statement once per connection, not on every
 *  transaction: the claims a drop makes (and every other hot write) reuse the statements the first one prepared. */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano } from '../../../../core/money.js';
import { seedPurchase, tonOrder } from './ledger-fixtures.js';

let ledger: Ledger | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await ledger?.close();
});

const claimOne = async (l: Ledger) => {
  const r = await l.claims.claim({
    currency: 'TON', account: 'alice', target: '19:2', method: 'ton', packs: 1, wanted: 1_000,
    amountFor: () => toNano('3'), limits: { total: toNano('10000') },
  });
  if (!r.ok) throw new Error(`claim refused: ${r.reason}`);
  return r.reservation.id;
};

describe('prepared statements of the ledger\'s transactions', () => {
  it('prepares nothing more for claims, orders and releases after the first of each', async () => {
    const l = (ledger = await openLedger(':memory:'));
    await seedPurchase(l);
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    const warm = await claimOne(l);
    await l.recordOrder(tonOrder('o0'), warm);
    await l.budget.release(await claimOne(l));
    const preparedByFirst = prepare.mock.calls.length;
    expect(preparedByFirst).toBeGreaterThan(0);
    for (let i = 1; i <= 20; i++) {
      await l.recordOrder(tonOrder(`o${i}`), await claimOne(l));
      await l.budget.release(await claimOne(l));
    }
    expect(prepare.mock.calls.length).toBe(preparedByFirst);
  });
});
