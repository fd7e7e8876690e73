import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../sim/store/prng.js';

const draw = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.next());

describe('seeded generator', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draw(new Prng(42), 50)).toEqual(draw(new Prng(42), 50));
  });

  it('gives another sequence for another seed', () => {
    expect(draw(new Prng(42), 10)).not.toEqual(draw(new Prng(43), 10));
  });

  it('stays in [0, 1) and spreads over it', () => {
    const values = draw(new Prng(9), 10_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const low = values.filter((v) => v < 0.5).length;
    expect(low).toBeGreaterThan(4_500);
    expect(low).toBeLessThan(5_500);
  });

  it('never fires at chance 0 and always at chance 1', () => {
    const p = new Prng(3);
    expect(Array.from({ length: 100 }, () => p.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => p.chance(1)).every(Boolean)).toBe(true);
  });

  it('refuses a seed that is not a safe integer', () => {
    expect(() => new Prng(1.5)).toThrow(RangeError);
  });
});
