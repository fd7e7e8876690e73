/** Whole numbers as the store sends them: a JSON number or the same number as digit text (`17` or `"17"`), since
 *  stores and the proxies in front of them turn one into the other. Amounts are money.ts's business, not this. */
import { z } from 'zod';

/** Digit text of at most 15 digits: every such number is exact in a double. */
const DIGITS = /^\d{1,15}$/;

/** `v` as a non-negative safe integer, or null when it is anything else (a fraction, a sign, an exponent form that
 *  overflowed, text with spaces, another type). */
export function readWholeNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v === 'string' && DIGITS.test(v)) return Number(v);
  return null;
}

/** A schema for a whole number sent as a number or digit text. */
export const wholeNumber = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = readWholeNumber(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v).slice(0, 40)} is not a whole number` });
    return z.NEVER;
  }
  return n;
});
