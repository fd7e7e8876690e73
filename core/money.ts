/** Money. The one module that turns decimal text into integer amounts and back; nothing else parses or formats an
 *  amount, and no `number` ever holds one. Every amount travels with its currency's code and is counted in that
 *  currency's smallest unit: TON in nanotons (9 decimals), Stars (XTR) in whole stars, a plugin's own currency in
 *  the decimals its manifest declares. The list of currencies is open: the host knows TON and XTR (the store prices
 *  in them), and each plugin found declares its own (`currencies` in its manifest) before any config is read. */
import { AutomintError } from './errors.js';

/** A currency code: `TON`, `XTR`, or one a plugin declares (`VCH`). */
export type Currency = string;

/** What a currency code looks like: upper-case letters and digits, 2 to 10 of them, starting with a letter. */
export const CURRENCY_CODE = /^[A-Z][A-Z0-9]{1,9}$/;
/** No currency anyone pays in has more decimals (ether has 18): more is a typo in a manifest. */
const MAX_DECIMALS = 18;

/** A currency as a plugin declares it in its manifest. */
export interface CurrencyDeclaration {
  /** The code budgets and price caps are keyed by (`VCH`). */
  readonly code: string;
  /** Digits after the point of its smallest unit: 9 for TON, 0 for Stars, 2 for cents. */
  readonly decimals: number;
  /** What a person calls it, for listings. */
  readonly name?: string;
}

declare const nanoBrand: unique symbol;
declare const starsBrand: unique symbol;
/** An amount of TON in nanotons. */
export type Nano = bigint & { readonly [nanoBrand]: true };
/** An amount of Telegram Stars. */
export type Stars = bigint & { readonly [starsBrand]: true };
/** An amount in the smallest unit of some currency; always travels with its Currency. */
export type Units = bigint;
/** Amounts keyed by currency code (a budget, a price cap); TON's in nanotons and XTR's in stars, typed as such. */
export type CurrencyAmounts = Partial<Record<Currency, Units>> & { readonly TON?: Nano; readonly XTR?: Stars };

/** The host's currency codes. A plugin may declare more: `knownCurrencies()` lists every one declared. */
export const CURRENCIES = ['TON', 'XTR'] as const;
/** The host's currencies' decimals; `currencyDecimals(code)` answers for any declared currency. */
export const DECIMALS: Readonly<Record<(typeof CURRENCIES)[number], number>> = { TON: 9, XTR: 0 };

/** The currencies the host itself knows: the store prices in them (the built-in plugins declare them too). */
export const HOST_CURRENCIES: readonly CurrencyDeclaration[] = [
  { code: 'TON', decimals: DECIMALS.TON, name: 'Toncoin' },
  { code: 'XTR', decimals: DECIMALS.XTR, name: 'Telegram Stars' },
];

type Declared = Map<string, CurrencyDeclaration & { readonly by: string }>;
/** Where the registry lives: one per process, not one per loaded copy of this module. A plugin installed from npm
 *  brings its own copy of automint, and its `declareCurrency` must reach the host's `formatAmount` (as the DI tokens
 *  are `Symbol.for` keys for the same reason). */
const REGISTRY = Symbol.for('automint.currencies');
/** Every currency declared in this process, by code, with who declared it first; the first copy loaded creates it with
 *  the host's currencies. */
const declared: Declared = (() => {
  const global = globalThis as { [REGISTRY]?: Declared };
  return (global[REGISTRY] ??= new Map(HOST_CURRENCIES.map((c) => [c.code, { ...c, by: 'host' }])));
})();

export class AmountError extends AutomintError {
  constructor(reason: string, details: { currency: Currency; text: string }) {
    super('AMOUNT_INVALID', `invalid ${details.currency} amount "${details.text}": ${reason}`, details);
  }
}

/** A currency declaration that is malformed, or that gives a known code other decimals. */
export class CurrencyDeclarationInvalid extends AutomintError {
  constructor(message: string, details: { currency: string; by: string }) {
    super('CURRENCY_INVALID', message, details);
  }
}

/** An amount in a currency nobody declared. */
export class UnknownCurrency extends AutomintError {
  constructor(currency: string) {
    super('CURRENCY_UNKNOWN', `unknown currency ${currency} (currencies: ${knownCurrencies().join(', ')})`, { currency });
  }
}

/** Declares a currency for this process (`by`: who declares it, for messages). Declaring a known code again with the
 *  same decimals is fine (the TON plugin declares TON like the host); other decimals are refused, since amounts
 *  already counted in the old unit would change value. */
export function declareCurrency(currency: CurrencyDeclaration, by: string): void {
  const { code, decimals } = currency;
  if (typeof code !== 'string' || !CURRENCY_CODE.test(code)) {
    throw new CurrencyDeclarationInvalid(`${by} declares currency "${String(code)}": a code is 2-10 upper-case letters and digits, starting with a letter`, { currency: String(code), by });
  }
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new CurrencyDeclarationInvalid(`${by} declares currency ${code} with ${String(decimals)} decimals: a whole number from 0 to ${MAX_DECIMALS}`, { currency: code, by });
  }
  const known = declared.get(code);
  if (known === undefined) declared.set(code, { code, decimals, ...(currency.name === undefined ? {} : { name: currency.name }), by });
  else if (known.decimals !== decimals) {
    throw new CurrencyDeclarationInvalid(`${by} declares currency ${code} with ${decimals} decimals, but ${known.by} declared it with ${known.decimals}`, { currency: code, by });
  }
}

/** True when `code` is a declared currency. */
export function isKnownCurrency(code: unknown): code is Currency {
  return typeof code === 'string' && declared.has(code);
}

/** The codes of every declared currency, host ones first. */
export function knownCurrencies(): Currency[] {
  return [...declared.keys()];
}

/** Digits after the point of `currency`'s smallest unit; UnknownCurrency when nobody declared it. */
export function currencyDecimals(currency: Currency): number {
  const known = declared.get(currency);
  if (known === undefined) throw new UnknownCurrency(currency);
  return known.decimals;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parses decimal text ("1.5", "0.000000001", "250") into the currency's smallest unit, exactly. */
export function parseAmount(currency: Currency, text: string, opts: { allowNegative?: boolean } = {}): Units {
  const trimmed = text.trim();
  const m = DECIMAL.exec(trimmed);
  if (!m) throw new AmountError('not a plain decimal number', { currency, text });
  const [, sign, whole, frac = ''] = m;
  const decimals = currencyDecimals(currency);
  if (frac.replace(/0+$/, '').length > decimals) {
    throw new AmountError(`more than ${decimals} decimal places`, { currency, text });
  }
  if (sign && !opts.allowNegative) throw new AmountError('negative', { currency, text });
  const units = BigInt(whole!) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
  return sign ? -units : units;
}

/** Formats smallest units as decimal text without trailing zeros ("1.5", "250"). */
export function formatAmount(currency: Currency, units: Units): string {
  const decimals = currencyDecimals(currency);
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const frac = decimals === 0 ? '' : (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** An amount read back from the ledger, as decimal text; in smallest units (`7 (smallest units)`) when no plugin
 *  loaded now declares its currency (the config no longer names the plugin an earlier run paid with), so a listing,
 *  a run's summary or a log line still shows it instead of throwing UnknownCurrency. */
export function formatKnownOrRaw(currency: Currency, units: Units): string {
  return isKnownCurrency(currency) ? formatAmount(currency, units) : `${units} (smallest units)`;
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
