/** The payer's I/O, one named promise actor per step, so the statechart in payer.ts reads like the lifecycle and a
 *  trace shows each step as a state. Each step keeps the ledger true on its own error path (an order that will not be
 *  paid is abandoned and its budget freed in one transaction), so the machine only decides where to go next. */
import { fromPromise } from 'xstate';
import type { Logger } from 'pino';
import { minAmount, withTolerance, type Currency, type Units } from '../money.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PaymentAttempt, PaymentSteps, Settlement, StoreOrder, TargetSpec } from '../plugins/payment.js';
import { StoreRejected } from '../store/store-error.js';
import { forgetOrderRequest, markOrderRequest, runSend, type OrderWire } from '../telemetry/wire-marks.js';
import { AutomintError, isAutomintError, isRateLimited, retryAtOf } from '../errors.js';
import { OrderRefused, verifyOrder } from './order-verification.js';
import type { RunMetrics } from './run-metrics.js';
import type { TargetQuota } from './target-quota.js';
import type { HeldPayment, UnknownPayments } from './unknown-payments.js';
import { ghostsHolding, mayHaveCreatedOrder, noteGhostOrder } from './ghost-order.js';
import type { RunEventSink } from '../events/run-events.js';
import { budgetReached, orderCreated, orderRefusedByBot, orderRefusedByStore, paymentSent, paymentSettled } from '../events/payer-events.js';

/** The policy numbers a payer follows (from the profile and the payment method). */
export interface PayerPolicy {
  /** Most packs in one order (the store caps it). */
  readonly maxPerOrder: number;
  readonly toleranceBps: number;
  readonly expiryMarginMs: number;
  /** Budget held per order on top of its amount for the network fee; the actual fee is what is consumed. */
  readonly feeAllowance: Units;
  /** Failed attempts in a row before the payer gives up. */
  readonly maxFailures: number;
  readonly retryDelayMs: number;
  /** Longest hold when the limiter holds a call back (the profile's maxWaitMs). */
  readonly maxHoldMs: number;
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
  /** Most this ledger may spend in the method's currency. */
  readonly budget: Units;
  /** Most this account may spend in it (all targets), when limited. */
  readonly accountBudget?: Units;
  /** Most this target may cost in it (all accounts), when limited. */
  readonly targetBudget?: Units;
  readonly policy: PayerPolicy;
  readonly metrics: RunMetrics;
  readonly log: Logger;
  readonly dryRun: boolean;
  /** Spawned at arming, before the drop: the payer claims its first order's packs and budget in the ledger now (when
   *  a maximum price per pack bounds the amount) and waits in `armed` for stock, so the first order after a stock
   *  report writes nothing before its request (docs/architecture.md, "The drop's hot path"). Without it the payer
   *  plans at once, from the stock it is given. */
  readonly armAhead?: boolean;
  /** The stock observation that started buying (0 for a payer spawned at arming that has seen none). */
  readonly left: number;
  readonly observedAt: number;
  /** The run's in-run reconciliation. Without it an unknown outcome ends the payer, its payment left for the next
   *  start; with it the payer waits for the run to settle it (see planStep). */
  readonly unknownPayments?: UnknownPayments;
  /** How many unpaid orders of this method the store lets the account hold, when the store says (TON:
   *  `crypto_orders_limit`): ghost orders that fill it stop the payer (ghost-order.ts). */
  readonly unpaidLimit?: () => Promise<number>;
  /** The run's events: what this payer did is told there after the fact (core/events/payer-events.ts). */
  readonly events?: RunEventSink;
}

/** Store refusals that mean "no stock for this order": wait for the watcher instead of retrying. */
const OUT_OF_STOCK_CODES = new Set(['sold_out', 'not_enough_stock', 'out_of_stock', 'no_stock']);

/** Store refusals that mean "this account holds too many unpaid orders" (e.g. an earlier run's, left by a crash):
 *  they expire at the store, so the payer holds and asks again instead of failing. */
const UNPAID_LIMIT_CODES = new Set(['too_many_unpaid_orders', 'unpaid_orders_limit', 'orders_limit_reached', 'too_many_orders']);

/** How long a payer waits before asking again after an unpaid-orders refusal... */
export const UNPAID_LIMIT_HOLD_MS = 10_000;
/** ...and when the slots are held by this run's own orders being paid (they free it in a block or two). */
export const UNPAID_OWN_HOLD_MS = 1_000;

