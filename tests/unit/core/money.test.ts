import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AmountError, amountFromJson, formatAmount, formatTon, minAmount, parseAmount, sumAmounts, toNano, unitsFromJson, withTolerance,
} from '../../../core/money.js';

describe('money', () => {
  it('parses decimal TON text into exact nanotons', () => {
    expect(toNano('1.5')).toBe(1_500_000_000n);
    expect(toNano('0.000000001')).toBe(1n);
    expect(toNano('250')).toBe(250_000_000_000n);
    expect(toNano('2.500000000')).toBe(2_500_000_000n);
  });

  it('refuses more decimals than the currency has, exponents, negatives and junk', () => {
    expect(() => toNano('0.0000000001')).toThrow(AmountError);
    expect(() => parseAmount('XTR', '1.5')).toThrow(/decimal places/);
    expect(() => toNano('1e9')).toThrow(AmountError);
    expect(() => toNano('-1')).toThrow(/negative/);
    expect(() => toNano('')).toThrow(AmountError);
    expect(() => toNano('1,5')).toThrow(AmountError);
    expect(parseAmount('TON', '-1', { allowNegative: true })).toBe(-1_000_000_000n);
  });

  it('formats without trailing zeros and round-trips any amount exactly', () => {
    expect(formatTon(1_500_000_000n)).toBe('1.5');
    expect(formatTon(1n)).toBe('0.000000001');
    expect(formatAmount('XTR', 250n)).toBe('250');
    expect(formatTon(-5n)).toBe('-0.000000005');
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 80n }), (units) => parseAmount('TON', formatTon(units)) === units));
  });

  it('reads JSON numbers by their decimal rendering, never by float arithmetic', () => {
    expect(amountFromJson('TON', 2.5)).toBe(2_500_000_000n);
    expect(amountFromJson('TON', 0.1)).toBe(100_000_000n);
    expect(amountFromJson('TON', '3.333333333')).toBe(3_333_333_333n);
    expect(() => amountFromJson('TON', 1e-10)).toThrow(AmountError);
    expect(() => amountFromJson('TON', Number.NaN)).toThrow(AmountError);
    expect(() => amountFromJson('TON', null)).toThrow(AmountError);
  });

  it('reads integer counts of smallest units from JSON, refusing unsafe integers and fractions', () => {
    expect(unitsFromJson('TON', 12_500_000_000)).toBe(12_500_000_000n);
    expect(unitsFromJson('TON', '123456789012345678901234567890')).toBe(123456789012345678901234567890n);
    expect(() => unitsFromJson('TON', 2 ** 60)).toThrow(AmountError);
    expect(() => unitsFromJson('TON', 1.5)).toThrow(AmountError);
    expect(() => unitsFromJson('TON', -1)).toThrow(AmountError);
  });

  it('applies a tolerance in whole basis points, rounding down', () => {
    expect(withTolerance(10_000n, 100)).toBe(10_100n);
    expect(withTolerance(99n, 100)).toBe(99n);
    expect(withTolerance(1_000n, 0)).toBe(1_000n);
    expect(() => withTolerance(1n, 1.5)).toThrow(RangeError);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.nat(10_000), (a, bps) => {
      const t = withTolerance(a, bps);
      return t >= a && t <= a + (a * BigInt(bps)) / 10_000n;
    }));
  });

  it('sums and takes minimums of amounts', () => {
    expect(sumAmounts([1n, 2n, 3n])).toBe(6n);
    expect(sumAmounts([])).toBe(0n);
    expect(minAmount(5n, 3n, 9n)).toBe(3n);
  });
});
