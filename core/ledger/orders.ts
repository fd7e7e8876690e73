/** Orders: one row per store order, from creation to paid / failed / refused / expired / unknown. The packs they
 *  carry are how every payer of a purchase knows how much is bought and how much is still in flight. */
import type { Selectable } from 'kysely';
import type { Currency, Units } from '../money.js';
import { amountFromColumn, amountToColumn } from './amount-column.js';
import type { ImmediateTx, LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { OrderState, OrdersTable } from './schema.js';
import { checkTransition, ORDER_TRANSITIONS } from './transitions.js';
import { reasonColumn } from './reason-column.js';

/** Orders that may still turn into paid packs: counted against the target until they settle. */
export const IN_FLIGHT_ORDER_STATES: readonly OrderState[] = ['created', 'paying', 'unknown'];

export interface NewOrder {
  /** The store's order id (TON: `order_id`). */
  readonly orderId: string;
  readonly purchaseId: string;
  /** The payment plugin id, e.g. 'ton' or 'stars'. */
  readonly method: string;
  readonly account: string;
  readonly collection: number;
  readonly character: number;
  /** Packs in the order. */
  readonly count: number;
  readonly currency: Currency;
  /** What the store asks, in the currency's smallest unit. */
  readonly amount: Units;
  readonly destination: string;
  /** Epoch ms after which the store drops the order. */
  readonly expiresAt: number;
}

export interface OrderRow extends NewOrder {
  readonly state: OrderState;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface OrderFilter {
  readonly purchaseId?: string;
  readonly state?: OrderState | readonly OrderState[];
  readonly method?: string;
}

function toRow(r: Selectable<OrdersTable>): OrderRow {
  return {
    orderId: r.order_id,
    purchaseId: r.purchase_id,
    method: r.method,
    account: r.account,
    collection: r.collection,
    character: r.character,
    count: r.count,
    currency: r.currency,
    amount: amountFromColumn(r.amount),
    destination: r.destination,
    expiresAt: r.expires_at,
    state: r.state,
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class Orders {
  constructor(private readonly conn: LedgerConnection) {}

  /** Records a store order in state 'created'. A second order with the same id is refused with DUPLICATE_ORDER. */
  async insert(order: NewOrder): Promise<OrderRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.insertIn(tx, order, now));
  }

  /** insert(), inside a transaction the caller holds. */
  insertIn(tx: ImmediateTx, order: NewOrder, now: number): OrderRow {
    const facts = { orderId: order.orderId, purchaseId: order.purchaseId };
    const amount = amountToColumn(order.amount, 'amount', facts);
    if (!Number.isSafeInteger(order.count) || order.count <= 0) {
      throw new LedgerError('INVALID_INPUT', 'order count must be a positive integer', { ...facts, count: order.count });
    }
    if (!Number.isSafeInteger(order.expiresAt) || order.expiresAt < 0) {
      throw new LedgerError('INVALID_INPUT', 'order expiresAt must be epoch milliseconds', {
        ...facts,
        expiresAt: order.expiresAt,
      });
    }
    const { db } = this.conn;
    const purchase = tx.first(db.selectFrom('purchases').selectAll().where('id', '=', order.purchaseId));
    if (!purchase) {
      throw new LedgerError('NOT_FOUND', `order ${order.orderId} names no recorded purchase`, {
        ...facts,
        entity: 'purchase',
      });
    }
    if (
      purchase.account !== order.account ||
      purchase.collection !== order.collection ||
      purchase.character !== order.character
    ) {
      throw new LedgerError('PURCHASE_MISMATCH', `order ${order.orderId} is for another target or account`, {
        ...facts,
        recorded: { collection: purchase.collection, character: purchase.character, account: purchase.account },
        given: { collection: order.collection, character: order.character, account: order.account },
      });
    }
    const existing = tx.first(db.selectFrom('orders').select(['purchase_id', 'state']).where('order_id', '=', order.orderId));
    if (existing) {
      throw new LedgerError('DUPLICATE_ORDER', `order ${order.orderId} is already recorded`, {
        orderId: order.orderId,
        recordedPurchaseId: existing.purchase_id,
        state: existing.state,
      });
    }
    const row = tx.first(
      db
        .insertInto('orders')
        .values({
          order_id: order.orderId,
          purchase_id: order.purchaseId,
          method: order.method,
          account: order.account,
          collection: order.collection,
          character: order.character,
          count: order.count,
          currency: order.currency,
          amount,
          destination: order.destination,
          expires_at: order.expiresAt,
          state: 'created',
          reason: null,
          created_at: now,
          updated_at: now,
        })
        .returningAll(),
    )!;
    return toRow(row);
  }

  /** Moves the order to `state` (forward only, see ORDER_TRANSITIONS); a repeat of the current state is a no-op. */
  async setState(orderId: string, state: OrderState, reason?: string): Promise<OrderRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.setStateIn(tx, orderId, state, reason, now));
  }

  /** setState(), inside a transaction the caller holds. */
  setStateIn(tx: ImmediateTx, orderId: string, state: OrderState, reason: string | undefined, now: number): OrderRow {
    const { db } = this.conn;
    const current = tx.first(db.selectFrom('orders').selectAll().where('order_id', '=', orderId));
    if (!current) throw new LedgerError('NOT_FOUND', `no order ${orderId}`, { entity: 'order', orderId });
    if (!checkTransition('order', ORDER_TRANSITIONS, orderId, current.state, state)) return toRow(current);
    const row = tx.first(
      db
        .updateTable('orders')
        .set({ state, reason: reasonColumn(reason), updated_at: now })
        .where('order_id', '=', orderId)
        .returningAll(),
    )!;
    return toRow(row);
  }

  /** get(), inside a transaction the caller holds. */
  getIn(tx: ImmediateTx, orderId: string): OrderRow | undefined {
    const row = tx.first(this.conn.db.selectFrom('orders').selectAll().where('order_id', '=', orderId));
    return row && toRow(row);
  }

  /** list(), inside a transaction the caller holds. */
  listIn(tx: ImmediateTx, filter: OrderFilter = {}): OrderRow[] {
    const query = this.listQuery(filter);
    return query ? tx.all(query).map(toRow) : [];
  }

  /** The order, or undefined when there is none. */
  async get(orderId: string): Promise<OrderRow | undefined> {
    const row = await this.conn.db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    return row && toRow(row);
  }

  /** Orders matching every given filter, oldest first. */
  async list(filter: OrderFilter = {}): Promise<OrderRow[]> {
    const query = this.listQuery(filter);
    return query ? (await query.execute()).map(toRow) : [];
  }

  /** Packs bought for the purchase: the sum of `count` over its paid orders. */
  async paidPacks(purchaseId: string, method?: string): Promise<number> {
    return this.packs(purchaseId, ['paid'], method);
  }

  /** Packs ordered but not settled (orders created, paying or unknown): they may still become paid. */
  async inFlightPacks(purchaseId: string, method?: string): Promise<number> {
    return this.packs(purchaseId, IN_FLIGHT_ORDER_STATES, method);
  }

  /** The query list() runs, or undefined when the filter can match nothing (an empty state list). */
  private listQuery(filter: OrderFilter) {
    let query = this.conn.db.selectFrom('orders').selectAll();
    if (filter.purchaseId !== undefined) query = query.where('purchase_id', '=', filter.purchaseId);
    if (filter.method !== undefined) query = query.where('method', '=', filter.method);
    if (filter.state !== undefined) {
      const states: readonly OrderState[] = typeof filter.state === 'string' ? [filter.state] : filter.state;
      if (states.length === 0) return undefined;
      query = query.where('state', 'in', states);
    }
    return query.orderBy('created_at').orderBy('order_id');
  }

  private async packs(purchaseId: string, states: readonly OrderState[], method?: string): Promise<number> {
    let query = this.conn.db
      .selectFrom('orders')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('count'), eb.lit(0)).as('packs'))
      .where('purchase_id', '=', purchaseId)
      .where('state', 'in', states);
    if (method !== undefined) query = query.where('method', '=', method);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.packs);
  }
}
