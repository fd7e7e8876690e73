/** Ghost orders in the ledger (migration 006): create-order requests that may have created an order the bot never
 *  saw. Each holds its account's unpaid-order slot for its method until `heldUntil` (the store drops an unpaid order
 *  when it expires), so a payer can tell whether the store's unpaid limit is already full without asking it. */
import type { Generated, Kysely } from 'kysely';
import type { Currency } from '../money.js';
import type { LedgerConnection } from './connection.js';
import type { LedgerSchema } from './schema.js';
import { reasonColumn } from './reason-column.js';

/** One possibly-created order. */
export interface GhostOrder {
  readonly id: number;
  readonly purchaseId: string;
  readonly method: string;
  readonly account: string;
  readonly collection: number;
  readonly character: number;
  readonly count: number;
  /** The method's currency (the amount was never seen). */
  readonly currency: Currency;
  /** When the request left (epoch ms). */
  readonly requestedAt: number;
  /** Until when it may hold the account's unpaid-order slot (epoch ms). */
  readonly heldUntil: number;
  readonly state: 'maybe-created';
  /** What the answer was (`STORE_TIMEOUT: …`). */
  readonly reason: string;
}

export type NewGhostOrder = Omit<GhostOrder, 'id' | 'state'>;

/** The table as kysely sees it. */
export interface GhostOrdersTable {
  id: Generated<number>;
  purchase_id: string;
  method: string;
  account: string;
  collection: number;
  character: number;
  count: number;
  currency: Currency;
  requested_at: number;
  held_until: number;
  state: 'maybe-created';
  reason: string;
}

type Db = Kysely<LedgerSchema & { ghost_orders: GhostOrdersTable }>;

export class GhostOrders {
  private readonly db: Db;

  constructor(conn: LedgerConnection) {
    this.db = conn.db.withTables<{ ghost_orders: GhostOrdersTable }>();
  }

  /** Records a possibly-created order; returns its row id. */
  async record(g: NewGhostOrder): Promise<number> {
    const row = await this.db.insertInto('ghost_orders').values({
      purchase_id: g.purchaseId, method: g.method, account: g.account, collection: g.collection, character: g.character, count: g.count, currency: g.currency,
      requested_at: g.requestedAt, held_until: g.heldUntil, state: 'maybe-created', reason: (reasonColumn(g.reason) ?? '').slice(0, 500),
    }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  /** How many of `account`'s `method` ghost orders may still hold an unpaid-order slot at `now`, until when the last of
   *  them does and why the latest was taken for one (0, 0 and '' when none). */
  async holding(account: string, method: string, now: number): Promise<{ count: number; until: number; reason: string }> {
    const rows = await this.db.selectFrom('ghost_orders').select(['held_until', 'reason'])
      .where('account', '=', account).where('method', '=', method).where('held_until', '>', now).orderBy('id').execute();
    return { count: rows.length, until: Math.max(0, ...rows.map((r) => r.held_until)), reason: rows.at(-1)?.reason ?? '' };
  }

  /** Every ghost order, oldest first (for `automint orders`). */
  async list(): Promise<GhostOrder[]> {
    const rows = await this.db.selectFrom('ghost_orders').selectAll().orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id, purchaseId: r.purchase_id, method: r.method, account: r.account, collection: r.collection, character: r.character,
      count: r.count, currency: r.currency, requestedAt: r.requested_at, heldUntil: r.held_until, state: r.state, reason: r.reason,
    }));
  }
}
