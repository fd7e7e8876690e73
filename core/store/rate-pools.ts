/** The store's rate limits as data, beside the client that knows the API (hummingbot's throttler: limits plus
 *  linked weight pairs). Every call charges a weight to one pool per account token (`account:<name>`) and one per
 *  outgoing IP (`ip:<proxy host:port>` or `ip:direct`). The real limits are unpublished: these are conservative guesses that the
 *  limiter replaces with what the store's `x-ratelimit-*` headers teach it. */
import { createHash } from 'node:crypto';
import type { StoreOperation } from './store-error.js';

export interface PoolLimit {
  /** Most weight in a burst. */
  readonly capacity: number;
  /** Sustained weight per second. */
  readonly refillPerSec: number;
  /** Tokens (and in-flight slots) only spending calls may take, so polling can never starve a purchase. */
  readonly reservedForSpend: number;
  /** Most calls out at once; none when absent. */
  readonly maxInFlight?: number;
}

/** Per-account (per JWT) pool. */
export const ACCOUNT_POOL: PoolLimit = { capacity: 10, refillPerSec: 8, reservedForSpend: 2, maxInFlight: 8 };

/** Per outgoing IP: every account behind the same address shares it, so it is wider than one account's pool. */
export const IP_POOL: PoolLimit = { capacity: 60, refillPerSec: 40, reservedForSpend: 4, maxInFlight: 32 };

/** Most packs one order may ask for: the store refuses larger counts (every bot in the field caps at 5). */
export const MAX_PACKS_PER_ORDER = 5;

/** Where a call goes out from: the account whose token it carries and the proxy it leaves through (none: direct). */
export interface PoolRoute {
  readonly account: string;
  readonly proxy?: string;
}

/** One pool a call charges and how much (hummingbot's LinkedLimitWeightPair). */
export interface PoolCharge {
  readonly pool: string;
  readonly weight: number;
}

/** What one operation costs, per kind of pool; `counter` says which of our pools the store's own counting matches
 *  (its `x-ratelimit-*` headers and a 429 speak about that one). */
export interface OperationCost {
  readonly account: number;
  readonly ip: number;
  /** Auth carries no token yet, so the store counts it per IP; everything else per token. */
  readonly counter: 'account' | 'ip';
}

/** What each operation costs. Unknown at the real store, so all weigh one; the table is where to change that. */
export const OPERATION_COSTS: Readonly<Record<StoreOperation, OperationCost>> = {
  auth: { account: 1, ip: 1, counter: 'ip' },
  settings: { account: 1, ip: 1, counter: 'account' },
  collections: { account: 1, ip: 1, counter: 'account' },
  collection: { account: 1, ip: 1, counter: 'account' },
  priceTon: { account: 1, ip: 1, counter: 'account' },
  buyTon: { account: 1, ip: 1, counter: 'account' },
  buyStars: { account: 1, ip: 1, counter: 'account' },
};

/** `account:<name>`, the pool of one account's token. */
export const accountPool = (account: string): string => `account:${account}`;

/** `ip:<host:port>` of the proxy a call leaves through, or `ip:direct` for calls that use no proxy. Pool names are
 *  written to the ledger, so a proxy's scheme and `user:pass@` are left out (see `proxyAddress`). */
export const ipPool = (proxy: string | undefined): string => `ip:${proxy === undefined ? 'direct' : proxyAddress(proxy)}`;

/** A host (name, IPv4 or bracketed IPv6) with an optional port. */
const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::\d{1,5})?$/i;

/** A proxy as `host:port`, whatever else its URL carries: `http://user:pass@host:port`, `user:pass@host:port` and the
 *  proxy lists' `host:port:user:pass` all give `host:port`. A shape not recognised is named by a short hash rather
 *  than risk writing a password. Two sessions behind one gateway share its pool: conservative, never over the limit. */
export function proxyAddress(proxy: string): string {
  const rest = proxy.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  // Everything up to the last `@` is user info, whatever characters the password holds.
  const authority = (rest.slice(rest.lastIndexOf('@') + 1).split(/[/?#]/, 1)[0] ?? '').toLowerCase();
  if (HOST_PORT.test(authority)) return authority;
  const parts = authority.split(':');
  const listed = `${parts[0]}:${parts[1]}`;
  if (parts.length === 4 && /:\d{1,5}$/.test(listed) && HOST_PORT.test(listed)) return listed;
  return `proxy-${createHash('sha256').update(proxy).digest('hex').slice(0, 12)}`;
}

/** The pools a call charges, with their weights (zero-weight charges are left out). */
export function chargesFor(op: StoreOperation, route: PoolRoute): PoolCharge[] {
  const cost = OPERATION_COSTS[op];
  const charges: PoolCharge[] = [
    { pool: accountPool(route.account), weight: cost.account },
    { pool: ipPool(route.proxy), weight: cost.ip },
  ];
  return charges.filter((c) => c.weight > 0);
}

/** The pool whose budget the store's headers and 429s describe for this call. */
export function counterPool(op: StoreOperation, route: PoolRoute): string {
  return OPERATION_COSTS[op].counter === 'account' ? accountPool(route.account) : ipPool(route.proxy);
}

/** The declared limit of a pool, by its name's kind. */
export function declaredLimit(pool: string): PoolLimit {
  return pool.startsWith('ip:') ? IP_POOL : ACCOUNT_POOL;
}

/** Where the limiter gets its pools from: limits, charges and which pool the store's counting matches. */
export interface PoolCatalog {
  limitFor(pool: string): PoolLimit;
  chargesFor(op: StoreOperation, route: PoolRoute): readonly PoolCharge[];
  counterPool(op: StoreOperation, route: PoolRoute): string;
}

/** The store's pools as declared here. */
export const STORE_POOLS: PoolCatalog = { limitFor: declaredLimit, chargesFor, counterPool };

/** A margin percentage as a fraction, clamped to 0–0.9 so a limit never vanishes. */
export function marginFraction(marginPct: number): number {
  return Number.isFinite(marginPct) ? Math.max(0, Math.min(90, marginPct)) / 100 : 0;
}
