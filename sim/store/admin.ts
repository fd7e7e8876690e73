/** The admin API under `/admin` for tests, the demo and benchmarks (loopback only, no token, never rate limited or
 *  faulted): read orders (both currencies), Stars invoices, stock and counts, move a drop, mint a token, set and clear
 *  faults. Amounts go out as decimal strings of smallest units (nanotons, stars), never as JSON numbers. */
import type { ChainTransfer } from '../chain/transfer.js';
import type { Catalog } from './catalog.js';
import { FaultPlanInvalid, parseFaultPlan, type FaultPlan } from './fault-plan.js';
import type { Faults } from './faults.js';
import type { StoreInvoices } from './invoice-desk.js';
import type { TokenIssuer } from './jwt.js';
import type { OrderBook, OrderPayment, StarsCharge, StoreOrder } from './orders.js';
import { idParam, integerParam } from './params.js';
import { ok } from './pipeline.js';
import { NotInScenario, StoreRefusal } from './refusal.js';
import type { Route } from './router.js';
import type { StoreStats } from './stats.js';
import type { StarsInvoice } from '../stars-invoices.js';

export interface AdminDeps {
  readonly catalog: Catalog;
  readonly orders: OrderBook;
  readonly tokens: TokenIssuer;
  readonly faults: Faults;
  readonly invoices: StoreInvoices;
  readonly stats: () => StoreStats;
}

/** The `/admin` routes. */
export function adminRoutes({ catalog, orders, tokens, faults, invoices, stats }: AdminDeps): Route[] {
  return [
    { method: 'GET', path: '/admin/stats', handle: () => ok(stats()) },
    { method: 'GET', path: '/admin/faults', handle: () => ok(faults.state()) },
    {
      method: 'POST',
      path: '/admin/faults',
      handle: (ctx) => {
        faults.set(faultPlanFrom(ctx.request.body));
        return ok(faults.state());
      },
    },
    {
      method: 'DELETE',
      path: '/admin/faults',
      handle: () => {
        faults.set(null);
        return ok(faults.state());
      },
    },
    { method: 'GET', path: '/admin/orders', handle: () => ok(orders.list().map(orderJson)) },
    { method: 'GET', path: '/admin/invoices', handle: () => ok(invoices.list().map(invoiceJson)) },
    { method: 'GET', path: '/admin/unmatched', handle: () => ok(orders.unmatched().map(transferJson)) },
    { method: 'GET', path: '/admin/stock', handle: () => ok(catalog.stockLines()) },
    {
      method: 'POST',
      path: '/admin/drop',
      handle: (ctx) => {
        const collectionId = idParam(ctx.request.query, 'collection');
        const at = integerParam(ctx.request.query, 'at');
        if (at < 0) throw new StoreRefusal('invalid_params', 'at must be epoch ms', { at });
        try {
          catalog.scheduleDrop(collectionId, at);
        } catch (error) {
          if (error instanceof NotInScenario) throw new StoreRefusal('collection_not_found', error.message, { collectionId });
          throw error;
        }
        return ok({ collection: collectionId, dropAt: at });
      },
    },
    {
      method: 'POST',
      path: '/admin/token',
      handle: (ctx) => {
        const user = idParam(ctx.request.query, 'user');
        const ttl = ctx.request.query.has('ttl') ? integerParam(ctx.request.query, 'ttl') : undefined;
        return ok({ token: tokens.issue(user, ttl) });
      },
    },
  ];
}

/** The fault plan in a request body (JSON); anything else is invalid_params. */
function faultPlanFrom(body: string): FaultPlan {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new StoreRefusal('invalid_params', 'the fault plan must be JSON');
  }
  try {
    return parseFaultPlan(value);
  } catch (error) {
    if (error instanceof FaultPlanInvalid) throw new StoreRefusal('invalid_params', error.message, { issues: error.details['issues'] });
    throw error;
  }
}

function orderJson(o: StoreOrder): Record<string, unknown> {
  const common = {
    id: o.id,
    userId: o.userId,
    collectionId: o.collectionId,
    characterId: o.characterId,
    count: o.count,
    currency: o.currency,
    pricePerPack: o.pricePerPack.toString(),
    totalAmount: o.totalAmount.toString(),
    createdAt: o.createdAt,
    expiresAt: o.expiresAt,
    state: o.state,
  };
  if (o.currency === 'TON') {
    return { ...common, wallet: o.wallet, paidBy: o.paidBy && paymentJson(o.paidBy), payments: o.payments.map(paymentJson) };
  }
  return { ...common, invoiceSlug: o.invoiceSlug, paidBy: o.paidBy && chargeJson(o.paidBy), payments: o.payments.map(chargeJson) };
}

function paymentJson(p: OrderPayment): Record<string, unknown> {
  return { txHash: p.txHash, lt: p.lt.toString(), utime: p.utime, from: p.from, amount: p.amount.toString(), verdict: p.verdict };
}

function chargeJson(c: StarsCharge): Record<string, unknown> {
  return { ...c, amount: c.amount.toString() };
}

function invoiceJson(i: StarsInvoice): Record<string, unknown> {
  return { ...i, amount: i.amount.toString() };
}

function transferJson(t: ChainTransfer): Record<string, unknown> {
  return {
    txHash: t.txHash,
    lt: t.lt.toString(),
    utime: t.utime,
    from: t.from,
    to: t.to,
    amount: t.amount.toString(),
    comment: t.comment,
    success: t.success,
  };
}
