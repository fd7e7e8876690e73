/** The payer's I/O, one named promise actor per step, so the statechart in payer.ts reads like the lifecycle and a
 *  trace shows each step as a state. Each step keeps the ledger true on its own error path (a failed order releases
 *  its budget), so the machine only decides where to go next. */
import { fromPromise } from 'xstate';
import type { Logger } from 'pino';
import type { Currency, Units } from '../money.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PaymentAttempt, PaymentSteps, Settlement, StoreOrder, TargetSpec } from '../plugins/payment.js';
import { StoreRejected } from '../store/store-error.js';
import { AutomintError } from '../errors.js';
import { OrderRefused, verifyOrder } from './order-verification.js';
import type { RunMetrics } from './run-metrics.js';
import type { TargetQuota } from './target-quota.js';

/** The policy numbers a payer follows (from config and profile). */
export interface PayerPolicy {
  /** Most packs in one order (the store caps it at 5). */
  readonly maxPerOrder: number;
  readonly toleranceBps: number;
  readonly expiryMarginMs: number;
  /** Failed order attempts in a row before the payer gives up. */
  readonly maxFailures: number;
  readonly retryDelayMs: number;
}

export interface PayerInput {
  readonly purchaseId: string;
  readonly account: string;
  readonly method: string;
  readonly currency: Currency;
  readonly target: TargetSpec & { readonly maxPricePerPack: Units | null };
  readonly steps: PaymentSteps;
  /** Packs still to buy for the target, shared with every other payer of it. */
  readonly quota: TargetQuota;
  readonly ledger: Ledger;
  readonly budget: { readonly total: Units; readonly perAccount?: Units; readonly perTarget?: Units };
  readonly policy: PayerPolicy;
  readonly metrics: RunMetrics;
  readonly log: Logger;
  readonly dryRun: boolean;
  /** The stock observation that started buying. */
  readonly left: number;
  readonly observedAt: number;
}

/** Store refusals that mean "no stock for this order": wait for the watcher instead of retrying. */
const OUT_OF_STOCK = /sold_?out|not_enough|out_of_stock|no_stock|stock/i;

export class BudgetExhausted extends AutomintError {
  constructor(details: { currency: Currency; reason: string; committed: string; limit: string }) {
    super('BUDGET_EXHAUSTED', `${details.currency} budget (${details.reason}) has no room: ${details.committed} of ${details.limit} committed`, details);
  }
}

export type Plan = { kind: 'order'; count: number } | { kind: 'wait' } | { kind: 'done'; reason: string };

/** Decides the next order's size from the target's shared quota and the stock seen; the packs are claimed here. */
export function plan(input: PayerInput, left: number): Plan {
  if (input.quota.reached) return { kind: 'done', reason: 'target reached' };
  if (left <= 0) return { kind: 'wait' };
  const count = input.quota.claim(Math.min(input.policy.maxPerOrder, left));
  return count > 0 ? { kind: 'order', count } : { kind: 'wait' };
}

/** The planning step as an actor, so each plan shows as a state in the trace. */
export const planStep = fromPromise<Plan, { input: PayerInput; left: number }>(async ({ input: { input, left } }) => plan(input, left));

export const quoteStep = fromPromise<Units, { input: PayerInput }>(({ input: { input }, signal }) =>
  input.steps.quote(input.target, signal));

/** Holds budget for `count` packs in one transaction: at the quote plus tolerance, capped by the per-pack maximum;
 *  at the maximum alone when the quote is not known yet (it is then fetched alongside the order). */
