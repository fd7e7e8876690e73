/** The ledger's orders as a person or a program reads them: one line per order with its payment (intent state, tx,
 *  fee), amounts formatted in their currency. Shared by `automint orders` and `automint reconcile`. */
import type { Ledger } from '../ledger/ledger.js';
import type { OrderState } from '../ledger/schema.js';
import { formatKnownOrRaw, type Currency } from '../money.js';

/** One order with what the ledger knows of its payment. */
export interface OrderReport {
  readonly orderId: string;
  /** `maybe-created`: a ghost order (a request whose answer may hide an order; id and amount never seen). */
  readonly state: OrderState | 'maybe-created';
  readonly method: string;
  readonly account: string;
  readonly target: string;
  readonly count: number;
  readonly currency: Currency;
  /** Decimal text in the currency's unit ("2.5" TON, "250" XTR). */
  readonly amount: string;
  readonly fee: string | null;
  readonly payment: { readonly key: string; readonly state: string; readonly txHash: string | null } | null;
  readonly reason: string | null;
  readonly createdAt: string;
}

/** Every order (or those in `state`), oldest first, ghost orders among them. */
export async function orderReports(ledger: Ledger, state?: OrderState | 'maybe-created'): Promise<OrderReport[]> {
  const ghosts = state === undefined || state === 'maybe-created' ? await ghostReports(ledger) : [];
  if (state === 'maybe-created') return ghosts;
  const rows = await ledger.orders.list(state === undefined ? {} : { state });
  const out: OrderReport[] = [...ghosts];
  for (const o of rows.sort((a, b) => a.createdAt - b.createdAt)) {
    const intents = await ledger.intents.forOrder(o.orderId);
    // The live intent (or the last one): an order has at most one that is not failed.
    const intent = intents.find((i) => i.state !== 'failed') ?? intents.at(-1);
    const fee = intents.reduce<bigint | null>((sum, i) => (i.fee === null ? sum : (sum ?? 0n) + i.fee), null);
    out.push({
      orderId: o.orderId, state: o.state, method: o.method, account: o.account, target: `${o.collection}:${o.character}`,
      count: o.count, currency: o.currency, amount: formatKnownOrRaw(o.currency, o.amount),
      fee: fee === null ? null : formatKnownOrRaw(o.currency, fee),
      payment: intent ? { key: intent.idempotencyKey, state: intent.state, txHash: intent.txHash } : null,
      reason: o.reason, createdAt: new Date(o.createdAt).toISOString(),
    });
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The ledger's ghost orders as reports: `ghost-<n>` for the id the store never gave, `?` for the amount. */
async function ghostReports(ledger: Ledger): Promise<OrderReport[]> {
  return (await ledger.ghosts.list()).map((g) => ({
    orderId: `ghost-${g.id}`, state: g.state, method: g.method, account: g.account, target: `${g.collection}:${g.character}`,
    count: g.count, currency: g.currency, amount: '?', fee: null, payment: null,
    reason: `${g.reason} (may hold the account's unpaid-order slot until ${new Date(g.heldUntil).toISOString()})`,
    createdAt: new Date(g.requestedAt).toISOString(),
  }));
}

/** The reports as an aligned text table. */
export function renderOrders(reports: readonly OrderReport[]): string {
  if (reports.length === 0) return 'no orders in the ledger';
  const header = ['created', 'order', 'state', 'method', 'account', 'target', 'packs', 'amount', 'fee', 'payment', 'reason'];
  const rows = reports.map((r) => [
    r.createdAt.replace('T', ' ').slice(0, 19), r.orderId, r.state, r.method, r.account, r.target, String(r.count),
    `${r.amount} ${r.currency}`, r.fee === null ? '' : `${r.fee} ${r.currency}`,
    r.payment ? `${r.payment.state}${r.payment.txHash ? ' ' + r.payment.txHash.slice(0, 16) : ''}` : '', r.reason ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
