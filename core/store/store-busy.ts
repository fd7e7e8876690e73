/** A store too busy to take an order right now, and how long to wait before asking again. At a drop the store is
 *  overloaded: its buy routes answer 503 (or its proxy 502/504, or 500 under load) to many calls, then take orders
 *  again seconds later. Such an answer is not a failure of the order to count against the profile's retries (that
 *  gave a drop up after 3 tries in 5.7 s): the payer holds and asks again, with backoff, for as long as the drop can
 *  still be bought (see `storeBusyTooLong` in core/actors/payer.ts). The store did not act on a 5xx it answered as a
 *  refusal; and no money can move for an order whose details never arrived, so asking again is safe. */
import { StoreHttpError } from './store-error.js';

/** Statuses that say "busy, come back": every 5xx but 501 (not implemented) and 505 (HTTP version), which no wait
 *  will change. */
const NOT_BUSY = new Set([501, 505]);

/** Longest pause between two tries when the store gives no Retry-After: a drop's stock can last seconds, so a longer
 *  pause risks the drop, while the limiter's pools already cap how often the account calls. */
export const BUSY_BACKOFF_CAP_MS = 4_000;

/** Longest one stretch of busy answers is ridden out, whatever the watcher reports: a store whose order route has
 *  answered nothing but 5xx for ten minutes while it shows stock is broken, not busy. */
export const MAX_BUSY_MS = 10 * 60_000;

/** True when `e` is the store saying it is too busy to take the call now (an HTTP 5xx answer). */
export function isStoreBusy(e: unknown): e is StoreHttpError {
  return e instanceof StoreHttpError && e.status >= 500 && e.status <= 599 && !NOT_BUSY.has(e.status);
}

/** When to ask again after the `inARow`-th busy answer in a row (1 for the first): the store's Retry-After when it
 *  gave one, else `baseMs` doubled per busy answer in a row, capped at BUSY_BACKOFF_CAP_MS (or `baseMs` if larger),
 *  with up to a fifth taken off at random so the accounts and methods that met the same overload do not come back
 *  together. */
export function busyRetryAt(e: StoreHttpError, inARow: number, baseMs: number, now: number, random: () => number = Math.random): number {
  if (e.retryAfterMs !== undefined && e.retryAfterMs > 0) return now + e.retryAfterMs;
  const cap = Math.max(baseMs, BUSY_BACKOFF_CAP_MS);
  const backoff = Math.min(cap, baseMs * 2 ** Math.max(0, Math.min(inARow - 1, 20)));
  return now + Math.round(backoff * (1 - 0.2 * random()));
}
