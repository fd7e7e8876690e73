/** Amount keys of the configuration: decimal text in (quoted, so no digit is lost to a float), bigint out (the
 *  currency's smallest unit: nanotons for TON, whole stars for XTR, a plugin currency's declared decimals), each with
 *  its description. Shared by the main schema and the snipe filters'. */
import { z } from 'zod';
import {
  AmountError, CURRENCY_CODE, isKnownCurrency, knownCurrencies, parseAmount, type CurrencyAmounts, type Nano, type Stars,
} from '../money.js';

const DECIMAL_TEXT = '^\\d+(\\.\\d+)?$';

/** Decimal text as written, before its currency is known. */
const amountText = () =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? undefined : `write the amount as a quoted decimal string, e.g. "3.5" (an unquoted number can lose digits)`,
    })
    .meta({ pattern: DECIMAL_TEXT });

function amount<C extends 'TON' | 'XTR'>(currency: C) {
  return amountText().transform((text, ctx) => {
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

/** Why a key of an amount map is not a currency, or undefined when it is one. Currencies are those declared when the
 *  configuration is read: the host's (TON, XTR) and those of the plugins found (plugins read before the schema). */
function currencyProblem(code: string): string | undefined {
  if (isKnownCurrency(code)) return undefined;
  return `unknown currency ${code}: no plugin declares it (currencies the plugins declare: ${knownCurrencies().join(', ')})`;
}

/** Amounts keyed by currency code (`{ TON: "3.5", XTR: "500", VCH: "12.50" }`), each parsed in its currency's
 *  decimals; a code no plugin declares is an issue at its key. */
export const currencyAmounts = (what: string) =>
  z
    .record(
      z.string().regex(CURRENCY_CODE, { error: 'not a currency code: upper-case letters and digits, e.g. TON, XTR' }),
      amountText().describe('An amount in the currency its key names, as a quoted decimal string: TON "3.5", XTR whole Stars "500", a plugin currency within its declared decimals.'),
    )
    .transform((written, ctx): CurrencyAmounts => {
      const out: Record<string, bigint> = {};
      for (const [code, text] of Object.entries(written)) {
        const problem = currencyProblem(code);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', path: [code], message: problem });
          continue;
        }
        try {
          out[code] = parseAmount(code, text);
        } catch (e) {
          if (!(e instanceof AmountError)) throw e;
          ctx.addIssue({ code: 'custom', path: [code], message: e.message });
        }
      }
      return out;
    })
    .describe(`${what}, per currency code: TON (a decimal string, "3.5"), XTR (Telegram Stars, a whole-number string, "500"), or a currency a plugin declares (in its decimals).`);
