/** Money. The one module that turns decimal text into integer amounts and back; nothing else parses or formats an
 *  amount, and no `number` ever holds one. TON is counted in nanotons (9 decimals), Stars (XTR) in whole stars. */
import { AutomintError } from './errors.js';

export const CURRENCIES = ['TON', 'XTR'] as const;
export type Currency = (typeof CURRENCIES)[number];

declare const nanoBrand: unique symbol;
declare const starsBrand: unique symbol;
/** An amount of TON in nanotons. */
export type Nano = bigint & { readonly [nanoBrand]: true };
/** An amount of Telegram Stars. */
export type Stars = bigint & { readonly [starsBrand]: true };
/** An amount in the smallest unit of some currency; always travels with its Currency. */
export type Units = bigint;

export const DECIMALS: Readonly<Record<Currency, number>> = { TON: 9, XTR: 0 };

export class AmountError extends AutomintError {
  constructor(reason: string, details: { currency: Currency; text: string }) {
    super('AMOUNT_INVALID', `invalid ${details.currency} amount "${details.text}": ${reason}`, details);
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parses decimal text ("1.5", "0.000000001", "250") into the currency's smallest unit, exactly. */
export function parseAmount(currency: Currency, text: string, opts: { allowNegative?: boolean } = {}): Units {
  const trimmed = text.trim();
  const m = DECIMAL.exec(trimmed);
  if (!m) throw new AmountError('not a plain decimal number', { currency, text });
  const [, sign, whole, frac = ''] = m;
  const decimals = DECIMALS[currency];
  if (frac.replace(/0+$/, '').length > decimals) {
    throw new AmountError(`more than ${decimals} decimal places`, { currency, text });
  }
  if (sign && !opts.allowNegative) throw new AmountError('negative', { currency, text });
  const units = BigInt(whole!) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
  return sign ? -units : units;
}

/** Formats smallest units as decimal text without trailing zeros ("1.5", "250"). */
export function formatAmount(currency: Currency, units: Units): string {
  const decimals = DECIMALS[currency];
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const frac = decimals === 0 ? '' : (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** TON decimal text → nanotons. */
export function toNano(text: string): Nano {
  return parseAmount('TON', text) as Nano;
}

/** Nanotons → TON decimal text. */
export function formatTon(nano: Nano | bigint): string {
  return formatAmount('TON', nano);
}

/** Whole stars as an amount. */
export function stars(value: bigint | string): Stars {
  return (typeof value === 'string' ? parseAmount('XTR', value) : value) as Stars;
}

/**
 * Reads an amount that arrived as a JSON value. A JSON number is taken by its shortest decimal rendering (what the
 * sender wrote) and parsed as text, so no float arithmetic ever happens; exponent forms and excess decimals are refused.
 */
export function amountFromJson(currency: Currency, value: unknown): Units {
  if (typeof value === 'string') return parseAmount(currency, value);
  if (typeof value === 'number' && Number.isFinite(value)) return parseAmount(currency, String(value));
  throw new AmountError('not a number or decimal string', { currency, text: String(value) });
}

/** An integer count of smallest units that arrived as JSON (e.g. `total_amount` in nanotons). */
export function unitsFromJson(currency: Currency, value: unknown): Units {
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new AmountError('not a non-negative integer count of smallest units', { currency, text: String(value) });
}

/** `amount × (10000 + bps) / 10000`, rounded down: the most a quote may grow by a tolerance in basis points. */
export function withTolerance(amount: Units, toleranceBps: number): Units {
  if (!Number.isInteger(toleranceBps) || toleranceBps < 0) throw new RangeError('tolerance must be whole basis points ≥ 0');
  return (amount * BigInt(10_000 + toleranceBps)) / 10_000n;
}

/** Smallest of several amounts. */
export function minAmount(first: Units, ...rest: Units[]): Units {
  return rest.reduce((a, b) => (b < a ? b : a), first);
}

/** Sum of amounts. */
export function sumAmounts(amounts: Iterable<Units>): Units {
  let total = 0n;
  for (const a of amounts) total += a;
  return total;
}
