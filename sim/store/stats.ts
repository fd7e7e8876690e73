/** The store's figures for tests and benchmarks: its traffic (requests, statuses, 429s per route), the bans it
 *  started, its logins, and its orders per currency as they stand. */
import type { LoginCounts } from './login.js';
import type { OrderCurrency, StoreOrder } from './order.js';
import type { TrafficSnapshot } from './traffic.js';

/** Orders of one currency. `created` counts every order ever taken, whatever became of it. */
export interface OrderCounts {
  readonly created: number;
  readonly open: number;
  readonly paid: number;
  readonly expired: number;
}

export interface StoreStats extends TrafficSnapshot {
  /** Bans started for callers that kept going over the limits. */
  readonly bans: number;
  readonly auth: LoginCounts;
  readonly orders: Readonly<Record<OrderCurrency, OrderCounts>>;
}

/** Counts `orders` per currency and state. */
export function orderCounts(orders: readonly StoreOrder[]): Record<OrderCurrency, OrderCounts> {
  const counts = { TON: { created: 0, open: 0, paid: 0, expired: 0 }, XTR: { created: 0, open: 0, paid: 0, expired: 0 } };
  for (const o of orders) {
    const c = counts[o.currency];
    c.created += 1;
    if (o.state === 'created') c.open += 1;
    else c[o.state] += 1;
  }
  return counts;
}
