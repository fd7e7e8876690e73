/** The crash runner's money checks on hand-made outcomes: a clean run passes, and each way money can go wrong after a
 *  crash (paid twice, paid but not recorded, paid with no order, over budget, recorded but never paid) is counted. */
import { describe, expect, it } from 'vitest';
import { checkCrashRun, type LedgerFacts, type WorldFacts, type WorldOrder } from '../../bench/crash-checks.js';

const TON_ORDER: WorldOrder = { id: 'a1', currency: 'TON', ledgerKey: 'a1', totalAmount: 12_500_000_000n, count: 5, payments: [{ verdict: 'paid', amount: 12_500_000_000n }] };
const STARS_ORDER: WorldOrder = { id: 'b2', currency: 'XTR', ledgerKey: 'slug-b2', totalAmount: 250n, count: 1, payments: [{ verdict: 'paid', amount: 250n }] };
const UNPAID: WorldOrder = { id: 'c3', currency: 'TON', ledgerKey: 'c3', totalAmount: 5_000_000_000n, count: 2, payments: [] };

const cleanWorld: WorldFacts = {
  orders: [TON_ORDER, STARS_ORDER, UNPAID],
  unmatched: [],
  chain: [{ txHash: 'tx1', comment: 'a1', amount: 12_500_000_000n }],
};
const cleanLedger: LedgerFacts = {
  orders: [
    { orderId: 'a1', currency: 'TON', amount: 12_500_000_000n, state: 'paid' },
    { orderId: 'slug-b2', currency: 'XTR', amount: 250n, state: 'paid' },
    { orderId: 'c3', currency: 'TON', amount: 5_000_000_000n, state: 'failed' },
  ],
  spent: { TON: 12_503_000_000n, XTR: 250n },
  openIntents: 0,
};
const budget = { TON: 80_000_000_000n, XTR: 3000n };

describe('crash run checks', () => {
  it('passes a run where ledger and world agree within budget', () => {
    const v = checkCrashRun(cleanWorld, cleanLedger, budget);
    expect(v).toMatchObject({ doublePaid: 0, lostPayments: 0, overBudget: 0, ledgerMismatch: 0, paidOrders: 2, paidPacks: 6 });
    expect(v.problems).toEqual([]);
  });

  it('counts a TON order the store saw paid twice', () => {
    const twice = { ...TON_ORDER, payments: [...TON_ORDER.payments, { verdict: 'duplicate', amount: 12_500_000_000n }] };
    const chain = [...cleanWorld.chain, { txHash: 'tx2', comment: 'a1', amount: 12_500_000_000n }];
    const v = checkCrashRun({ ...cleanWorld, orders: [twice, STARS_ORDER, UNPAID], chain }, cleanLedger, budget);
    expect(v.doublePaid).toBe(1);
    expect(v.problems[0]).toContain('a1');
  });

  it('counts a Stars invoice charged twice', () => {
    const twice = { ...STARS_ORDER, payments: [...STARS_ORDER.payments, { verdict: 'mismatch', amount: 250n }] };
    expect(checkCrashRun({ ...cleanWorld, orders: [TON_ORDER, twice, UNPAID] }, cleanLedger, budget).doublePaid).toBe(1);
  });

  it('counts duplicate transfers on the chain even when the store recorded only one', () => {
    const chain = [...cleanWorld.chain, { txHash: 'tx2', comment: 'a1', amount: 12_500_000_000n }];
    const v = checkCrashRun({ ...cleanWorld, chain }, cleanLedger, budget);
    expect(v.doublePaid).toBe(1);
    expect(v.lostPayments).toBe(1);
  });

  it('counts an order paid at the store that the ledger left unknown or never recorded', () => {
    const unknown = { ...cleanLedger, orders: cleanLedger.orders.map((o) => (o.orderId === 'slug-b2' ? { ...o, state: 'unknown' } : o)) };
    expect(checkCrashRun(cleanWorld, unknown, budget).lostPayments).toBe(1);
    const missing = { ...cleanLedger, orders: cleanLedger.orders.filter((o) => o.orderId !== 'a1') };
    const v = checkCrashRun(cleanWorld, missing, budget);
    expect(v.lostPayments).toBe(1);
    expect(v.problems.join('\n')).toContain('has no such order');
  });

  it('counts a transfer to the store that names no order', () => {
    const stray = { txHash: 'tx9', comment: 'nothing', amount: 1_000_000_000n };
    const v = checkCrashRun({ ...cleanWorld, unmatched: [stray], chain: [...cleanWorld.chain, stray] }, cleanLedger, budget);
    expect(v.lostPayments).toBe(1);
  });

  it('counts an order the ledger holds as paid that the store got no money for', () => {
    const phantom = { ...cleanLedger, orders: cleanLedger.orders.map((o) => (o.orderId === 'c3' ? { ...o, state: 'paid' } : o)) };
    const v = checkCrashRun(cleanWorld, phantom, budget);
    expect(v.ledgerMismatch).toBe(1);
    expect(v.lostPayments).toBe(0);
  });

  it('counts a currency whose ledger spend or store receipts exceed the budget', () => {
    expect(checkCrashRun(cleanWorld, { ...cleanLedger, spent: { TON: 80_000_000_001n, XTR: 250n } }, budget).overBudget).toBe(1);
    expect(checkCrashRun(cleanWorld, cleanLedger, { TON: 10_000_000_000n, XTR: 3000n }).overBudget).toBe(1);
  });

  it('fails a run that bought more packs than the targets want', () => {
    const v = checkCrashRun(cleanWorld, cleanLedger, budget, 5);
    expect(v.overbought).toBe(1);
    expect(v.problems).toEqual(['bought 6 packs, the targets want 5']);
    expect(checkCrashRun(cleanWorld, cleanLedger, budget, 6).overbought).toBe(0);
  });

  it('notes an intent left open without failing the run', () => {
    const open = { ...cleanLedger, openIntents: 1, orders: cleanLedger.orders.map((o) => (o.orderId === 'c3' ? { ...o, state: 'unknown' } : o)) };
    const v = checkCrashRun(cleanWorld, open, budget);
    expect(v.problems).toEqual([]);
    expect(v.notes).toHaveLength(2);
  });
});
