/** The store's rate limits as data, beside the client that knows the API (hummingbot's throttler: limits plus
 *  linked weight pairs). Every call charges a weight to one pool per account token (`account:<name>`) and one per
 *  outgoing IP (`ip:<proxy host:port>` or `ip:direct`); logging in (auth, which carries no token) also charges the
 *  IP's login window (`auth:<proxy host:port>` or `auth:direct`). The real limits are unpublished: these are
 *  conservative guesses that the limiter replaces with what the store's `x-ratelimit-*` headers teach it. */
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

/** Per outgoing IP, logins only. The store counts a login (no token yet) by IP and its headers then describe that
 *  count: what they teach belongs to logins, never to the IP's other calls, or 100 accounts logging in behind one
 *  address would teach every call of theirs the login window (120 a minute shared by all: seconds per order). */
export const AUTH_POOL: PoolLimit = { capacity: 60, refillPerSec: 40, reservedForSpend: 0 };

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
  /** Auth carries no token yet, so the store counts it per IP (in the login window); everything else per token. */
  readonly counter: 'account' | 'auth';
}

/** What each operation costs. Unknown at the real store, so all weigh one; the table is where to change that. */
export const OPERATION_COSTS: Readonly<Record<StoreOperation, OperationCost>> = {
  auth: { account: 1, ip: 1, counter: 'auth' },
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
export const ipPool = (proxy: string | undefined): string => `ip:${outgoing(proxy)}`;

/** `auth:<host:port>` of the proxy a login leaves through, or `auth:direct`: the IP's login window. */
export const authPool = (proxy: string | undefined): string => `auth:${outgoing(proxy)}`;

const outgoing = (proxy: string | undefined): string => (proxy === undefined ? 'direct' : proxyAddress(proxy));

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
    ...(cost.counter === 'auth' ? [{ pool: authPool(route.proxy), weight: 1 }] : []),
  ];
  return charges.filter((c) => c.weight > 0);
}

/** The pool whose budget the store's headers and 429s describe for this call. */
export function counterPool(op: StoreOperation, route: PoolRoute): string {
  return OPERATION_COSTS[op].counter === 'account' ? accountPool(route.account) : authPool(route.proxy);
}

/** The pools a 429 to this call holds: its counting pool; for a login also its IP's pool, since a store that refuses
 *  a login by IP may be refusing every call from that IP (its other calls are counted by token, but an IP limit in
 *  front of the store would refuse them too): holding them costs a few seconds, a ban costs the drop. */
export function heldOn429(op: StoreOperation, route: PoolRoute): string[] {
  const counter = counterPool(op, route);
  return OPERATION_COSTS[op].counter === 'auth' ? [counter, ipPool(route.proxy)] : [counter];
}

/** The declared limit of a pool, by its name's kind (`ip`: the outgoing IP's limit, IP_POOL unless configured). */
export function declaredLimit(pool: string, ip: PoolLimit = IP_POOL): PoolLimit {
  if (pool.startsWith('ip:')) return ip;
  return pool.startsWith('auth:') ? AUTH_POOL : ACCOUNT_POOL;
}

/** What the config says one outgoing IP may send (`store.perIp`). */
export interface PerIpLimit {
  readonly burst: number;
  readonly perSec: number;
  readonly inFlight: number;
}

/** The IP pool for a configured per-IP limit: the spend reserve of the default, never the whole burst. */
export function ipLimit(perIp: PerIpLimit): PoolLimit {
  return { capacity: perIp.burst, refillPerSec: perIp.perSec, maxInFlight: perIp.inFlight, reservedForSpend: Math.min(IP_POOL.reservedForSpend, perIp.burst - 1) };
}

/** Where the limiter gets its pools from: limits, charges and which pool the store's counting matches. */
export interface PoolCatalog {
  limitFor(pool: string): PoolLimit;
  chargesFor(op: StoreOperation, route: PoolRoute): readonly PoolCharge[];
  counterPool(op: StoreOperation, route: PoolRoute): string;
  /** The pools a 429 to the call holds; the counting pool alone when absent. */
  heldOn429?(op: StoreOperation, route: PoolRoute): readonly string[];
  /** Whether the store's headers can teach this pool its limit (it is some call's counting pool); true when absent. */
  learns?(pool: string): boolean;
}

/** The store's pools, with the outgoing IP's limit as configured (the declared guess when not). */
export function storePools(ip: PoolLimit = IP_POOL): PoolCatalog {
  return { limitFor: (pool) => declaredLimit(pool, ip), chargesFor, counterPool, heldOn429, learns: (pool) => !pool.startsWith('ip:') };
}

/** The store's pools as declared here. */
export const STORE_POOLS: PoolCatalog = storePools();

/** A margin percentage as a fraction, clamped to 0–0.9 so a limit never vanishes. */
export function marginFraction(marginPct: number): number {
  return Number.isFinite(marginPct) ? Math.max(0, Math.min(90, marginPct)) / 100 : 0;
}
