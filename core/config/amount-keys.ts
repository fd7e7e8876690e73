/** Amount keys of the configuration: decimal text in (quoted, so no digit is lost to a float), bigint out (nanotons
 *  for TON, whole stars for XTR), each with its description. Shared by the main schema and the snipe filters'. */
import { z } from 'zod';
import { AmountError, parseAmount, type Currency, type Nano, type Stars } from '../money.js';

const DECIMAL_TEXT = '^\\d+(\\.\\d+)?$';

function amount<C extends Currency>(currency: C) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? undefined : `write the amount as a quoted decimal string, e.g. "3.5" (an unquoted number can lose digits)`,
    })
    .meta({ pattern: DECIMAL_TEXT })
    .transform((text, ctx) => {
      try {
        return parseAmount(currency, text) as C extends 'TON' ? Nano : Stars;
      } catch (e) {
        if (!(e instanceof AmountError)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message });
        return z.NEVER;
      }
    });
}

/** A TON amount key: decimal text in, nanotons out. */
export const tonAmount = (what: string) => amount('TON').describe(`${what} in TON, as a decimal string ("3.5").`);
/** A Stars amount key: whole-number text in, stars out. */
export const starsAmount = (what: string) => amount('XTR').describe(`${what} in Telegram Stars, as a whole-number string ("500").`);
