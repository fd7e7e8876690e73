/** What a payer tells the run's events, shaped here so the payer's steps each add one line after the fact they
 *  report: an order created or refused, a payment sent and how it settled, a budget or a target reached. Every
 *  function is synchronous and only builds data and hands it to `emit` (which queues it): nothing here may add a wait
 *  between a stock report and an order request. Each runs inside an actor action, so none may throw: each goes through
 *  guardEmit (emit-guard.ts), which logs a failure (bounded) and swallows it. */
import type { Logger } from 'pino';
import type { Settlement, StoreOrder } from '../plugins/payment.js';
import type { OrderParty, RunEventDraft } from './run-event.js';
import { NO_RUN_EVENTS, type RunEventSink } from './run-events.js';
import { guardEmit } from './emit-guard.js';

/** The payer facts the events name (PayerInput has them all). */
export interface PayerFacts {
  readonly purchaseId: string;
  readonly account: string;
  readonly method: string;
  readonly target: { readonly key: string };
  readonly events?: RunEventSink;
  /** Where a failure to emit is logged (bounded). */
  readonly log?: Pick<Logger, 'warn'>;
}

/** The payer's sink (none in tests that build a payer without a run). */
const sinkOf = (p: PayerFacts): RunEventSink => p.events ?? NO_RUN_EVENTS;

const partyOf = (p: PayerFacts): OrderParty =>
  ({ purchaseId: p.purchaseId, account: p.account, target: p.target.key, method: p.method });

const amountOf = (o: StoreOrder): { amountUnits: string; currency: StoreOrder['currency'] } =>
  ({ amountUnits: o.amount.toString(), currency: o.currency });

/** `order.created`: the store made the order and the ledger has it. */
export function orderCreated(p: PayerFacts, order: StoreOrder): void {
  guardEmit('order.created', () => sinkOf(p).emit({ type: 'order.created', ...partyOf(p), orderId: order.orderId, packs: order.count, ...amountOf(order) }), p.log);
}

/** `order.refused` by the store (it created nothing): its error code and the words of the refusal. */
export function orderRefusedByStore(p: PayerFacts, errorCode: string, reason: string): void {
  guardEmit('order.refused', () => sinkOf(p).emit({ type: 'order.refused', ...partyOf(p), by: 'store', code: errorCode, reason }), p.log);
}

/** `order.refused` by the bot before any money moved: the typed reason (OrderRefused's code) and its words. */
export function orderRefusedByBot(p: PayerFacts, orderId: string, code: string, reason: string): void {
  guardEmit('order.refused', () => sinkOf(p).emit({ type: 'order.refused', ...partyOf(p), by: 'bot', code, reason, orderId }), p.log);
}

/** `payment.sent`: the payment left, its intent on record. */
export function paymentSent(p: PayerFacts, order: StoreOrder): void {
  guardEmit('payment.sent', () => sinkOf(p).emit({ type: 'payment.sent', ...partyOf(p), orderId: order.orderId, ...amountOf(order) }), p.log);
}

/** `payment.paid`, `payment.not-paid` or `payment.unknown`, as the payer's confirmation settled it. */
export function paymentSettled(p: PayerFacts, order: StoreOrder, s: Settlement): void {
  guardEmit(`payment.${s.outcome}`, () => {
    const base = { ...partyOf(p), orderId: order.orderId, ...amountOf(order) };
    let event: RunEventDraft;
    if (s.outcome === 'paid') {
      event = { type: 'payment.paid', ...base, packs: order.count, feeUnits: s.fee.toString(), txHash: s.txHash, by: 'payer' };
    } else if (s.outcome === 'not-paid') {
      event = { type: 'payment.not-paid', ...base, reason: s.reason, final: s.final === true, by: 'payer' };
    } else {
      event = { type: 'payment.unknown', ...base, reason: s.reason };
    }
    sinkOf(p).emit(event);
  }, p.log);
}

/** What BudgetExhausted says of the budget that refused (payer-steps.ts). */
export interface BudgetFacts {
  readonly currency: StoreOrder['currency'];
  /** `TOTAL`, `ACCOUNT` or `TARGET` (the ledger's refusal reason). */
  readonly reason: string;
  readonly committed: string;
  readonly limit: string;
}

/** `budget.reached`, once per currency and budget: the scope's spent money leaves no room for one more pack. */
export function budgetReached(p: PayerFacts, currency: StoreOrder['currency'], facts: Omit<BudgetFacts, 'currency'>): void {
  guardEmit('budget.reached', () => {
    const scope = facts.reason === 'ACCOUNT' ? 'account' : facts.reason === 'TARGET' ? 'target' : 'total';
    const name = scope === 'account' ? p.account : scope === 'target' ? p.target.key : undefined;
    sinkOf(p).emitOnce(`budget:${currency}:${scope}:${name ?? ''}`, {
      type: 'budget.reached', currency, scope, ...(name === undefined ? {} : { name }),
      committedUnits: facts.committed, limitUnits: facts.limit,
    });
  }, p.log);
}

/** `target.reached`, once per target, when its quota says every wanted pack is paid. */
export function noteTargetReached(
  events: RunEventSink | undefined, target: string, quota: { readonly reached: boolean; readonly wanted: number }, log?: Pick<Logger, 'warn'>,
): void {
  guardEmit('target.reached', () => {
    if (quota.reached) (events ?? NO_RUN_EVENTS).emitOnce(`target:${target}`, { type: 'target.reached', target, packs: quota.wanted });
  }, log);
}
