import { describe, expect, it } from 'vitest';
import { INTENT_STATES, ORDER_STATES, PURCHASE_STATES, RESERVATION_STATES } from '../../../../core/ledger/schema.js';
import {
  checkTransition,
  INTENT_TRANSITIONS,
  ORDER_TRANSITIONS,
  PURCHASE_TRANSITIONS,
  RESERVATION_TRANSITIONS,
  type TransitionTable,
} from '../../../../core/ledger/transitions.js';
import { hasCode } from '../../../../core/errors.js';

/** True when following moves from `start` can come back to it. */
function reachesItself<S extends string>(table: TransitionTable<S>, start: S): boolean {
  const seen = new Set<S>();
  const queue = [...table[start]];
  while (queue.length > 0) {
    const state = queue.shift()!;
    if (state === start) return true;
    if (seen.has(state)) continue;
    seen.add(state);
    queue.push(...table[state]);
  }
  return false;
}

describe('state transitions', () => {
  it('has a row for every state of every entity', () => {
    expect(Object.keys(PURCHASE_TRANSITIONS).sort()).toEqual([...PURCHASE_STATES].sort());
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...ORDER_STATES].sort());
    expect(Object.keys(INTENT_TRANSITIONS).sort()).toEqual([...INTENT_STATES].sort());
    expect(Object.keys(RESERVATION_TRANSITIONS).sort()).toEqual([...RESERVATION_STATES].sort());
  });

  it('only moves money entities forward: no order, intent or reservation state can be reached twice', () => {
    for (const table of [ORDER_TRANSITIONS, INTENT_TRANSITIONS, RESERVATION_TRANSITIONS] as TransitionTable<string>[]) {
      for (const state of Object.keys(table)) expect(reachesItself(table, state), state).toBe(false);
    }
  });

  it('keeps final states final', () => {
    for (const state of ['refused', 'paid', 'failed', 'expired'] as const) expect(ORDER_TRANSITIONS[state]).toEqual([]);
    for (const state of ['confirmed', 'failed'] as const) expect(INTENT_TRANSITIONS[state]).toEqual([]);
    expect(RESERVATION_TRANSITIONS.consumed).toEqual([]);
  });

  it('moves a purchase back only to arming (a new run or a stale prewarm) or from buying to armed (waiting for restock)', () => {
    const rank = (s: string) => PURCHASE_STATES.indexOf(s as (typeof PURCHASE_STATES)[number]);
    for (const [from, tos] of Object.entries(PURCHASE_TRANSITIONS)) {
      for (const to of tos) {
        if (rank(to) < rank(from)) expect(to === 'arming' || (from === 'buying' && to === 'armed'), `${from} → ${to}`).toBe(true);
      }
    }
  });

  it('lets an unknown order or intent settle only as paid/confirmed or failed', () => {
    expect([...ORDER_TRANSITIONS.unknown].sort()).toEqual(['failed', 'paid']);
    expect([...INTENT_TRANSITIONS.unknown].sort()).toEqual(['confirmed', 'failed']);
  });

  it('treats a repeat as no move and refuses a move the table lacks', () => {
    expect(checkTransition('order', ORDER_TRANSITIONS, 'o-1', 'paying', 'paying')).toBe(false);
    expect(checkTransition('order', ORDER_TRANSITIONS, 'o-1', 'paying', 'paid')).toBe(true);
    let error: unknown;
    try {
      checkTransition('order', ORDER_TRANSITIONS, 'o-1', 'paid', 'paying');
    } catch (e) {
      error = e;
    }
    expect(hasCode(error, 'ILLEGAL_TRANSITION')).toBe(true);
  });
});
