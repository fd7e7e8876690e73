/** Which state changes the ledger accepts, one table per entity. Money states only move forward: a final state (an
 *  empty list) never changes again, so a paid order cannot go back to paying and a confirmed intent cannot fail. Setting
 *  the state an entity already has is a harmless repeat (a replayed step after a crash), not a transition. */
import { LedgerError } from './ledger-error.js';
import type { IntentState, OrderState, PurchaseState, ReservationState } from './schema.js';

export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

/** A purchase's state is progress, not money (orders, intents and the budget guard the money), and it outlives a run:
 *  moving back to arming is allowed from every later state, because each new run (after a stop, a crash, a raised
 *  target or budget) re-arms, as does a stale prewarm (expired JWT, old quote). Every other move goes forward. */
export const PURCHASE_TRANSITIONS: TransitionTable<PurchaseState> = {
  idle: ['arming', 'done', 'failed'],
  arming: ['armed', 'done', 'failed'],
  armed: ['arming', 'buying', 'done', 'failed'],
  // buying → armed: stock ran dry before the target count was reached and the purchase waits for a restock.
  buying: ['arming', 'armed', 'done', 'failed'],
  done: ['arming'],
  failed: ['arming'],
};

export const ORDER_TRANSITIONS: TransitionTable<OrderState> = {
  // created → paid / unknown: reconciliation after a crash between recording an intent and marking the order paying.
  created: ['refused', 'paying', 'paid', 'failed', 'unknown', 'expired'],
  paying: ['paid', 'failed', 'unknown', 'expired'],
  unknown: ['paid', 'failed'],
  refused: [],
  paid: [],
  failed: [],
  expired: [],
};

export const INTENT_TRANSITIONS: TransitionTable<IntentState> = {
  // recorded → confirmed / unknown: a crash after broadcasting but before the ledger heard of it.
  recorded: ['sent', 'confirmed', 'failed', 'unknown'],
  sent: ['confirmed', 'failed', 'unknown'],
  unknown: ['confirmed', 'failed'],
  confirmed: [],
  failed: [],
};

export const RESERVATION_TRANSITIONS: TransitionTable<ReservationState> = {
  held: ['consumed', 'released'],
  // released → consumed: reconciliation found that money moved after all; what was paid is never forgotten.
  released: ['consumed'],
  consumed: [],
};

/**
 * Checks a state change against its table: returns false for a repeat (nothing to do), true for a legal move, and
 * throws ILLEGAL_TRANSITION otherwise.
 */
export function checkTransition<S extends string>(
  entity: 'purchase' | 'order' | 'intent' | 'reservation',
  table: TransitionTable<S>,
  id: string | number,
  from: S,
  to: S,
): boolean {
  if (from === to) return false;
  if (!table[from].includes(to)) {
    throw new LedgerError('ILLEGAL_TRANSITION', `${entity} ${id} cannot move from ${from} to ${to}`, {
      entity,
      id,
      from,
      to,
      allowed: [...table[from]],
    });
  }
  return true;
}
