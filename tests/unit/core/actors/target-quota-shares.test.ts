/** Per-method shares of a target's packs under the `split` policy: how `wanted` is shared out by weight, and a quota
 *  that never lets a method buy past its share however many payers claim, settle and release. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { shareOut, TargetQuota } from '../../../../core/actors/target-quota.js';

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe('shareOut', () => {
  it('shares evenly divisible packs exactly by weight', () => {
    expect(shareOut(8, { ton: 3, stars: 1 })).toEqual(new Map([['ton', 6], ['stars', 2]]));
  });

  it('gives the remainder to the largest fractions', () => {
    // 10 × 1/6 = 1.67, 10 × 2/6 = 3.33, 10 × 3/6 = 5: the one pack left goes to the first (fraction .67).
    expect(shareOut(10, { a: 1, b: 2, c: 3 })).toEqual(new Map([['a', 2], ['b', 3], ['c', 5]]));
    // 7 × 1/3 = 2.33 each: the one pack left goes to the first in the order given.
    expect(shareOut(7, { x: 1, y: 1, z: 1 })).toEqual(new Map([['x', 3], ['y', 2], ['z', 2]]));
    expect(shareOut(7, { z: 1, y: 1, x: 1 })).toEqual(new Map([['z', 3], ['y', 2], ['x', 2]]));
  });

  it('gives nothing to a zero weight, even when packs are left over', () => {
    expect(shareOut(5, { ton: 0, stars: 2, third: 1 })).toEqual(new Map([['ton', 0], ['stars', 3], ['third', 2]]));
  });

  it('gives every method zero when every weight is zero', () => {
    expect(shareOut(5, { ton: 0, stars: 0 })).toEqual(new Map([['ton', 0], ['stars', 0]]));
  });

  it('shares zero packs as zero each', () => {
    expect(shareOut(0, { ton: 3, stars: 1 })).toEqual(new Map([['ton', 0], ['stars', 0]]));
  });

  it('always adds up to wanted, each share within one pack of its exact part', () => {
    const weights = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.nat(1_000), { minKeys: 1, maxKeys: 6 })
      .filter((w) => Object.values(w).some((v) => v > 0));
    fc.assert(fc.property(fc.nat(10_000), weights, (wanted, w) => {
      const out = shareOut(wanted, w);
      const total = Object.values(w).reduce((a, b) => a + b, 0);
      if (sum(out) !== wanted) return false;
      return Object.entries(w).every(([m, weight]) => {
        const share = out.get(m)!;
        // |share − wanted·weight/total| < 1, in integers.
        return Math.abs(share * total - wanted * weight) < total && (weight > 0 || share === 0);
      });
    }));
  });
});

describe('target quota with shares', () => {
  it('caps each method at its share and ends it with shareReached once paid', () => {
    const q = new TargetQuota(8, undefined, { ton: 3, stars: 1 });
    expect([q.capOf('ton'), q.capOf('stars')]).toEqual([6, 2]);
    expect(q.claim(5, 'stars')).toBe(2);
    expect(q.claim(5, 'stars')).toBe(0);
    q.settle(2, 'stars');
    expect(q.shareReached('stars')).toBe(true);
    expect(q.shareReached('ton')).toBe(false);
    expect(q.claim(5, 'ton')).toBe(5);
    expect(q.claim(5, 'ton')).toBe(1);
    q.settle(6, 'ton');
    expect(q.reached).toBe(true);
    expect(q.paidPacks).toBe(8);
  });

  it('lets a method without a share buy nothing once shares are set', () => {
    const q = new TargetQuota(4, undefined, { ton: 1, stars: 1 });
    expect(q.capOf('card')).toBe(0);
    expect(q.claim(3, 'card')).toBe(0);
  });

  it('caps nothing without shares', () => {
    const q = new TargetQuota(4);
    expect(q.capOf('ton')).toBeNull();
    expect(q.shareReached('ton')).toBe(false);
    expect(q.claim(9, 'ton')).toBe(4);
  });

  it('gives released packs back to the method that claimed them', () => {
    const q = new TargetQuota(4, undefined, { ton: 1, stars: 1 });
    expect(q.claim(2, 'ton')).toBe(2);
    expect(q.claim(1, 'ton')).toBe(0);
    q.release(2, 'ton');
    expect(q.claim(2, 'ton')).toBe(2);
    // Stars' share was never touched by TON's claims.
    expect(q.claim(2, 'stars')).toBe(2);
  });

  it('counts per method what the ledger already paid and has in flight', () => {
    const q = new TargetQuota(8, { paid: 3, inFlight: 1, byMethod: { ton: { paid: 3, inFlight: 0 }, stars: { paid: 0, inFlight: 1 } } }, { ton: 1, stars: 1 });
    expect(q.claim(5, 'ton')).toBe(1);
    expect(q.claim(5, 'stars')).toBe(3);
    expect(q.claim(5, 'stars')).toBe(0);
  });

  it('ends a method whose share was already paid before the restart', () => {
    const q = new TargetQuota(4, { paid: 2, inFlight: 0, byMethod: { stars: { paid: 2, inFlight: 0 } } }, { ton: 1, stars: 1 });
    expect(q.shareReached('stars')).toBe(true);
    expect(q.shareReached('ton')).toBe(false);
  });

  it('never lets a method exceed its share, nor the target its count, across claims from many payers', () => {
    const methods = ['ton', 'stars', 'card'] as const;
    const op = fc.record({
      kind: fc.constantFrom('claim', 'settle', 'release'),
      payer: fc.nat(5),
      method: fc.constantFrom(...methods),
      n: fc.nat(6),
    });
    fc.assert(fc.property(fc.nat(40), fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)), fc.array(op, { maxLength: 80 }), (wanted, [a, b, c], ops) => {
      fc.pre(a + b + c > 0);
      const shares = { ton: a, stars: b, card: c };
      const caps = shareOut(wanted, shares);
      const q = new TargetQuota(wanted, undefined, shares);
      // What each (payer, method) holds claimed, and each method's paid count, as the payers see it.
      const held = new Map<string, number>();
      const paid = new Map<string, number>();
      for (const { kind, payer, method, n } of ops) {
        const key = `${payer}:${method}`;
        const mine = held.get(key) ?? 0;
        if (kind === 'claim') {
          held.set(key, mine + q.claim(n, method));
        } else {
          const k = Math.min(n, mine);
          held.set(key, mine - k);
          if (kind === 'settle') {
            q.settle(k, method);
            paid.set(method, (paid.get(method) ?? 0) + k);
          } else {
            q.release(k, method);
          }
        }
        let total = 0;
        for (const m of methods) {
          const claimed = [...held].filter(([k]) => k.endsWith(`:${m}`)).reduce((s, [, v]) => s + v, 0);
          const mPaid = paid.get(m) ?? 0;
          if (mPaid + claimed > caps.get(m)!) return false;
          if (q.shareReached(m) !== mPaid >= caps.get(m)!) return false;
          total += mPaid + claimed;
        }
        if (total > wanted || q.paidPacks !== [...paid.values()].reduce((s, v) => s + v, 0)) return false;
      }
      return true;
    }));
  });
});
