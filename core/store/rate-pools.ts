/** The store's rate limits as data, beside the client that knows the API. The real limits are unpublished; these are
 *  conservative guesses that the limiter learns from (later: from `x-ratelimit-*` headers). */
import type { StoreOperation } from './store-error.js';

export interface PoolLimit {
  /** Most requests in a burst. */
  readonly capacity: number;
  /** Sustained requests per second. */
  readonly refillPerSec: number;
  /** Tokens only spending calls may take, so polling can never starve a purchase. */
  readonly reservedForSpend: number;
}

/** Per-account (per JWT) pool. */
export const ACCOUNT_POOL: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2 };

/** Most packs one order may ask for: the store refuses larger counts (every bot in the field caps at 5). */
export const MAX_PACKS_PER_ORDER = 5;

/** What each operation costs its pool. */
export const OPERATION_WEIGHT: Readonly<Record<StoreOperation, number>> = {
  auth: 1, settings: 1, collections: 1, collection: 1, priceTon: 1, buyTon: 1, buyStars: 1,
};

/** Applies a safety margin (percent of the limit left unused). */
export function withMargin(limit: PoolLimit, marginPct: number): PoolLimit {
  const f = Math.max(0, Math.min(90, marginPct)) / 100;
  return {
    capacity: Math.max(1, Math.floor(limit.capacity * (1 - f))),
    refillPerSec: limit.refillPerSec * (1 - f),
    reservedForSpend: limit.reservedForSpend,
  };
}
