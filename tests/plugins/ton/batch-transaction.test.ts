import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { feeShare } from '../../../plugins/ton/batch-transaction.js';

describe('a batch fee split among the orders it paid', () => {
  it('adds up to exactly the whole fee, whoever was paid', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 12n }),
      fc.uniqueArray(fc.integer({ min: 0, max: 254 }), { minLength: 1, maxLength: 255 }),
      (total, paid) => {
        const sorted = [...paid].sort((a, b) => a - b);
        const shares = sorted.map((i) => feeShare(total, sorted, i));
        expect(shares.reduce((s, x) => s + x, 0n)).toBe(total);
        // Nobody pays more than one nanoton per member above an even share, except the remainder's holder.
        for (const [k, share] of shares.entries()) expect(share).toBe(total / BigInt(sorted.length) + (k === 0 ? total % BigInt(sorted.length) : 0n));
      },
    ));
  });

  it('gives the remainder to the paid member of lowest index and nothing to one that was not paid', () => {
    expect([1, 3, 4].map((i) => feeShare(10n, [1, 3, 4], i))).toEqual([4n, 3n, 3n]);
    expect(feeShare(10n, [1, 3, 4], 0)).toBe(0n);
    expect(feeShare(10n, [], 0)).toBe(0n);
  });
});