/** The store refused a new order because the account holds too many unpaid ones. Carries when to ask again, and how
 *  many of them are the ledger's own orders of this account and method still being paid: with the real store's one
 *  unpaid TON order per account, two targets of one account take turns, and the one waiting is not stuck. */
export class UnpaidOrdersLimit extends AutomintError {
  constructor(errorCode: string, readonly ownInFlight = 0) {
    super('STORE_UNPAID_ORDERS_LIMIT',
      `the store holds too many unpaid orders of this account (${errorCode}): waiting for them to be paid or to expire`,
      { errorCode, ownInFlight, retryAt: Date.now() + (ownInFlight > 0 ? UNPAID_OWN_HOLD_MS : UNPAID_LIMIT_HOLD_MS) });
  }
}

/** This account's orders of this method the ledger has being paid now (created or paying; an unknown outcome may
 *  never settle in this run, so it does not count). */
async function ownOrdersInFlight(input: PayerInput): Promise<number> {
  const orders = await input.ledger.orders.list({ state: ['created', 'paying'], method: input.method });
  return orders.filter((o) => o.account === input.account).length;
}

/** True when the store refused an order for lack of stock. */
export function isOutOfStock(e: unknown): boolean {
  return e instanceof StoreRejected && OUT_OF_STOCK_CODES.has(e.errorCode.toLowerCase());
}

export class BudgetExhausted extends AutomintError {
  constructor(
    details: { currency: Currency; reason: string; committed: string; limit: string },
    /** True when even with every hold released the order would not fit: what is already spent leaves no room. */
    readonly final: boolean,
  ) {
    super('BUDGET_EXHAUSTED', `${details.currency} budget (${details.reason}) has no room: ${details.committed} of ${details.limit} committed`, { ...details, final });
  }
}

export type Plan =
  | { kind: 'order'; count: number }
  | { kind: 'wait' }
  | { kind: 'done'; reason: string }
  /** Payments whose outcome is unknown stand in the way: this payer's own (its method pays nothing more until they
   *  settle), or every pack left of its scope is held by them. Plan again at `retryAt`, after an in-run
   *  reconciliation round. */
  | { kind: 'held'; by: 'own' | 'target' | 'share'; payments: readonly HeldPayment[]; retryAt: number }
  /** The payer's own unknown payment was proven not paid in-run: like a confirmation that says so, a failure to retry. */
  | { kind: 'not-paid'; orderIds: readonly string[] };

/** Decides the next order's size from the target's shared quota and the stock seen; the packs are claimed here. */
export function plan(input: PayerInput, left: number, soldOut: boolean): Plan {
  if (input.quota.reached) return { kind: 'done', reason: 'target reached' };
  if (input.quota.shareReached(input.method)) return { kind: 'done', reason: 'share reached' };
  if (soldOut) return { kind: 'done', reason: 'sold out' };
  if (left <= 0) return { kind: 'wait' };
  const count = input.quota.claim(Math.min(input.policy.maxPerOrder, left), input.method);
  return count > 0 ? { kind: 'order', count } : { kind: 'wait' };
}

/** The planning step as an actor, so each plan shows as a state in the trace. With in-run reconciliation, unknown
 *  payments are looked at first: the payer's own from this run (`unsettled`, order ids) hold its method back until a
 *  round settles them, whether or not stock is left, so the run learns where the money went before it ends; and when
 *  stock is seen but no pack is free, the ledger says whether unknown payments hold all that is left. */
export const planStep = fromPromise<Plan, { input: PayerInput; left: number; soldOut: boolean; unsettled: readonly string[] }>(
  async ({ input: { input, left, soldOut, unsettled } }) => {
    // An order the store may have created unseen can hold the account's only unpaid slot: asking for another would be
    // refused until it expires (ghost-order.ts).
    const ghosts = await ghostsHolding(input);
    if (ghosts !== null) return { kind: 'done', reason: ghosts.message };
    const unknown = input.unknownPayments;
    if (unknown === undefined) return plan(input, left, soldOut);
    const target = input.target.key;
    if (unsettled.length > 0) {
      const own = await unknown.settlementsOf(unsettled);
      if (own.held.length > 0) return { kind: 'held', by: 'own', payments: own.held, retryAt: unknown.requestRound(target, input.quota) };
      if (own.notPaid.length > 0) return { kind: 'not-paid', orderIds: own.notPaid };
    }
    const next = plan(input, left, soldOut);
    if (next.kind !== 'wait' || left <= 0) return next;
    const held = await unknown.holdingAll({ target, wanted: input.quota.wanted, method: input.method, methodCap: input.quota.capOf(input.method) });
    return held === null ? next : { kind: 'held', by: held.share ? 'share' : 'target', payments: held.payments, retryAt: unknown.requestRound(target, input.quota) };
  },
);

