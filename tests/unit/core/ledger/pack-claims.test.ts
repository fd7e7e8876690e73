import fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { ClaimRequest } from '../../../../core/ledger/pack-claims.js';
import { toNano, type Units } from '../../../../core/money.js';
import { tempFolder } from './ledger-fixtures.js';

const TON = (text: string) => toNano(text) as Units;
const PER_PACK = TON('2.5');

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    currency: 'TON', account: 'alice', target: '19:2', method: 'ton', packs: 5, wanted: 4,
    amountFor: (n) => PER_PACK * BigInt(n), limits: { total: TON('100') }, ...overrides,
  };
}

describe('pack claims', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await openLedger(':memory:');
  });
  afterEach(() => ledger.close());

  it('claims packs and their money in one reservation, never more packs than the target wants', async () => {
    const r = await ledger.claims.claim(request({ packs: 5, wanted: 4 }));
    expect(r).toMatchObject({ ok: true, packs: 4, reservation: { packs: 4, method: 'ton', amount: TON('10'), state: 'held' } });
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 0, held: 4 });
  });

  it('refuses when every pack is held, naming the tally; releasing one frees it, consuming one does not', async () => {
    const first = await ledger.claims.claim(request({ packs: 2 }));
    const second = await ledger.claims.claim(request({ packs: 2 }));
    expect(await ledger.claims.claim(request({ packs: 1 }))).toEqual({ ok: false, reason: 'PACKS', scope: 'TARGET', tally: { paid: 0, held: 4 }, limit: 4 });
    if (!first.ok || !second.ok) throw new Error('expected both claims to be granted');
    await ledger.budget.release(first.reservation.id);
    await ledger.budget.consume(second.reservation.id);
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 2, held: 0 });
    expect(await ledger.claims.claim(request({ packs: 5 }))).toMatchObject({ ok: true, packs: 2 });
    expect(await ledger.claims.claim(request({ packs: 1 }))).toMatchObject({ ok: false, reason: 'PACKS', tally: { paid: 2, held: 2 } });
  });

  it('keeps a method within its share while others still buy', async () => {
    expect(await ledger.claims.claim(request({ wanted: 4, methodCap: 1, packs: 3 }))).toMatchObject({ ok: true, packs: 1 });
    expect(await ledger.claims.claim(request({ wanted: 4, methodCap: 1, packs: 1 }))).toMatchObject({ ok: false, reason: 'PACKS', scope: 'METHOD', limit: 1 });
    expect(await ledger.claims.claim(request({ method: 'stars', currency: 'XTR', wanted: 4, methodCap: 3, packs: 3, amountFor: (n) => 500n * BigInt(n), limits: { total: 10_000n } })))
      .toMatchObject({ ok: true, packs: 3 });
  });

  it('shrinks the order to the packs the budget can still pay for, in the same step', async () => {
    expect(await ledger.claims.claim(request({ wanted: 10, packs: 5, limits: { total: TON('6') } }))).toMatchObject({ ok: true, packs: 2, reservation: { amount: TON('5') } });
    expect(await ledger.claims.claim(request({ wanted: 10, packs: 5, limits: { total: TON('6') } }))).toEqual({ ok: false, reason: 'TOTAL', committed: TON('5'), limit: TON('6'), packs: 5 });
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 0, held: 2 });
  });

  it('counts the packs of reservations written without them (an older version during an upgrade) from their orders', async () => {
    await ledger.purchases.ensure({ id: 'p', collection: 19, character: 2, account: 'alice', packsWanted: 4 });
    await ledger.orders.insert({ orderId: 'old', purchaseId: 'p', method: 'ton', account: 'alice', collection: 19, character: 2, count: 3,
      currency: 'TON', amount: TON('7.5'), destination: 'store', expiresAt: 0 });
    const old = await ledger.budget.reserve({ currency: 'TON', amount: TON('7.5'), account: 'alice', target: '19:2', limits: { total: TON('100') } });
    if (!old.ok) throw new Error('setup: reservation refused');
    await ledger.budget.attach(old.reservation.id, 'old');
    await ledger.budget.consume(old.reservation.id);
    expect(await ledger.claims.tally('19:2')).toEqual({ paid: 3, held: 0 });
    expect(await ledger.claims.tally('19:2', 'ton')).toEqual({ paid: 3, held: 0 });
    expect(await ledger.claims.claim(request({ packs: 5 }))).toMatchObject({ ok: true, packs: 1 });
  });

  it('refuses a pack count that is not a whole number', async () => {
    await expect(ledger.claims.claim(request({ packs: 1.5 }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(ledger.claims.claim(request({ wanted: -1 }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('pack claims shared by several connections to one ledger file (processes)', () => {
  it('never grant more packs than wanted, whatever the interleaving of claims, payments and releases', async () => {
    const folder = tempFolder();
    const file = join(folder.dir, 'automint.db');
    const ledgers = [await openLedger(file), await openLedger(file), await openLedger(file)];
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 12 }),
          fc.array(fc.record({ who: fc.integer({ min: 0, max: 2 }), packs: fc.integer({ min: 1, max: 5 }), end: fc.constantFrom('pay', 'release', 'keep') }), { maxLength: 25 }),
          async (wanted, steps) => {
            const target = `t${Math.random().toString(36).slice(2)}`;
            // Every connection claims at once (as processes would), then settles its claim as told.
            await Promise.all(steps.map(async (step) => {
              const ledger = ledgers[step.who]!;
              const r = await ledger.claims.claim(request({ target, wanted, packs: step.packs }));
              if (!r.ok) return;
              if (step.end === 'pay') await ledger.budget.consume(r.reservation.id);
              if (step.end === 'release') await ledger.budget.release(r.reservation.id);
            }));
            const tally = await ledgers[0]!.claims.tally(target);
            expect(tally.paid + tally.held).toBeLessThanOrEqual(wanted);
          },
        ),
        { numRuns: 60, seed: 9 },
      );
    } finally {
      for (const l of ledgers) await l.close();
      folder.remove();
    }
  });
});
