/** A snipe filter as the run uses it: the config's `snipe[i]` with its name patterns compiled, its rarities folded to
 *  lower case, and its buying keys resolved the way a target's are (accounts named or all, the split merged with the
 *  top-level one), so a matched character becomes a target with nothing left to look up. */
import type { Currency, Nano, Stars, Units } from '../money.js';
import { targetAccounts, targetSplit, type AutomintConfig, type SnipeFilterConfig, type SplitConfig } from '../config/schema.js';
import type { PICKS } from '../config/snipe-schema.js';
import { namePattern, type NamePattern } from './name-pattern.js';

/** Which keys of `match` a filter set; a key left out takes everything. */
export interface FilterMatch {
  readonly title?: NamePattern;
  readonly collections?: { readonly from?: number; readonly to?: number };
  readonly character?: NamePattern;
  /** Lower case. */
  readonly rarity?: readonly string[];
  readonly supply?: { readonly min?: number; readonly max?: number };
  readonly price?: { readonly TON?: Nano; readonly XTR?: Stars };
  readonly pick: { readonly by: (typeof PICKS)[number]; readonly count: number };
}

/** What a filter buys of each character it matches: a target's keys. */
export interface FilterBuying {
  readonly packs: number;
  readonly maxPricePerPack: Partial<Record<Currency, Units>>;
  readonly methods: readonly string[];
  /** Resolved: the filter's `accounts`, or every account. */
  readonly accounts: readonly string[];
  readonly split: SplitConfig;
  readonly budget?: Partial<Record<Currency, Units>>;
}

export interface SnipeFilter {
  /** Index in `snipe`, the filter's stable name in logs, traces and the seen-set. */
  readonly index: number;
  readonly match: FilterMatch;
  readonly buying: FilterBuying;
}

/** `snipe[2]`: how a filter is named to a person. */
export const filterName = (f: Pick<SnipeFilter, 'index'>): string => `snipe[${f.index}]`;

/** The run's filters, from a validated config (patterns already known to compile). */
export function snipeFilters(cfg: AutomintConfig): SnipeFilter[] {
  return cfg.snipe.map((f, index) => ({ index, match: filterMatch(f), buying: filterBuying(cfg, f) }));
}

function filterMatch(f: SnipeFilterConfig): FilterMatch {
  const m = f.match;
  return {
    ...(m.title === undefined ? {} : { title: namePattern(m.title) }),
    ...(m.collections === undefined ? {} : { collections: m.collections }),
    ...(m.character === undefined ? {} : { character: namePattern(m.character) }),
    ...(m.rarity === undefined ? {} : { rarity: m.rarity.map((r) => r.toLowerCase()) }),
    ...(m.supply === undefined ? {} : { supply: m.supply }),
    ...(m.price === undefined ? {} : { price: m.price }),
    pick: m.pick,
  };
}

function filterBuying(cfg: AutomintConfig, f: SnipeFilterConfig): FilterBuying {
  return {
    packs: f.packs, maxPricePerPack: f.maxPricePerPack, methods: f.methods,
    accounts: targetAccounts(cfg, f).map((a) => a.name), split: targetSplit(cfg, f),
    ...(f.budget === undefined ? {} : { budget: f.budget }),
  };
}