export const quoteStep = fromPromise<Units, { input: PayerInput }>(({ input: { input }, signal }) =>
  input.steps.quote(input.target, signal));

/** What to hold for `count` packs: the quote plus tolerance, capped by the per-pack maximum (the maximum alone when
 *  the quote is not known yet), plus the fee allowance. */
export function amountToHold(input: PayerInput, count: number, quote: Units | null): Units {
  const cap = input.target.maxPricePerPack === null ? null : input.target.maxPricePerPack * BigInt(count);
  const atQuote = quote === null ? null : withTolerance(quote * BigInt(count), input.policy.toleranceBps);
  const price = atQuote === null ? cap! : cap === null ? atQuote : minAmount(atQuote, cap);
  return price + input.policy.feeAllowance;
}

/** A budget hold: its reservation, the amount held and the packs it covers (fewer than planned when only that many
 *  fit the budget). */
export interface Reserved {
  readonly reservationId: number;
  readonly held: Units;
  readonly count: number;
}

/** Every pack of the target (or of this method's share) is paid or held by orders in flight, as the ledger counts
 *  them across every process and restart. `final` when they are all paid: nothing can free up. */
export class PacksClaimed extends AutomintError {
  constructor(details: { target: string; scope: 'TARGET' | 'METHOD'; paid: number; held: number; limit: number }, readonly final: boolean) {
    const whose = details.scope === 'TARGET' ? `target ${details.target}` : `this method's share of target ${details.target}`;
    super('PACKS_CLAIMED', `every pack of ${whose} is claimed in the ledger: ${details.paid} paid, ${details.held} in flight of ${details.limit}`, { ...details, final });
  }
}

/** Claims the packs and holds their money in one ledger transaction. When the planned packs do not fit but fewer do,
 *  the order shrinks to what fits (a 10 TON budget still buys four 2.5 TON packs when orders are planned five at a
 *  time; another process's claims leave fewer packs). */
export const reserveStep = fromPromise<Reserved, { input: PayerInput; count: number; quote: Units | null }>(
  async ({ input: { input, count, quote } }) => {
    const limits = {
      total: input.budget,
      ...(input.accountBudget === undefined ? {} : { perAccount: input.accountBudget }),
      ...(input.targetBudget === undefined ? {} : { perTarget: input.targetBudget }),
    };
    const cap = input.quota.capOf(input.method);
    const r = await input.ledger.claims.claim({
      currency: input.currency, account: input.account, target: input.target.key, method: input.method, packs: count,
      wanted: input.quota.wanted, ...(cap === null ? {} : { methodCap: cap }), amountFor: (n) => amountToHold(input, n, quote), limits,
    });
    if (r.ok) return { reservationId: r.reservation.id, held: r.reservation.amount, count: r.packs };
    if (r.reason === 'PACKS') {
      throw new PacksClaimed({ target: input.target.key, scope: r.scope, paid: r.tally.paid, held: r.tally.held, limit: r.limit }, r.tally.paid >= r.limit);
    }
    // Holds of other orders in flight shrink or free when those settle; only spent money (in the scope that
    // refused) makes it final.
    const scope = r.reason === 'ACCOUNT' ? { account: input.account } : r.reason === 'TARGET' ? { target: input.target.key } : {};
    const spent = await input.ledger.budget.spent(input.currency, scope);
    const smallest = amountToHold(input, 1, quote);
    const facts = { reason: r.reason, committed: r.committed.toString(), limit: r.limit.toString() };
    const final = spent + smallest > r.limit;
    if (final) budgetReached(input, input.currency, facts);
    throw new BudgetExhausted({ currency: input.currency, ...facts }, final);
  },
);

export interface OrderPlaced {
  readonly order: StoreOrder;
  readonly respondedAt: number;
  /** The quote the order is verified against (fetched alongside the order when it was not known before). */
  readonly quote: Units;
}

/** Creates the order at the store and records it; frees the budget when no usable order came back. When the quote
 *  is not known yet it is fetched in parallel, so the price lookup never delays the order request. */
