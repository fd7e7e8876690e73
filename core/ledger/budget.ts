/** The budget: money is reserved here, in one BEGIN IMMEDIATE transaction, before an order is created, so parallel
 *  payers, accounts and processes can never together commit more than a limit. A reservation is held while its order
 *  is in flight, consumed when paid (by the actual amount), released when certainly not paid. */
import type { Selectable } from 'kysely';
import type { Currency, Units } from '../money.js';
import { amountFromColumn, amountToColumn, sumColumns } from './amount-column.js';
import { firstRefusal, type BudgetLimits, type BudgetRefusal } from './budget-limits.js';
import type { ImmediateTx, LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { BudgetReservationsTable, ReservationState } from './schema.js';
import { checkTransition, RESERVATION_TRANSITIONS } from './transitions.js';

/** Reservations that count against a limit: still held, or already spent. */
export const COMMITTED_RESERVATION_STATES: readonly ReservationState[] = ['held', 'consumed'];

export type { BudgetLimits, BudgetRefusal, BudgetScopeKind } from './budget-limits.js';

export interface BudgetRequest {
  readonly currency: Currency;
  readonly amount: Units;
  readonly account: string;
  /** The target the money is for, e.g. '19:2'. */
  readonly target: string;
  readonly limits: BudgetLimits;
}

export type ReserveResult = { readonly ok: true; readonly reservation: ReservationRow } | BudgetRefusal;

export interface ReservationRow {
  readonly id: number;
  readonly currency: Currency;
  readonly amount: Units;
  readonly account: string;
  readonly target: string;
  readonly limits: BudgetLimits;
  readonly orderId: string | null;
  readonly state: ReservationState;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A reservation id; numeric text is accepted too, as ids sometimes travel through actor inputs as text. */
export type ReservationId = number | string;

type Stored = Selectable<BudgetReservationsTable>;

function toRow(r: Stored): ReservationRow {
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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function reservationKey(id: ReservationId): number {
  const n = typeof id === 'number' ? id : /^\d+$/.test(id) ? Number(id) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new LedgerError('NOT_FOUND', `no reservation ${String(id)}`, { entity: 'reservation', reservationId: String(id) });
  }
  return n;
}

export class Budget {
  constructor(private readonly conn: LedgerConnection) {}

  /**
   * Holds `amount` if, in every scope with a limit (the currency's total, the account, the target), what is already
   * committed (held + consumed) plus `amount` stays within the limit; otherwise names the first scope that refused.
   */
  async reserve(request: BudgetRequest): Promise<ReserveResult> {
    const facts = { currency: request.currency, account: request.account, target: request.target };
    const amount = amountToColumn(request.amount, 'amount', facts);
    const limits = {
      limit_total: amountToColumn(request.limits.total, 'limits.total', facts),
      limit_account:
        request.limits.perAccount === undefined ? null : amountToColumn(request.limits.perAccount, 'limits.perAccount', facts),
      limit_target:
        request.limits.perTarget === undefined ? null : amountToColumn(request.limits.perTarget, 'limits.perTarget', facts),
    };
    const { db } = this.conn;
    const now = this.conn.now();
    return this.conn.immediate((tx): ReserveResult => {
      const refusal = this.refusal(tx, request, request.amount, request.limits);
      if (refusal) return refusal;
      const row = tx.first(
        db
          .insertInto('budget_reservations')
          .values({
            currency: request.currency,
            amount,
            account: request.account,
            target: request.target,
            ...limits,
            order_id: null,
            state: 'held',
            created_at: now,
            updated_at: now,
          })
          .returningAll(),
      )!;
      return { ok: true, reservation: toRow(row) };
    });
  }

  /** Ties a held reservation to the order it pays for (once; attaching the same order again is a no-op). */
  async attach(reservationId: ReservationId, orderId: string): Promise<ReservationRow> {
    const id = reservationKey(reservationId);
    const { db } = this.conn;
    const now = this.conn.now();
    const row = await this.conn.immediate((tx) => {
      const current = this.load(tx, id);
      if (current.order_id === orderId) return current;
      if (current.order_id !== null || current.state !== 'held') {
        throw new LedgerError('ILLEGAL_TRANSITION', `reservation ${id} cannot be attached to order ${orderId}`, {
          entity: 'reservation',
          reservationId: id,
          state: current.state,
          attachedOrderId: current.order_id,
          orderId,
        });
      }
      const order = tx.first(db.selectFrom('orders').select(['currency']).where('order_id', '=', orderId));
      if (!order) throw new LedgerError('NOT_FOUND', `no order ${orderId}`, { entity: 'order', orderId, reservationId: id });
      if (order.currency !== current.currency) {
        throw new LedgerError('INVALID_INPUT', `reservation ${id} is in ${current.currency}, order ${orderId} in ${order.currency}`, {
          reservationId: id,
          orderId,
        });
      }
      return tx.first(
        db.updateTable('budget_reservations').set({ order_id: orderId, updated_at: now }).where('id', '=', id).returningAll(),
      )!;
    });
    return toRow(row);
  }

  /**
   * Changes a held reservation to `newAmount` (e.g. the order's exact amount). Shrinking always succeeds; growing
   * re-checks the limits the reservation was granted under, atomically, and throws BUDGET_EXCEEDED if they refuse.
   */
  async resize(reservationId: ReservationId, newAmount: Units): Promise<ReservationRow> {
    const id = reservationKey(reservationId);
    const amount = amountToColumn(newAmount, 'newAmount', { reservationId: id });
    const { db } = this.conn;
    const now = this.conn.now();
    const row = await this.conn.immediate((tx) => {
      const current = this.load(tx, id);
      if (current.state !== 'held') {
        throw new LedgerError('ILLEGAL_TRANSITION', `reservation ${id} is ${current.state}; only a held one can be resized`, {
          entity: 'reservation',
          reservationId: id,
          state: current.state,
        });
      }
      const held = toRow(current);
      if (newAmount > held.amount) {
        const refusal = this.refusal(tx, held, newAmount, held.limits, id);
        if (refusal) {
          throw new LedgerError('BUDGET_EXCEEDED', `growing reservation ${id} would exceed the ${refusal.reason} limit`, {
            reservationId: id,
            currency: held.currency,
            reason: refusal.reason,
            amount,
            committed: refusal.committed.toString(),
            limit: refusal.limit.toString(),
          });
        }
      }
      return tx.first(db.updateTable('budget_reservations').set({ amount, updated_at: now }).where('id', '=', id).returningAll())!;
    });
    return toRow(row);
  }

  /** Frees a held reservation (its order was certainly not paid). Releasing twice is a no-op; a consumed one refuses. */
  async release(reservationId: ReservationId): Promise<ReservationRow> {
    return this.move(reservationKey(reservationId), 'released');
  }

  /**
   * Marks the reservation spent, at `actualAmount` when given (what was really paid). Never refused for the limits:
   * the money has moved, and the ledger records it. A released reservation may still be consumed (reconciliation
   * found the payment after all).
   */
  async consume(reservationId: ReservationId, actualAmount?: Units): Promise<ReservationRow> {
    const id = reservationKey(reservationId);
    const amount = actualAmount === undefined ? undefined : amountToColumn(actualAmount, 'actualAmount', { reservationId: id });
    return this.move(id, 'consumed', amount);
  }

  /** What is committed (held + consumed) in a currency, optionally only for one account and/or one target. */
  async committed(currency: Currency, scope: { account?: string; target?: string } = {}): Promise<Units> {
    let query = this.conn.db
      .selectFrom('budget_reservations')
      .select('amount')
      .where('currency', '=', currency)
      .where('state', 'in', COMMITTED_RESERVATION_STATES);
    if (scope.account !== undefined) query = query.where('account', '=', scope.account);
    if (scope.target !== undefined) query = query.where('target', '=', scope.target);
    return sumColumns(await query.execute());
  }

  /** What has actually been spent (consumed reservations) in a currency. */
  async spent(currency: Currency): Promise<Units> {
    const rows = await this.conn.db
      .selectFrom('budget_reservations')
      .select('amount')
      .where('currency', '=', currency)
      .where('state', '=', 'consumed')
      .execute();
    return sumColumns(rows);
  }

  /** The reservation, or undefined when there is none. */
  async get(reservationId: ReservationId): Promise<ReservationRow | undefined> {
    const id = reservationKey(reservationId);
    const row = await this.conn.db.selectFrom('budget_reservations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRow(row);
  }

  /** Reservations matching every given filter, oldest first (e.g. held ones with no order after a crash). */
  async list(filter: { currency?: Currency; state?: ReservationState; orderId?: string } = {}): Promise<ReservationRow[]> {
    let query = this.conn.db.selectFrom('budget_reservations').selectAll();
    if (filter.currency !== undefined) query = query.where('currency', '=', filter.currency);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.orderId !== undefined) query = query.where('order_id', '=', filter.orderId);
    const rows = await query.orderBy('id').execute();
    return rows.map(toRow);
  }

  private load(tx: ImmediateTx, id: number): Stored {
    const row = tx.first(this.conn.db.selectFrom('budget_reservations').selectAll().where('id', '=', id));
    if (!row) throw new LedgerError('NOT_FOUND', `no reservation ${id}`, { entity: 'reservation', reservationId: id });
    return row;
  }

  private async move(id: number, state: ReservationState, amount?: string): Promise<ReservationRow> {
    const { db } = this.conn;
    const now = this.conn.now();
    const row = await this.conn.immediate((tx) => {
      const current = this.load(tx, id);
      const moves = checkTransition('reservation', RESERVATION_TRANSITIONS, id, current.state, state);
      if (!moves) {
        if (amount !== undefined && amount !== current.amount) {
          throw new LedgerError('ILLEGAL_TRANSITION', `reservation ${id} is already ${state} at another amount`, {
            entity: 'reservation',
            reservationId: id,
            state,
            recordedAmount: current.amount,
            amount,
          });
        }
        return current;
      }
      return tx.first(
        db
          .updateTable('budget_reservations')
          .set({ state, amount: amount ?? current.amount, updated_at: now })
          .where('id', '=', id)
          .returningAll(),
      )!;
    });
    return toRow(row);
  }

  /** The first limit `amount` more would break for this scope (see firstRefusal), read inside the transaction. */
  private refusal(
    tx: ImmediateTx,
    scope: { currency: Currency; account: string; target: string },
    amount: Units,
    limits: BudgetLimits,
    excludeId?: number,
  ): BudgetRefusal | undefined {
    const rows = tx.all(
      this.conn.db
        .selectFrom('budget_reservations')
        .select(['id', 'amount', 'account', 'target'])
        .where('currency', '=', scope.currency)
        .where('state', 'in', COMMITTED_RESERVATION_STATES),
    );
    return firstRefusal(rows, scope, amount, limits, excludeId);
  }
}
