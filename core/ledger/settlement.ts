/** The steps that change an order, its payment intent and its budget reservation together. Each runs inside one
 *  transaction the caller holds, so a crash or BUSY between the tables cannot leave a confirmed payment with its order
 *  still paying and its budget held, or a dead order holding budget for ever. */
import type { Units } from '../money.js';
import type { Budget, ReservationRow } from './budget.js';
import type { ImmediateTx } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { NewOrder, OrderRow, Orders } from './orders.js';
import type { IntentRow, NewIntent, PaymentIntents } from './payment-intents.js';
import type { Purchases } from './purchases.js';
import type { OrderState } from './schema.js';

/** How one payment ended, as settle() records it. */
export interface SettleRequest {
  readonly idempotencyKey: string;
  readonly orderId: string;
  /** The order's reservation; null = the one attached to the order (held or released), if any. */
  readonly reservationId: number | null;
  readonly outcome: 'paid' | 'not-paid' | 'unknown';
  readonly txHash?: string;
  /** The network fee paid on top of the amount. */
  readonly fee?: Units;
  /** What the payment really cost (amount + fee); the reservation is consumed at this, else at the order amount. */
  readonly spent?: Units;
  readonly reason?: string;
}

/** The final states an order that will not be paid may be abandoned in. */
export type AbandonedOrderState = Extract<OrderState, 'refused' | 'failed' | 'expired'>;

/** What sweepAbandoned() did. */
export interface SweepResult {
  /** Orders moved to failed. */
  readonly orders: string[];
  /** Reservations released: those of the swept orders and orphans without an order, ascending. */
  readonly reservations: number[];
}

/** The repositories these steps write through. */
export interface SettlementTables {
  readonly purchases: Purchases;
  readonly orders: Orders;
  readonly intents: PaymentIntents;
  readonly budget: Budget;
}

/** Orders the start-of-run sweep looks at: they may have been left mid-flight by a crash before any payment. */
const SWEPT_ORDER_STATES: readonly OrderState[] = ['created', 'paying'];

/** Records a created order, ties its held reservation to it, and moves its purchase from armed to buying (the purchase's
 *  progress, written with its first order rather than at the first stock report: see docs/architecture.md, "The
 *  drop's hot path"). */
export function recordOrderIn(t: SettlementTables, tx: ImmediateTx, order: NewOrder, reservationId: number, now: number): OrderRow {
  const row = t.orders.insertIn(tx, order, now);
  t.budget.attachIn(tx, reservationId, order.orderId, now);
  const purchase = t.purchases.getIn(tx, order.purchaseId);
  if (purchase?.state === 'armed') t.purchases.setStateIn(tx, order.purchaseId, 'buying', undefined, now);
  return row;
}

/** What the order's reservation shrinks to once the order is known: its amount (+ fee allowance) and its packs. */
export interface OrderHold {
  readonly reservationId: number;
  readonly amount: Units;
  readonly packs: number;
}

/** Records the intent and moves its order to 'paying'; with `hold`, shrinks the order's reservation to it. */
export function recordIntentIn(t: SettlementTables, tx: ImmediateTx, intent: NewIntent, now: number, hold?: OrderHold): IntentRow {
  const row = t.intents.recordIn(tx, intent, now);
  // recordIn only accepts a created or paying order, so this move is always legal.
  t.orders.setStateIn(tx, intent.orderId, 'paying', undefined, now);
  if (hold) t.budget.resizeIn(tx, hold.reservationId, hold.amount, now, hold.packs);
  return row;
}

/** Settles one payment across intent, order and reservation (see Ledger.settle). */
export function settleIn(t: SettlementTables, tx: ImmediateTx, s: SettleRequest, now: number): void {
  const intent = t.intents.getIn(tx, s.idempotencyKey);
  if (!intent) {
    throw new LedgerError('NOT_FOUND', `no intent ${s.idempotencyKey}`, { entity: 'intent', idempotencyKey: s.idempotencyKey });
  }
  if (intent.orderId !== s.orderId) {
    throw new LedgerError('INTENT_MISMATCH', `intent ${s.idempotencyKey} pays order ${intent.orderId}, not ${s.orderId}`, {
      idempotencyKey: s.idempotencyKey,
      orderId: s.orderId,
      recordedOrderId: intent.orderId,
    });
  }
  const reservation =
    s.reservationId === null ? attachedReservation(t, tx, s.orderId) : givenReservation(t, tx, s.orderId, s.reservationId);
  switch (s.outcome) {
    case 'paid': {
      t.intents.setStateIn(tx, s.idempotencyKey, 'confirmed', { txHash: s.txHash, fee: s.fee }, now);
      const order = t.orders.setStateIn(tx, s.orderId, 'paid', undefined, now);
      if (reservation) t.budget.consumeIn(tx, reservation.id, s.spent ?? order.amount, now);
      return;
    }
    case 'not-paid':
      t.intents.setStateIn(tx, s.idempotencyKey, 'failed', { reason: s.reason }, now);
      t.orders.setStateIn(tx, s.orderId, 'failed', s.reason, now);
      if (reservation) t.budget.releaseIn(tx, reservation.id, now);
      return;
    case 'unknown':
      // Money may have moved: the budget stays held until reconciliation settles the intent.
      t.intents.setStateIn(tx, s.idempotencyKey, 'unknown', { reason: s.reason }, now);
      t.orders.setStateIn(tx, s.orderId, 'unknown', s.reason, now);
      return;
    default: {
      const outcome: never = s.outcome;
      throw new LedgerError('INVALID_INPUT', `unknown settlement outcome ${String(outcome)}`, { orderId: s.orderId, outcome });
    }
  }
}

