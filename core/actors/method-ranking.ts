/** The `cheapest` split policy's order of preference: each method's price per pack, brought to one scale with the
 *  user's own valuation of a TON in Stars, lowest first. A method whose price cannot be had ranks last (it is still a
 *  fallback), in the configured order. */
import type { Currency, Units } from '../money.js';
import { currencyDecimals } from '../money.js';
import type { TargetSpec } from '../plugins/payment.js';

/** One method as ranking sees it. */
export interface RankedMethod {
  readonly id: string;
  readonly currency: Currency;
  quote(target: TargetSpec, signal: AbortSignal): Promise<Units>;
}

/** A price per pack in billionths of a Star, so TON (9 decimals) and Stars (whole) compare exactly as bigints; null
 *  when it cannot be brought to Stars (TON without `starsPerTon`, a plugin's own currency: no rate is configured). */
export function inNanoStars(currency: Currency, perPack: Units, starsPerTon: bigint | undefined): bigint | null {
  if (currency === 'XTR') return perPack * 10n ** 9n;
  if (currency !== 'TON' || starsPerTon === undefined) return null;
  // nanotons × (Stars per TON) = billionths of a Star.
  return (perPack * starsPerTon * 10n ** 9n) / 10n ** BigInt(currencyDecimals('TON'));
}

/** Method ids from cheapest to dearest per pack; ties and unpriced methods keep their configured order. */
export async function rankMethods(
  methods: readonly RankedMethod[], target: TargetSpec, starsPerTon: bigint | undefined, signal: AbortSignal,
): Promise<{ order: string[]; prices: Record<string, string | null> }> {
  const priced = await Promise.all(methods.map(async (m, index) => {
    try {
      return { id: m.id, index, price: inNanoStars(m.currency, await m.quote(target, signal), starsPerTon) };
    } catch {
      return { id: m.id, index, price: null };
    }
  }));
  priced.sort((a, b) => {
    if (a.price === null || b.price === null) return a.price === b.price ? a.index - b.index : a.price === null ? 1 : -1;
    return a.price === b.price ? a.index - b.index : a.price < b.price ? -1 : 1;
  });
  return { order: priced.map((p) => p.id), prices: Object.fromEntries(priced.map((p) => [p.id, p.price === null ? null : p.price.toString()])) };
}
