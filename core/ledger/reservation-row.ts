/** A budget reservation's shape: the row callers see, how it maps from its stored columns, and the id check. */
import type { Selectable } from 'kysely';
import type { Currency, Units } from '../money.js';
import { amountFromColumn } from './amount-column.js';
import type { BudgetLimits, BudgetRefusal } from './budget-limits.js';
import { LedgerError } from './ledger-error.js';
import type { BudgetReservationsTable, ReservationState } from './schema.js';

/** What reserve() is asked to hold. */
export interface BudgetRequest {
  readonly currency: Currency;
  readonly amount: Units;
  readonly account: string;
  /** The target the money is for, e.g. '19:2'. */
  readonly target: string;
  readonly limits: BudgetLimits;
  /** The payment method, and the packs of the target this money pays for (see PackClaims). */
  readonly method?: string;
  readonly packs?: number;
}

/** The reservation made, or the first limit that refused it. */
export type ReserveResult = { readonly ok: true; readonly reservation: ReservationRow } | BudgetRefusal;

/** One budget reservation as the repositories return it. */
export interface ReservationRow {
  readonly id: number;
  readonly currency: Currency;
  readonly amount: Units;
  readonly account: string;
  readonly target: string;
  readonly limits: BudgetLimits;
  readonly orderId: string | null;
  readonly state: ReservationState;
  /** The method and the packs this reservation claims ('' and 0 when it claims none). */
  readonly method: string;
  readonly packs: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A reservation as SQLite stores it. */
export type StoredReservation = Selectable<BudgetReservationsTable>;

/** The stored columns as a ReservationRow (amounts and limits as bigint). */
export function reservationRow(r: StoredReservation): ReservationRow {
  return {
    id: r.id,
    currency: r.currency,
    amount: amountFromColumn(r.amount),
    account: r.account,
    target: r.target,
    limits: {
      total: amountFromColumn(r.limit_total),
      ...(r.limit_account === null ? {} : { perAccount: amountFromColumn(r.limit_account) }),
      ...(r.limit_target === null ? {} : { perTarget: amountFromColumn(r.limit_target) }),
    },
    orderId: r.order_id,
    state: r.state,
    method: r.method,
    packs: r.packs,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A reservation id, checked before it reaches SQL: a positive safe integer, else NOT_FOUND. */
export function reservationKey(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new LedgerError('NOT_FOUND', `no reservation ${String(id)}`, { entity: 'reservation', reservationId: String(id) });
  }
  return id;
}

/** Which reservations list() returns. */
export interface ReservationFilter {
  readonly currency?: Currency;
  readonly state?: ReservationState | readonly ReservationState[];
  readonly orderId?: string;
}
