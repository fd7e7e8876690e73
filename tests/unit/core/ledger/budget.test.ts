import fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetLimits, ReserveResult } from '../../../../core/ledger/budget.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { toNano, type Units } from '../../../../core/money.js';
import { seedPurchase, tempFolder, tonOrder } from './ledger-fixtures.js';

const codeOf = (e: unknown) => (e instanceof LedgerError ? e.code : String(e));
const TON = (text: string) => toNano(text) as Units;

function held(result: ReserveResult): number {
  if (!result.ok) throw new Error(`expected a reservation, got a ${result.reason} refusal`);
  return result.reservation.id;
}

describe('budget', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await openLedger(':memory:');
  });
  afterEach(() => ledger.close());

  const reserve = (amount: Units, limits: BudgetLimits, account = 'alice', target = '19:2') =>
    ledger.budget.reserve({ currency: 'TON', amount, account, target, limits });

  it('holds an amount within the limit and counts it as committed but not spent', async () => {
    const result = await reserve(TON('3'), { total: TON('10') });
    expect(result).toMatchObject({
      ok: true,
      reservation: { currency: 'TON', amount: TON('3'), account: 'alice', target: '19:2', state: 'held', orderId: null },
    });
    expect(await ledger.budget.committed('TON')).toBe(TON('3'));
    expect(await ledger.budget.committed('XTR')).toBe(0n);
    expect(await ledger.budget.spent('TON')).toBe(0n);
  });

  it('allows exactly the limit and refuses one nanoton more, naming the committed amount and the limit', async () => {
    held(await reserve(TON('7'), { total: TON('10') }));
    held(await reserve(TON('3'), { total: TON('10') }));
    expect(await reserve(1n, { total: TON('10') })).toEqual({ ok: false, reason: 'TOTAL', committed: TON('10'), limit: TON('10') });
  });

  it('refuses by account and by target within the total', async () => {
    const limits = { total: TON('100'), perAccount: TON('5'), perTarget: TON('8') };
    held(await reserve(TON('5'), limits, 'alice', '19:2'));
    expect(await reserve(TON('1'), limits, 'alice', '19:3')).toEqual({
      ok: false, reason: 'ACCOUNT', committed: TON('5'), limit: TON('5'),
    });
    held(await reserve(TON('3'), limits, 'bob', '19:2'));
    expect(await reserve(TON('1'), limits, 'carol', '19:2')).toEqual({
      ok: false, reason: 'TARGET', committed: TON('8'), limit: TON('8'),
    });
    held(await reserve(TON('5'), limits, 'carol', '19:3'));
    expect(await ledger.budget.committed('TON', { target: '19:2' })).toBe(TON('8'));
    expect(await ledger.budget.committed('TON', { account: 'carol' })).toBe(TON('5'));
    expect(await ledger.budget.committed('TON', { account: 'bob', target: '19:2' })).toBe(TON('3'));
  });

  it('lets exactly as many of 50 concurrent reservations through as the limit allows', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => reserve(TON('1'), { total: TON('20') }, `account-${i % 3}`)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, reason: 'TOTAL', committed: TON('20'), limit: TON('20') });
    expect(await ledger.budget.committed('TON')).toBe(TON('20'));
  });

  it('refuses to grow a reservation beyond the limit and leaves it as it was', async () => {
    const limits = { total: TON('10') };
    const id = held(await reserve(TON('8'), limits));
    held(await reserve(TON('1'), limits));
    const error = await ledger.budget.resize(id, TON('9.5')).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('BUDGET_EXCEEDED');
    expect((error as LedgerError).details).toMatchObject({ reason: 'TOTAL', committed: TON('1').toString(), limit: TON('10').toString() });
    expect((await ledger.budget.get(id))?.amount).toBe(TON('8'));
    await expect(ledger.budget.resize(id, TON('9'))).resolves.toMatchObject({ amount: TON('9') });
    expect(await ledger.budget.committed('TON')).toBe(TON('10'));
  });

  it('re-checks the per-account limit the reservation was granted under when it grows', async () => {
    const id = held(await reserve(TON('4'), { total: TON('100'), perAccount: TON('5') }));
    held(await reserve(TON('1'), { total: TON('100'), perAccount: TON('5') }));
    expect(codeOf(await ledger.budget.resize(id, TON('4.5')).catch((e: unknown) => e))).toBe('BUDGET_EXCEEDED');
  });

  it('always lets a reservation shrink', async () => {
    const id = held(await reserve(TON('8'), { total: TON('8') }));
    await expect(ledger.budget.resize(id, TON('2'))).resolves.toMatchObject({ amount: TON('2'), state: 'held' });
    expect(await ledger.budget.committed('TON')).toBe(TON('2'));
  });

  it('frees room when a reservation is released', async () => {
    const limits = { total: TON('10') };
    const id = held(await reserve(TON('10'), limits));
    expect((await reserve(TON('1'), limits)).ok).toBe(false);
    await ledger.budget.release(id);
    await expect(ledger.budget.release(id)).resolves.toMatchObject({ state: 'released' });
    expect(await ledger.budget.committed('TON')).toBe(0n);
    expect((await reserve(TON('10'), limits)).ok).toBe(true);
  });

  it('consumes at the actual amount paid, which then counts as spent', async () => {
    const id = held(await reserve(TON('5'), { total: TON('10') }));
    const row = await ledger.budget.consume(id, TON('4.2'));
    expect(row).toMatchObject({ state: 'consumed', amount: TON('4.2') });
    expect(await ledger.budget.spent('TON')).toBe(TON('4.2'));
    expect(await ledger.budget.committed('TON')).toBe(TON('4.2'));
    await expect(ledger.budget.consume(id, TON('4.2'))).resolves.toMatchObject({ state: 'consumed' });
    expect(codeOf(await ledger.budget.consume(id, TON('5')).catch((e: unknown) => e))).toBe('ILLEGAL_TRANSITION');
  });

  it('never releases a consumed reservation, but consumes a released one when the money moved after all', async () => {
    const consumed = held(await reserve(TON('1'), { total: TON('10') }));
    await ledger.budget.consume(consumed);
    expect(codeOf(await ledger.budget.release(consumed).catch((e: unknown) => e))).toBe('ILLEGAL_TRANSITION');
    expect(codeOf(await ledger.budget.resize(consumed, 1n).catch((e: unknown) => e))).toBe('ILLEGAL_TRANSITION');

    const released = held(await reserve(TON('2'), { total: TON('10') }));
    await ledger.budget.release(released);
    await ledger.budget.consume(released);
    expect(await ledger.budget.spent('TON')).toBe(TON('3'));
  });

  it('attaches a reservation to its order once', async () => {
    await seedPurchase(ledger);
    await ledger.orders.insert(tonOrder('o-1'));
    await ledger.orders.insert(tonOrder('o-2'));
    const id = held(await reserve(TON('4'), { total: TON('10') }));
    await expect(ledger.budget.attach(id, 'o-1')).resolves.toMatchObject({ id, orderId: 'o-1' });
    await expect(ledger.budget.attach(id, 'o-1')).resolves.toMatchObject({ orderId: 'o-1' });
    expect(codeOf(await ledger.budget.attach(id, 'o-2').catch((e: unknown) => e))).toBe('ILLEGAL_TRANSITION');
    expect((await ledger.budget.list({ orderId: 'o-1' })).map((r) => r.id)).toEqual([id]);

    const other = held(await reserve(TON('1'), { total: TON('10') }));
    expect(codeOf(await ledger.budget.attach(other, 'ghost').catch((e: unknown) => e))).toBe('NOT_FOUND');
    const stars = held(await ledger.budget.reserve({ currency: 'XTR', amount: 50n, account: 'alice', target: '19:2', limits: { total: 100n } }));
    expect(codeOf(await ledger.budget.attach(stars, 'o-2').catch((e: unknown) => e))).toBe('INVALID_INPUT');
  });

  it('reports an unknown or malformed reservation id as NOT_FOUND', async () => {
    for (const id of [999, -1, 0, 1.5, Number.NaN]) {
      expect(codeOf(await ledger.budget.release(id).catch((e: unknown) => e))).toBe('NOT_FOUND');
    }
    expect(await ledger.budget.get(999)).toBeUndefined();
  });

  it('keeps amounts of 2^70 exact through reservation, limits and sums', async () => {
    const big = 2n ** 70n;
    const limits = { total: 2n ** 71n + 1n, perAccount: 2n ** 71n };
    const a = held(await reserve(big, limits));
    held(await reserve(big, limits));
    expect(await reserve(1n, limits)).toEqual({ ok: false, reason: 'ACCOUNT', committed: 2n ** 71n, limit: 2n ** 71n });
    expect(await ledger.budget.committed('TON')).toBe(2n ** 71n);
    expect((await ledger.budget.get(a))?.limits).toEqual(limits);
    await ledger.budget.consume(a, big + 1n);
    expect(await ledger.budget.spent('TON')).toBe(big + 1n);
  });

  it('refuses negative amounts and limits', async () => {
    expect(codeOf(await reserve(-1n, { total: TON('1') }).catch((e: unknown) => e))).toBe('INVALID_INPUT');
    expect(codeOf(await reserve(1n, { total: -1n }).catch((e: unknown) => e))).toBe('INVALID_INPUT');
  });
});