/** Ends an order that will not be paid and releases its reservation (see Ledger.abandonOrder). */
export function abandonOrderIn(
  t: SettlementTables,
  tx: ImmediateTx,
  orderId: string,
  state: AbandonedOrderState,
  reason: string,
  reservationId: number | null,
  now: number,
): void {
  const live = t.intents.liveIn(tx, orderId);
  if (live) {
    throw new LedgerError('PAYMENT_IN_FLIGHT', `order ${orderId} has intent ${live.idempotencyKey} (${live.state}); settle it instead`, {
      orderId,
      state,
      liveIntent: live.idempotencyKey,
      liveIntentState: live.state,
    });
  }
  t.orders.setStateIn(tx, orderId, state, reason, now);
  const reservations =
    reservationId === null
      ? t.budget.listIn(tx, { orderId, state: 'held' })
      : [givenReservation(t, tx, orderId, reservationId)];
  for (const r of reservations) t.budget.releaseIn(tx, r.id, now);
}

/** Fails orders left before any payment and frees budget nobody holds any more (see Ledger.sweepAbandoned). */
export function sweepAbandonedIn(t: SettlementTables, tx: ImmediateTx, olderThan: number, now: number): SweepResult {
  if (!Number.isSafeInteger(olderThan)) {
    throw new LedgerError('INVALID_INPUT', 'olderThan must be epoch milliseconds', { olderThan });
  }
  const orders: string[] = [];
  const reservations: number[] = [];
  for (const order of t.orders.listIn(tx, { state: SWEPT_ORDER_STATES })) {
    if (t.intents.liveIn(tx, order.orderId)) continue;
    t.orders.setStateIn(tx, order.orderId, 'failed', `abandoned before payment: ${order.state}`, now);
    orders.push(order.orderId);
    for (const r of t.budget.listIn(tx, { orderId: order.orderId, state: 'held' })) {
      t.budget.releaseIn(tx, r.id, now);
      reservations.push(r.id);
    }
  }
  reservations.push(...releaseUnattachedIn(t, tx, olderThan, now));
  return { orders, reservations: reservations.sort((a, b) => a - b) };
}

/** Releases held reservations no order was attached to, created before `olderThan`: claims made for an order that
 *  never came (a claim made at arming unused when its run ended or crashed, a crash between a claim and its order).
 *  Returns their ids. */
export function releaseUnattachedIn(t: SettlementTables, tx: ImmediateTx, olderThan: number, now: number): number[] {
  const released: number[] = [];
  for (const r of t.budget.listIn(tx, { state: 'held' })) {
    if (r.orderId !== null || r.createdAt >= olderThan) continue;
    t.budget.releaseIn(tx, r.id, now);
    released.push(r.id);
  }
  return released;
}

/** The order's attached reservation that is held (preferred) or released, if any. */
function attachedReservation(t: SettlementTables, tx: ImmediateTx, orderId: string): ReservationRow | undefined {
  const attached = t.budget.listIn(tx, { orderId, state: ['held', 'released'] });
  return attached.find((r) => r.state === 'held') ?? attached[0];
}

/** The reservation named by the caller: it must exist and be attached to this order or to none. */
function givenReservation(t: SettlementTables, tx: ImmediateTx, orderId: string, reservationId: number): ReservationRow {
  const reservation = t.budget.getIn(tx, reservationId);
  if (!reservation) {
    throw new LedgerError('NOT_FOUND', `no reservation ${reservationId}`, { entity: 'reservation', reservationId, orderId });
  }
  if (reservation.orderId !== null && reservation.orderId !== orderId) {
    throw new LedgerError('INVALID_INPUT', `reservation ${reservationId} belongs to order ${reservation.orderId}, not ${orderId}`, {
      reservationId,
      orderId,
      attachedOrderId: reservation.orderId,
    });
  }
  return reservation;
}