export const reserveStep = fromPromise<{ reservationId: string | number; held: Units }, { input: PayerInput; count: number; quote: Units | null }>(
  async ({ input: { input, count, quote } }) => {
    const cap = input.target.maxPricePerPack === null ? null : input.target.maxPricePerPack * BigInt(count);
    const atQuote = quote === null ? null : (quote * BigInt(count) * BigInt(10_000 + input.policy.toleranceBps)) / 10_000n;
    const amount = atQuote === null ? cap! : cap === null || atQuote < cap ? atQuote : cap;
    const r = await input.ledger.budget.reserve({
      currency: input.currency, amount, account: input.account, target: input.target.key,
      limits: { total: input.budget.total, perAccount: input.budget.perAccount, perTarget: input.budget.perTarget },
    });
    if (!r.ok) {
      throw new BudgetExhausted({ currency: input.currency, reason: r.reason, committed: r.committed.toString(), limit: r.limit.toString() });
    }
    return { reservationId: r.reservation.id, held: amount };
  },
);

export interface OrderPlaced {
  readonly order: StoreOrder;
  readonly respondedAt: number;
  /** The quote the order is verified against (fetched alongside the order when it was not known before). */
  readonly quote: Units;
}

/** Creates the order at the store and records it; releases the budget when no usable order came back. When the
 *  quote is not known yet it is fetched in parallel, so the price lookup never delays the order request. */
export const orderStep = fromPromise<OrderPlaced, { input: PayerInput; count: number; quote: Units | null; reservationId: string | number; observedAt: number }>(
  async ({ input: { input, count, quote: known, reservationId, observedAt }, signal }) => {
    const quoting = known === null ? input.steps.quote(input.target, signal) : Promise.resolve(known);
    let order: StoreOrder;
    try {
      order = await input.steps.createOrder(input.target, count, {
        signal,
        onSent: () => input.metrics.record('detectToOrder', performance.now() - observedAt),
      });
    } catch (e) {
      quoting.catch(() => undefined);
      await input.ledger.budget.release(reservationId);
      throw e;
    }
    const respondedAt = performance.now();
    await input.ledger.orders.insert({
      orderId: order.orderId, purchaseId: input.purchaseId, method: input.method, account: input.account,
      collection: input.target.collection, character: input.target.character, count: order.count,
      currency: order.currency, amount: order.amount, destination: order.destination, expiresAt: order.expiresAt ?? 0,
    });
    await input.ledger.budget.attach(reservationId, order.orderId);
    let quote: Units;
    try {
      quote = await quoting;
    } catch (e) {
      // Without a quote the order cannot be checked, so it is not paid; the store lets it expire.
      await input.ledger.orders.setState(order.orderId, 'refused', `no quote: ${(e as Error).message}`);
      await input.ledger.budget.release(reservationId);
      throw e;
    }
    input.log.info({ orderId: order.orderId, count: order.count, amount: order.amount.toString() }, 'order created');
    return { order, respondedAt, quote };
  },
);

/** True when the store refused an order for lack of stock. */
export function isOutOfStock(e: unknown): boolean {
  return e instanceof StoreRejected && OUT_OF_STOCK.test(e.errorCode);
}

/** Verifies the order before any money moves; a refusal is recorded and frees the budget. */
export const verifyStep = fromPromise<void, { input: PayerInput; order: StoreOrder; count: number; quote: Units; held: Units; reservationId: string | number }>(
  async ({ input: { input, order, count, quote, held, reservationId }, signal }) => {
    try {
      verifyOrder(order, {
        count, quotePerPack: quote, toleranceBps: input.policy.toleranceBps, maxPricePerPack: input.target.maxPricePerPack,
        budgetHeld: held, expiryMarginMs: input.policy.expiryMarginMs, now: Date.now(),
      });
      const refusal = await input.steps.check(order, signal);
      if (refusal) throw new OrderRefused('METHOD_REFUSED', `order ${order.orderId} refused by ${input.method}: ${refusal}`, { orderId: order.orderId });
      await input.ledger.budget.resize(reservationId, order.amount);
    } catch (e) {
      await input.ledger.orders.setState(order.orderId, 'refused', (e as Error).message);
      await input.ledger.budget.release(reservationId);
      throw e;
    }
  },
);