export const orderStep = fromPromise<OrderPlaced, { input: PayerInput; count: number; quote: Units | null; reservationId: number; observedAt: number | null }>(
  async ({ input: { input, count, quote: known, reservationId, observedAt }, signal }) => {
    let order: StoreOrder;
    let wire: OrderWire | null = null;
    const askedAt = performance.now();
    const requestedAt = Date.now();
    let sent = false;
    // The order is asked for first: the price lookup's own steps (token, endpoint, lease) must not go out ahead of it.
    const creating = input.steps.createOrder(input.target, count, {
      signal,
      // Only an order sent on a fresh stock observation measures detection; the next ones of a burst reuse it.
      onSent: () => {
        sent = true;
        wire = input.metrics.orderHanded(input, input.method, observedAt, askedAt, performance.now());
        markOrderRequest(wire);
      },
    });
    const quoting = known === null ? input.steps.quote(input.target, signal) : Promise.resolve(known);
    // Handled now so a failing price lookup is never an unhandled rejection while the order is in flight.
    quoting.catch(() => undefined);
    try {
      order = await creating;
    } catch (e) {
      if (wire !== null) forgetOrderRequest(wire);
      if (isRateLimited(e)) input.metrics.noteSpendHeld(performance.now() - askedAt + Math.max(0, (retryAtOf(e) ?? Date.now()) - Date.now()));
      await input.ledger.budget.release(reservationId);
      if (e instanceof StoreRejected) orderRefusedByStore(input, e.errorCode, e.message);
      if (e instanceof StoreRejected && UNPAID_LIMIT_CODES.has(e.errorCode.toLowerCase())) {
        throw new UnpaidOrdersLimit(e.errorCode, await ownOrdersInFlight(input).catch(() => 0));
      }
      // The request left and no readable answer says it created nothing: the order may exist (a ghost).
      if (sent && !signal.aborted && mayHaveCreatedOrder(e)) await noteGhostOrder(input, count, requestedAt, e);
      throw e;
    }
    // The answer as read off the socket (undici's diagnostics), so the time spent on it here counts.
    const respondedAt = (wire as OrderWire | null)?.answerAt ?? performance.now();
    try {
      // The order and its reservation in one transaction (the first write since the stock report: docs/architecture.md,
      // "The drop's hot path").
      await input.ledger.recordOrder({
        orderId: order.orderId, purchaseId: input.purchaseId, method: input.method, account: input.account,
        collection: input.target.collection, character: input.target.character, count: order.count,
        currency: order.currency, amount: order.amount, destination: order.destination, expiresAt: order.expiresAt ?? 0,
      }, reservationId);
    } catch (e) {
      // Nothing was written (e.g. the store repeated an order id already in the ledger, not ours to settle): only free
      // our budget.
      await input.ledger.budget.release(reservationId);
      throw e;
    }
    orderCreated(input, order);
    try {
      const quote = await quoting;
      input.log.info({ orderId: order.orderId, count: order.count, amount: order.amount.toString() }, 'order created');
      return { order, respondedAt, quote };
    } catch (e) {
      // Without a quote the order cannot be checked, so it is not paid; the store lets it expire.
      await input.ledger.abandonOrder(order.orderId, 'refused', `not verifiable: ${(e as Error).message}`, reservationId);
      orderRefusedByBot(input, order.orderId, 'NOT_VERIFIABLE', `not verifiable: ${(e as Error).message}`);
      throw e;
    }
  },
);

/** Verifies the order before any money moves; a refusal is recorded and frees the budget. */
export const verifyStep = fromPromise<void, { input: PayerInput; order: StoreOrder; count: number; quote: Units; held: Units; reservationId: number }>(
  async ({ input: { input, order, count, quote, held, reservationId }, signal }) => {
    try {
      if (order.refusal !== undefined) {
        throw new OrderRefused(order.refusalCode ?? 'METHOD_REFUSED', `order ${order.orderId} refused by ${input.method}: ${order.refusal}`, { orderId: order.orderId });
      }
      verifyOrder(order, {
        count, quotePerPack: quote, toleranceBps: input.policy.toleranceBps, maxPricePerPack: input.target.maxPricePerPack,
        budgetHeld: held - input.policy.feeAllowance, expiryMarginMs: input.policy.expiryMarginMs, now: Date.now(),
      });
      const refusal = await input.steps.check(order, signal);
      if (refusal) throw new OrderRefused('METHOD_REFUSED', `order ${order.orderId} refused by ${input.method}: ${refusal}`, { orderId: order.orderId });
      // The reservation covers the order (amount + fee ≤ what is held, checked above): it shrinks to the order in the
      // intent's transaction (recordStep), not in a commit of its own here.
    } catch (e) {
      // The ledger keeps the refusal's code with its message: a typed reason a program can read back.
      const reason = isAutomintError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
      await input.ledger.abandonOrder(order.orderId, e instanceof OrderRefused ? 'refused' : 'failed', reason, reservationId);
      if (e instanceof OrderRefused) orderRefusedByBot(input, order.orderId, e.code, e.message);
      throw e;
    }
  },
);

