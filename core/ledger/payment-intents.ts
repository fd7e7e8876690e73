/** Payment intents: the outbox written BEFORE money moves, keyed by the attempt's idempotency key, so a crash at any
 *  point leaves a record of what may have been sent (TON: seqno, valid_until, signed BOC; Stars: slug, form id). */
import type { Selectable } from 'kysely';
import type { Currency, Units } from '../money.js';
import { amountFromColumn, amountToColumn } from './amount-column.js';
import type { ImmediateTx, LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { IntentState, OrderState, PaymentIntentsTable } from './schema.js';
import { checkTransition, INTENT_TRANSITIONS } from './transitions.js';
import { reasonColumn } from './reason-column.js';

/** Intents whose outcome is not settled: reconciliation walks these on every start. */
export const OPEN_INTENT_STATES: readonly IntentState[] = ['recorded', 'sent', 'unknown'];

/** Orders an intent may be recorded for: not final, and not already being settled by reconciliation. */
const PAYABLE_ORDER_STATES: readonly OrderState[] = ['created', 'paying'];

export interface NewIntent {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly method: string;
  readonly currency: Currency;
  readonly amount: Units;
  readonly destination: string;
  /** What reconciliation needs; stored as JSON, so plain JSON values only (no bigint) and never a secret. */
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface IntentRow extends NewIntent {
  readonly payload: Record<string, unknown>;
  readonly state: IntentState;
  readonly txHash: string | null;
  /** The network fee paid on top of `amount`, once known. */
  readonly fee: Units | null;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What is learned as an intent moves on. */
export interface IntentFacts {
  readonly txHash?: string;
  readonly fee?: Units;
  readonly reason?: string;
}

function toRow(r: Selectable<PaymentIntentsTable>): IntentRow {
  return {
    idempotencyKey: r.idempotency_key,
    orderId: r.order_id,
    method: r.method,
    currency: r.currency,
    amount: amountFromColumn(r.amount),
    destination: r.destination,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    state: r.state,
    txHash: r.tx_hash,
    fee: r.fee === null ? null : amountFromColumn(r.fee),
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function payloadText(intent: NewIntent): string {
  const facts = { idempotencyKey: intent.idempotencyKey, orderId: intent.orderId };
  const { payload } = intent;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new LedgerError('INVALID_INPUT', 'intent payload must be a plain object', facts);
  }
  try {
    return JSON.stringify(payload);
  } catch (e) {
    // Typically a bigint (e.g. a Stars form id): the plugin should store it as a decimal string.
    throw new LedgerError('INVALID_INPUT', 'intent payload is not JSON-serialisable', facts, { cause: e });
  }
}

export class PaymentIntents {
  constructor(private readonly conn: LedgerConnection) {}

  /**
   * Records an intent in state 'recorded', before any money moves. Refuses a key already used (DUPLICATE_INTENT),
   * an intent that disagrees with its order (INTENT_MISMATCH: method, currency, or an amount above the order's), and
   * an order that is final or already has an intent that may still move money (ORDER_NOT_PAYABLE).
   */
  async record(intent: NewIntent): Promise<IntentRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.recordIn(tx, intent, now));
  }

  /** record(), inside a transaction the caller holds. */
  recordIn(tx: ImmediateTx, intent: NewIntent, now: number): IntentRow {
    const facts = { idempotencyKey: intent.idempotencyKey, orderId: intent.orderId };
    const amount = amountToColumn(intent.amount, 'amount', facts);
    const payload = payloadText(intent);
    const { db } = this.conn;
    const existing = tx.first(
      db.selectFrom('payment_intents').select(['order_id', 'state']).where('idempotency_key', '=', intent.idempotencyKey),
    );
    if (existing) {
      throw new LedgerError('DUPLICATE_INTENT', `intent ${intent.idempotencyKey} is already recorded`, {
        idempotencyKey: intent.idempotencyKey,
        recordedOrderId: existing.order_id,
        state: existing.state,
      });
    }
    const order = tx.first(db.selectFrom('orders').selectAll().where('order_id', '=', intent.orderId));
    if (!order) throw new LedgerError('NOT_FOUND', `intent names no recorded order ${intent.orderId}`, { ...facts, entity: 'order' });
    const orderAmount = amountFromColumn(order.amount);
    if (order.method !== intent.method || order.currency !== intent.currency || intent.amount > orderAmount) {
      throw new LedgerError('INTENT_MISMATCH', `intent ${intent.idempotencyKey} does not match order ${intent.orderId}`, {
        ...facts,
        order: { method: order.method, currency: order.currency, amount: order.amount },
        intent: { method: intent.method, currency: intent.currency, amount },
      });
    }
    if (!PAYABLE_ORDER_STATES.includes(order.state)) {
      throw new LedgerError('ORDER_NOT_PAYABLE', `order ${intent.orderId} is ${order.state}; no payment may be recorded`, {
        ...facts,
        orderState: order.state,
      });
    }
    const live = this.liveIn(tx, intent.orderId);
    if (live) {
      throw new LedgerError('ORDER_NOT_PAYABLE', `order ${intent.orderId} already has intent ${live.idempotencyKey} (${live.state})`, {
        ...facts,
        liveIntent: live.idempotencyKey,
        liveIntentState: live.state,
      });
    }
    const row = tx.first(
      db
        .insertInto('payment_intents')
        .values({
          idempotency_key: intent.idempotencyKey,
          order_id: intent.orderId,
          method: intent.method,
          currency: intent.currency,
          amount,
          destination: intent.destination,
          payload,
          state: 'recorded',
          tx_hash: null,
          fee: null,
          reason: null,
          created_at: now,
          updated_at: now,
        })
        .returningAll(),
    )!;
    return toRow(row);
  }

  /**
   * Moves the intent to `state` (forward only, see INTENT_TRANSITIONS), recording what was learned. A repeat of the
   * current state only fills in a tx hash or fee not known before.
   */
  async setState(idempotencyKey: string, state: IntentState, facts: IntentFacts = {}): Promise<IntentRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.setStateIn(tx, idempotencyKey, state, facts, now));
  }

  /** setState(), inside a transaction the caller holds. */
  setStateIn(tx: ImmediateTx, idempotencyKey: string, state: IntentState, facts: IntentFacts, now: number): IntentRow {
    const fee = facts.fee === undefined ? undefined : amountToColumn(facts.fee, 'fee', { idempotencyKey });
    const { db } = this.conn;
    const current = tx.first(db.selectFrom('payment_intents').selectAll().where('idempotency_key', '=', idempotencyKey));
    if (!current) throw new LedgerError('NOT_FOUND', `no intent ${idempotencyKey}`, { entity: 'intent', idempotencyKey });
    const update = db.updateTable('payment_intents').where('idempotency_key', '=', idempotencyKey);
    if (!checkTransition('intent', INTENT_TRANSITIONS, idempotencyKey, current.state, state)) {
      const fill = {
        tx_hash: current.tx_hash ?? facts.txHash ?? null,
        fee: current.fee ?? fee ?? null,
      };
      if (fill.tx_hash === current.tx_hash && fill.fee === current.fee) return toRow(current);
      return toRow(tx.first(update.set({ ...fill, updated_at: now }).returningAll())!);
    }
    const row = tx.first(
      update
        .set({
          state,
          tx_hash: facts.txHash ?? current.tx_hash,
          fee: fee ?? current.fee,
          reason: reasonColumn(facts.reason),
          updated_at: now,
        })
        .returningAll(),
    )!;
    return toRow(row);
  }

  /** get(), inside a transaction the caller holds. */
  getIn(tx: ImmediateTx, idempotencyKey: string): IntentRow | undefined {
    const row = tx.first(this.conn.db.selectFrom('payment_intents').selectAll().where('idempotency_key', '=', idempotencyKey));
    return row && toRow(row);
  }

  /** The order's intent that may still move money or has moved it (any state but failed; at most one), if any. */
  liveIn(tx: ImmediateTx, orderId: string): IntentRow | undefined {
    const row = tx.first(
      this.conn.db.selectFrom('payment_intents').selectAll().where('order_id', '=', orderId).where('state', '<>', 'failed'),
    );
    return row && toRow(row);
  }

  /** The intent, or undefined when there is none: check this before any spending step. */
  async get(idempotencyKey: string): Promise<IntentRow | undefined> {
    const row = await this.conn.db
      .selectFrom('payment_intents')
      .selectAll()
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return row && toRow(row);
  }

  /** Every intent of an order, oldest first. */
  async forOrder(orderId: string): Promise<IntentRow[]> {
    const rows = await this.conn.db
      .selectFrom('payment_intents')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('created_at')
      .orderBy('idempotency_key')
      .execute();
    return rows.map(toRow);
  }

  /** Where this method's confirmed payments went, the most recently paid first, each once (at most `limit`): the
   *  store wallets a plugin may look at before the drop. */
  async confirmedDestinations(method: string, limit: number): Promise<string[]> {
    const rows = await this.conn.db
      .selectFrom('payment_intents')
      .select('destination')
      .select((eb) => eb.fn.max('updated_at').as('last'))
      .where('method', '=', method)
      .where('state', '=', 'confirmed')
      .groupBy('destination')
      .orderBy('last', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.destination);
  }

  /** Intents not yet confirmed or failed, oldest first: what reconciliation must settle. */
  async open(): Promise<IntentRow[]> {
    const rows = await this.conn.db
      .selectFrom('payment_intents')
      .selectAll()
      .where('state', 'in', OPEN_INTENT_STATES)
      .orderBy('created_at')
      .orderBy('idempotency_key')
      .execute();
    return rows.map(toRow);
  }
}
