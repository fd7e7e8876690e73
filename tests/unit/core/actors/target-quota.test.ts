import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TargetQuota } from '../../../../core/actors/target-quota.js';

describe('target quota', () => {
  it('lets parallel payers claim no more packs than wanted', () => {
    const q = new TargetQuota(12);
    expect([q.claim(5), q.claim(5), q.claim(5), q.claim(5)]).toEqual([5, 5, 2, 0]);
  });

  it('returns released packs to the pool and counts settled ones as paid', () => {
    const q = new TargetQuota(10);
    q.claim(5);
    q.claim(5);
    q.release(5);
    q.settle(5);
    expect(q.paidPacks).toBe(5);
    expect(q.claim(5)).toBe(5);
    q.settle(5);
    expect(q.reached).toBe(true);
  });

  it('starts from what the ledger already paid and has in flight', () => {
    const q = new TargetQuota(10, { paid: 5, inFlight: 5 });
    expect(q.claim(5)).toBe(0);
  });

  it('never lets paid plus claimed exceed the wanted count over any sequence of operations', () => {
    fc.assert(fc.property(fc.nat(30), fc.array(fc.tuple(fc.constantFrom('claim', 'settle', 'release'), fc.nat(6))), (wanted, ops) => {
      const q = new TargetQuota(wanted);
      let claimed = 0;
      for (const [op, n] of ops) {
        if (op === 'claim') claimed += q.claim(n);
        else {
          const k = Math.min(n, claimed);
          claimed -= k;
          if (op === 'settle') q.settle(k);
          else q.release(k);
        }
        if (q.paidPacks + claimed > wanted) return false;
      }
      return true;
    }));
  });
});

describe('target quota edges', () => {
  it('is reached only once every wanted pack is paid, not while some are only claimed', () => {
    const quota = new TargetQuota(2);
    expect(quota.reached).toBe(false);
    expect(quota.claim(2)).toBe(2);
    expect(quota.reached).toBe(false);
    quota.settle(1);
    expect(quota.reached).toBe(false);
    quota.settle(1);
    expect(quota.reached).toBe(true);
  });

  it('counts claims made without a method under the target only, apart from every named method', () => {
    const quota = new TargetQuota(6, { paid: 0, inFlight: 0 }, { ton: 1, stars: 1 });
    // Without shares a method-less claim is the whole target's; with shares it belongs to no method and gets nothing.
    expect(quota.claim(3)).toBe(0);
    const free = new TargetQuota(6);
    expect(free.claim(2)).toBe(2);
    free.settle(2);
    expect(free.paidPacks).toBe(2);
    expect(free.claim(10, 'ton')).toBe(4);
    free.release(4, 'ton');
    expect(free.claim(10)).toBe(4);
  });
});
