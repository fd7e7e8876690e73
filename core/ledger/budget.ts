/** The budget: money is reserved here, in one BEGIN IMMEDIATE transaction, before an order is created, so parallel
 *  payers, accounts and processes can never together commit more than a limit. A reservation is held while its order
 *  is in flight, consumed when paid (by the actual amount), released when certainly not paid. */
import type { Currency, Units } from '../money.js';
import { amountToColumn, sumColumns } from './amount-column.js';
import { firstRefusal, type BudgetLimits, type BudgetRefusal } from './budget-limits.js';
import type { ImmediateTx, LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import {
  reservationKey,
  reservationRow,
  type BudgetRequest,
  type ReservationFilter,
  type ReservationRow,
  type ReserveResult,
  type StoredReservation,
} from './reservation-row.js';
import type { ReservationState } from './schema.js';
import { checkTransition, RESERVATION_TRANSITIONS } from './transitions.js';

/** Reservations that count against a limit: still held, or already spent. */
export const COMMITTED_RESERVATION_STATES: readonly ReservationState[] = ['held', 'consumed'];

export type { BudgetLimits, BudgetRefusal, BudgetScopeKind } from './budget-limits.js';
export type { BudgetRequest, ReservationFilter, ReservationRow, ReserveResult } from './reservation-row.js';

export class Budget {
  constructor(private readonly conn: LedgerConnection) {}

  /**
   * Holds `amount` if, in every scope with a limit (the currency's total, the account, the target), what is already
   * committed (held + consumed) plus `amount` stays within the limit; otherwise names the first scope that refused.
   */
  async reserve(request: BudgetRequest): Promise<ReserveResult> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.reserveIn(tx, request, now));
  }

  /** reserve(), inside a transaction the caller holds. */
  reserveIn(tx: ImmediateTx, request: BudgetRequest, now: number): ReserveResult {
    const facts = { currency: request.currency, account: request.account, target: request.target };
    const amount = amountToColumn(request.amount, 'amount', facts);
    const { perAccount, perTarget } = request.limits;
    const limits = {
      limit_total: amountToColumn(request.limits.total, 'limits.total', facts),
      limit_account: perAccount === undefined ? null : amountToColumn(perAccount, 'limits.perAccount', facts),
      limit_target: perTarget === undefined ? null : amountToColumn(perTarget, 'limits.perTarget', facts),
    };
    const refusal = this.refusal(tx, request, request.amount, request.limits);
    if (refusal) return refusal;
    if (request.packs !== undefined && (!Number.isSafeInteger(request.packs) || request.packs < 0)) {
      throw new LedgerError('INVALID_INPUT', 'packs must be a non-negative integer', { ...facts, packs: String(request.packs) });
    }
    const row = tx.first(
      this.conn.db
        .insertInto('budget_reservations')
        .values({
          currency: request.currency,
          amount,
          account: request.account,
          target: request.target,
          ...limits,
          order_id: null,
          state: 'held',
          method: request.method ?? '',
          packs: request.packs ?? 0,
          created_at: now,
          updated_at: now,
        })
        .returningAll(),
    )!;
    return { ok: true, reservation: reservationRow(row) };
  }

  /** Ties a held reservation to the order it pays for (once; attaching the same order again is a no-op). */
  async attach(reservationId: number, orderId: string): Promise<ReservationRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.attachIn(tx, reservationId, orderId, now));
  }

  /** attach(), inside a transaction the caller holds. */
  attachIn(tx: ImmediateTx, reservationId: number, orderId: string, now: number): ReservationRow {
    const id = reservationKey(reservationId);
    const { db } = this.conn;
    const current = this.load(tx, id);
    if (current.order_id === orderId) return reservationRow(current);
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
    return reservationRow(
      tx.first(db.updateTable('budget_reservations').set({ order_id: orderId, updated_at: now }).where('id', '=', id).returningAll())!,
    );
  }

  /**
   * Changes a held reservation to `newAmount` (e.g. the order's exact amount), and to `packs` when given (an order
   * for fewer packs than were claimed: the rest go back to the target). Shrinking always succeeds; growing the amount
   * re-checks the limits the reservation was granted under, atomically, and throws BUDGET_EXCEEDED if they refuse;
   * packs only shrink (more would need the target's own check: claim them instead).
   */
  async resize(reservationId: number, newAmount: Units, packs?: number): Promise<ReservationRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.resizeIn(tx, reservationId, newAmount, now, packs));
  }

  /** resize(), inside a transaction the caller holds. */
  resizeIn(tx: ImmediateTx, reservationId: number, newAmount: Units, now: number, packs?: number): ReservationRow {
    const id = reservationKey(reservationId);
    const amount = amountToColumn(newAmount, 'newAmount', { reservationId: id });
    const current = this.load(tx, id);
    if (current.state !== 'held') {
      throw new LedgerError('ILLEGAL_TRANSITION', `reservation ${id} is ${current.state}; only a held one can be resized`, {
        entity: 'reservation',
        reservationId: id,
        state: current.state,
      });
    }
    if (packs !== undefined && (!Number.isSafeInteger(packs) || packs < 0 || (current.packs > 0 && packs > current.packs))) {
      throw new LedgerError('INVALID_INPUT', `reservation ${id} claims ${current.packs} packs; it can only shrink to 0..${current.packs}`, {
        reservationId: id,
        claimed: current.packs,
        packs: String(packs),
      });
    }
    const held = reservationRow(current);
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
    return reservationRow(
      tx.first(this.conn.db.updateTable('budget_reservations')
        // A reservation written without packs (an older binary) counts its order's packs: it stays so.
        .set({ amount, ...(packs === undefined || current.packs === 0 ? {} : { packs }), updated_at: now })
        .where('id', '=', id).returningAll())!,
    );
  }

  /** Frees a held reservation (its order was certainly not paid). Releasing twice is a no-op; a consumed one refuses. */
  async release(reservationId: number): Promise<ReservationRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.releaseIn(tx, reservationId, now));
  }

  /** release(), inside a transaction the caller holds. */
  releaseIn(tx: ImmediateTx, reservationId: number, now: number): ReservationRow {
    return this.moveIn(tx, reservationKey(reservationId), 'released', undefined, now);
  }

  /**
   * Marks the reservation spent, at `actualAmount` when given (what was really paid). Never refused for the limits:
   * the money has moved, and the ledger records it. A released reservation may still be consumed (reconciliation
   * found the payment after all).
   */
  async consume(reservationId: number, actualAmount?: Units): Promise<ReservationRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.consumeIn(tx, reservationId, actualAmount, now));
  }

  /** consume(), inside a transaction the caller holds. */
  consumeIn(tx: ImmediateTx, reservationId: number, actualAmount: Units | undefined, now: number): ReservationRow {
    const id = reservationKey(reservationId);
    const amount = actualAmount === undefined ? undefined : amountToColumn(actualAmount, 'actualAmount', { reservationId: id });
    return this.moveIn(tx, id, 'consumed', amount, now);
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

  /** What has actually been spent (consumed reservations) in a currency, overall or by one account or target. */
  async spent(currency: Currency, scope: { account?: string; target?: string } = {}): Promise<Units> {
    let query = this.conn.db
      .selectFrom('budget_reservations')
      .select('amount')
      .where('currency', '=', currency)
      .where('state', '=', 'consumed');
    if (scope.account !== undefined) query = query.where('account', '=', scope.account);
    if (scope.target !== undefined) query = query.where('target', '=', scope.target);
    return sumColumns(await query.execute());
  }

  /** The reservation, or undefined when there is none. */
  async get(reservationId: number): Promise<ReservationRow | undefined> {
    const id = reservationKey(reservationId);
    const row = await this.conn.db.selectFrom('budget_reservations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && reservationRow(row);
  }

  /** get(), inside a transaction the caller holds. */
  getIn(tx: ImmediateTx, reservationId: number): ReservationRow | undefined {
    const id = reservationKey(reservationId);
    const row = tx.first(this.conn.db.selectFrom('budget_reservations').selectAll().where('id', '=', id));
    return row && reservationRow(row);
  }

  /** Reservations matching every given filter, oldest first (e.g. held ones with no order after a crash). */
  async list(filter: ReservationFilter = {}): Promise<ReservationRow[]> {
    const query = this.listQuery(filter);
    return query ? (await query.execute()).map(reservationRow) : [];
  }

  /** list(), inside a transaction the caller holds. */
  listIn(tx: ImmediateTx, filter: ReservationFilter = {}): ReservationRow[] {
    const query = this.listQuery(filter);
    return query ? tx.all(query).map(reservationRow) : [];
  }

  /** The query list() runs, or undefined when the filter can match nothing (an empty state list). */
  private listQuery(filter: ReservationFilter) {
    let query = this.conn.db.selectFrom('budget_reservations').selectAll();
    if (filter.currency !== undefined) query = query.where('currency', '=', filter.currency);
    if (filter.state !== undefined) {
      const states: readonly ReservationState[] = typeof filter.state === 'string' ? [filter.state] : filter.state;
      if (states.length === 0) return undefined;
      query = query.where('state', 'in', states);
    }
    if (filter.orderId !== undefined) query = query.where('order_id', '=', filter.orderId);
    return query.orderBy('id');
  }

  private load(tx: ImmediateTx, id: number): StoredReservation {
    const row = tx.first(this.conn.db.selectFrom('budget_reservations').selectAll().where('id', '=', id));
    if (!row) throw new LedgerError('NOT_FOUND', `no reservation ${id}`, { entity: 'reservation', reservationId: id });
    return row;
  }

  /** Moves a reservation to `state` at `amount` (kept when undefined); a repeat at the same amount is a no-op. */
  private moveIn(tx: ImmediateTx, id: number, state: ReservationState, amount: string | undefined, now: number): ReservationRow {
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
      return reservationRow(current);
    }
    return reservationRow(
      tx.first(
        this.conn.db
          .updateTable('budget_reservations')
          .set({ state, amount: amount ?? current.amount, updated_at: now })
          .where('id', '=', id)
          .returningAll(),
      )!,
    );
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
