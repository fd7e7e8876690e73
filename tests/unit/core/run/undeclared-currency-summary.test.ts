/** A ledger may hold orders in a currency no plugin loaded now declares (the config stopped naming the plugin an
 *  earlier run paid with): the end of a run still summarises them, in smallest units, instead of throwing
 *  UnknownCurrency after the buying is done (which would turn the run's exit code into a crash). */
import { afterEach, describe, expect, it } from 'vitest';
import { describeHeld } from '../../../../core/actors/unknown-payments.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { formatKnownOrRaw, isKnownCurrency } from '../../../../core/money.js';
import { renderSummary, summarize } from '../../../../core/run/summary.js';
import { seedPurchase, tonOrder } from '../ledger/ledger-fixtures.js';

let ledger: Ledger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

describe('a run summary with a currency no loaded plugin declares', () => {
  it('renders paid and held orders in smallest units instead of throwing', async () => {
    expect(isKnownCurrency('GONE')).toBe(false);
    ledger = await openLedger(':memory:');
    await seedPurchase(ledger);
    await ledger.orders.insert(tonOrder('paid-1', { method: 'gone', currency: 'GONE', amount: 7n }));
    await ledger.orders.setState('paid-1', 'paying');
    await ledger.orders.setState('paid-1', 'paid');
    await ledger.orders.insert(tonOrder('held-1', { method: 'gone', currency: 'GONE', amount: 9n }));
    await ledger.orders.setState('held-1', 'unknown', 'not confirmed within 40 s');
    const plan = { dryRun: false, targets: [{ collection: 19, character: 2, packs: 10 }] };
    const summary = await summarize(ledger, new RunMetrics(), [], null, plan);
    const text = renderSummary(summary);
    expect(text).toContain('7 (smallest units) GONE');
    expect(text).toContain('spent: 7 (smallest units) GONE (fees 0 (smallest units) GONE)');
    expect(text).toContain('order held-1 (gone, 2 packs, 9 (smallest units) GONE): not confirmed within 40 s');
  });

  it('describes a held payment in smallest units for run-bot\'s log line', () => {
    const line = describeHeld({ orderId: 'o1', method: 'gone', account: 'alice', target: '19:2', count: 1, currency: 'GONE', amount: 5n, reason: 'unknown' });
    expect(line).toBe('order o1 (gone, 1 pack, 5 (smallest units) GONE): unknown');
  });

  it('formats a declared currency as usual', () => {
    expect(formatKnownOrRaw('TON', 1_500_000_000n)).toBe('1.5');
    expect(formatKnownOrRaw('GONE', 12n)).toBe('12 (smallest units)');
  });
});