/** Builds and signs the payment; on failure nothing was sent, so the order fails and its budget is freed. */
export const prepareStep = fromPromise<PaymentAttempt, { input: PayerInput; order: StoreOrder; reservationId: number }>(
  async ({ input: { input, order, reservationId }, signal }) => {
    try {
      return await input.steps.prepare(order, signal);
    } catch (e) {
      await input.ledger.abandonOrder(order.orderId, 'failed', (e as Error).message, reservationId);
      throw e;
    }
  },
);

/** Writes the intent (and moves the order to paying) BEFORE any money moves: after a crash, the ledger knows what
 *  may have been sent. The order's reservation shrinks in the same transaction to exactly what the order may cost
 *  and the packs it carries (a claim made at arming may have claimed more than the stock let it order). */
export const recordStep = fromPromise<void, { input: PayerInput; order: StoreOrder; attempt: PaymentAttempt; reservationId: number }>(
  async ({ input: { input, order, attempt, reservationId } }) => {
    await input.ledger.recordIntent({
      idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, method: input.method, currency: order.currency,
      amount: order.amount, destination: order.destination, payload: { ...attempt.payload },
    }, { reservationId, amount: order.amount + input.policy.feeAllowance, packs: order.count });
  },
);

/** Sends the payment. A failure here is not "not paid": the confirm step finds out what happened. */
export const sendStep = fromPromise<void, { input: PayerInput; order: StoreOrder; attempt: PaymentAttempt; respondedAt: number }>(
  async ({ input: { input, order, attempt, respondedAt }, signal }) => {
    const before = performance.now();
    const wire = input.metrics.sendWire(attempt);
    try {
      await runSend(wire, () => attempt.send(signal));
      // Written to the socket when the transport is observed (TON's sendBoc), else handed to the plugin (Stars).
      const sentAt = wire.written.get(wire.group) ?? before;
      input.metrics.record('answerToSend', input.method, sentAt - respondedAt);
      input.metrics.firstPaymentSentAt ??= sentAt;
      paymentSent(input, order);
      await input.ledger.intents.setState(attempt.idempotencyKey, 'sent');
    } catch (e) {
      input.log.warn({ err: e, key: attempt.idempotencyKey }, 'send failed; outcome unknown until confirmed');
    }
  },
);

/** Waits for the outcome and settles intent, order and budget in one transaction: paid consumes amount + fee,
 *  not-paid frees the budget, unknown keeps it held until reconciliation. */
export const confirmStep = fromPromise<Settlement, { input: PayerInput; order: StoreOrder; attempt: PaymentAttempt; reservationId: number }>(
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
    const base = { idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, reservationId };
    if (settlement.outcome === 'paid') {
      input.metrics.record('sendToConfirm', input.method, performance.now() - started);
      input.metrics.notePaid(input.method, performance.now());
      await input.ledger.settle({ ...base, outcome: 'paid', txHash: settlement.txHash, fee: settlement.fee, spent: order.amount + settlement.fee });
      input.log.info({ orderId: order.orderId, txHash: settlement.txHash, fee: settlement.fee.toString() }, 'order paid');
    } else {
      await input.ledger.settle({ ...base, outcome: settlement.outcome, reason: settlement.reason });
      if (settlement.outcome === 'not-paid') input.log.warn({ orderId: order.orderId, reason: settlement.reason }, 'payment did not happen');
      else if (input.unknownPayments) input.log.error({ orderId: order.orderId, reason: settlement.reason }, 'payment outcome unknown; the run reconciles it before it ends');
      else input.log.error({ orderId: order.orderId, reason: settlement.reason }, 'payment outcome unknown; it is reconciled at the next start');
    }
    paymentSettled(input, order, settlement);
    return settlement;
  },
);