/** Builds and signs the payment; on failure nothing was sent, so the order fails and the budget is freed. */
export const prepareStep = fromPromise<PaymentAttempt, { input: PayerInput; order: StoreOrder; reservationId: string | number }>(
  async ({ input: { input, order, reservationId }, signal }) => {
    try {
      return await input.steps.prepare(order, signal);
    } catch (e) {
      await input.ledger.orders.setState(order.orderId, 'failed', (e as Error).message);
      await input.ledger.budget.release(reservationId);
      throw e;
    }
  },
);

/** Writes the intent BEFORE any money moves: after a crash, the ledger knows what may have been sent. */
export const recordStep = fromPromise<void, { input: PayerInput; order: StoreOrder; attempt: PaymentAttempt }>(
  async ({ input: { input, order, attempt } }) => {
    await input.ledger.intents.record({
      idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, method: input.method, currency: order.currency,
      amount: order.amount, destination: order.destination, payload: { ...attempt.payload },
    });
    await input.ledger.orders.setState(order.orderId, 'paying');
  },
);

/** Sends the payment. A failure here is not "not paid": the confirm step finds out. */
export const sendStep = fromPromise<{ sent: boolean; error?: string }, { input: PayerInput; attempt: PaymentAttempt; respondedAt: number }>(
  async ({ input: { input, attempt, respondedAt }, signal }) => {
    try {
      const before = performance.now();
      await attempt.send(signal);
      input.metrics.record('orderToBroadcast', before - respondedAt);
      input.metrics.firstPaymentSentAt ??= before;
      await input.ledger.intents.setState(attempt.idempotencyKey, 'sent');
      return { sent: true };
    } catch (e) {
      input.log.warn({ err: e, key: attempt.idempotencyKey }, 'send failed; outcome unknown until confirmed');
      return { sent: false, error: (e as Error).message };
    }
  },
);

/** Waits for the outcome and settles the ledger: paid consumes the budget, not-paid frees it, unknown keeps it held. */
export const confirmStep = fromPromise<Settlement, { input: PayerInput; order: StoreOrder; attempt: PaymentAttempt; reservationId: string | number }>(
  async ({ input: { input, order, attempt, reservationId }, signal }) => {
    const started = performance.now();
    let settlement: Settlement;
    try {
      settlement = await attempt.confirm(signal);
    } catch (e) {
      settlement = { outcome: 'unknown', reason: (e as Error).message };
    } finally {
      attempt.dispose();
    }
    const { ledger } = input;
    switch (settlement.outcome) {
      case 'paid':
        input.metrics.record('broadcastToConfirm', performance.now() - started);
        await ledger.intents.setState(attempt.idempotencyKey, 'confirmed', { txHash: settlement.txHash, fee: settlement.fee });
        await ledger.orders.setState(order.orderId, 'paid');
        await ledger.budget.consume(reservationId, order.amount);
        input.log.info({ orderId: order.orderId, txHash: settlement.txHash, fee: settlement.fee.toString() }, 'order paid');
        break;
      case 'not-paid':
        await ledger.intents.setState(attempt.idempotencyKey, 'failed', { reason: settlement.reason });
        await ledger.orders.setState(order.orderId, 'failed', settlement.reason);
        await ledger.budget.release(reservationId);
        input.log.warn({ orderId: order.orderId, reason: settlement.reason }, 'payment did not happen');
        break;
      case 'unknown':
        // Money may have moved: keep the budget held and the order counted until reconciliation settles it.
        await ledger.intents.setState(attempt.idempotencyKey, 'unknown', { reason: settlement.reason });
        await ledger.orders.setState(order.orderId, 'unknown', settlement.reason);
        input.log.error({ orderId: order.orderId, reason: settlement.reason }, 'payment outcome unknown; reconcile before retrying');
        break;
    }
    return settlement;
  },
);
