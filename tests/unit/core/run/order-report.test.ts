/** `automint orders` lists every order of the ledger in its currency's decimals, a plugin's currency included, and
 *  still lists an order whose currency no plugin loaded now declares. */
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { declareCurrency } from '../../../../core/money.js';
import { orderReports } from '../../../../core/run/order-report.js';
import { seedPurchase, tonOrder } from '../ledger/ledger-fixtures.js';

let ledger: Ledger | undefined;
afterEach(async () => {
  await ledger?.close();
});

describe('order reports', () => {
  it('formats a plugin currency in its declared decimals, and an undeclared one in smallest units', async () => {
    declareCurrency({ code: 'CNT', decimals: 2 }, 'test');
    ledger = await openLedger(':memory:');
    await seedPurchase(ledger);
    await ledger.orders.insert(tonOrder('cents', { method: 'cents', currency: 'CNT', amount: 1_250n }));
    await ledger.orders.insert(tonOrder('gone', { method: 'gone', currency: 'GONE', amount: 7n }));
    const reports = await orderReports(ledger);
    expect(reports.map((r) => [r.orderId, r.amount, r.currency])).toEqual([['cents', '12.5', 'CNT'], ['gone', '7 (smallest units)', 'GONE']]);
  });
});
