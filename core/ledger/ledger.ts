/** The ledger: the source of truth for money. Nothing is paid twice (intents are written before money moves, one live
 *  intent per order) and nothing paid is forgotten (states only move forward). Open it with `openLedger`. */
import type { Kysely } from 'kysely';
import { Budget } from './budget.js';
import type { LedgerConnection } from './connection.js';
import { Orders } from './orders.js';
import { PaymentIntents } from './payment-intents.js';
import { Purchases } from './purchases.js';
import type { LedgerSchema } from './schema.js';

export class Ledger {
  readonly db: Kysely<LedgerSchema>;
  readonly purchases: Purchases;
  readonly orders: Orders;
  readonly intents: PaymentIntents;
  readonly budget: Budget;
  #closed = false;

  constructor(connection: LedgerConnection) {
    this.db = connection.db;
    this.purchases = new Purchases(connection);
    this.orders = new Orders(connection);
    this.intents = new PaymentIntents(connection);
    this.budget = new Budget(connection);
  }

  /** Closes the database; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }
}