describe('budget shared by two connections to one file', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('never lets two ledgers on the same file together exceed the limit', async () => {
    const folder = tempFolder();
    cleanups.push(folder.remove);
    const path = join(folder.dir, 'automint.db');
    const first = await openLedger(path);
    cleanups.push(() => first.close());
    const second = await openLedger(path);
    cleanups.push(() => second.close());
    const limits = { total: TON('15') };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? first : second).budget.reserve({ currency: 'TON', amount: TON('1'), account: 'alice', target: '19:2', limits }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(15);
    expect(await first.budget.committed('TON')).toBe(TON('15'));
    expect(await second.budget.committed('TON')).toBe(TON('15'));
  });
});

describe('budget invariant (property)', () => {
  const accounts = ['alice', 'bob', 'carol'];
  const targets = ['19:1', '19:2'];
  const amount = fc.bigInt({ min: 0n, max: 5_000_000_000n });
  const limit = fc.bigInt({ min: 0n, max: 30_000_000_000n });
  const step = fc.record({
    amount,
    account: fc.constantFrom(...accounts),
    target: fc.constantFrom(...targets),
    then: fc.constantFrom('keep', 'release', 'consume', 'resize'),
    resizeTo: amount,
  });

  it('never commits more than any limit, whatever mix of concurrent reserves, resizes, releases and consumes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ total: limit, perAccount: fc.option(limit, { nil: undefined }), perTarget: fc.option(limit, { nil: undefined }) }),
        fc.array(step, { maxLength: 40 }),
        async (limits, steps) => {
          const ledger = await openLedger(':memory:');
          try {
            await Promise.all(
              steps.map(async (s) => {
                const r = await ledger.budget.reserve({ currency: 'TON', amount: s.amount, account: s.account, target: s.target, limits });
                if (!r.ok) {
                  expect(r.committed + s.amount).toBeGreaterThan(r.limit);
                  return;
                }
                const id = r.reservation.id;
                if (s.then === 'release') await ledger.budget.release(id);
                // Consuming at most what was held: a larger actual amount is money already gone, recorded past limits.
                if (s.then === 'consume') await ledger.budget.consume(id, s.resizeTo < s.amount ? s.resizeTo : s.amount);
                if (s.then === 'resize') {
                  await ledger.budget.resize(id, s.resizeTo).catch((e: unknown) => {
                    if (codeOf(e) !== 'BUDGET_EXCEEDED') throw e;
                  });
                }
              }),
            );
            const committed = (await ledger.budget.list()).filter((r) => r.state !== 'released');
            const sum = (rows: typeof committed) => rows.reduce((t, r) => t + r.amount, 0n);
            expect(sum(committed)).toBeLessThanOrEqual(limits.total);
            expect(await ledger.budget.committed('TON')).toBe(sum(committed));
            for (const account of accounts) {
              if (limits.perAccount !== undefined) {
                expect(sum(committed.filter((r) => r.account === account))).toBeLessThanOrEqual(limits.perAccount);
              }
            }
            for (const target of targets) {
              if (limits.perTarget !== undefined) {
                expect(sum(committed.filter((r) => r.target === target))).toBeLessThanOrEqual(limits.perTarget);
              }
            }
          } finally {
            await ledger.close();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
