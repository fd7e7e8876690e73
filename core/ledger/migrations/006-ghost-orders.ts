/** Ghost orders: a create-order request whose answer never came or could not be read (a timeout, a reset, a garbled
 *  body, an unexpected status) may have created an order at the store that the bot does not know. It is recorded as
 *  `maybe-created` with the request's time and how long it may hold the account's unpaid-order slot, so the payer does
 *  not hammer create-order into the store's unpaid limit and `automint orders` shows it. */
import { sql, type Kysely, type Migration } from 'kysely';

export const ghostOrders: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('ghost_orders')
      .addColumn('id', 'integer', (c) => c.primaryKey().notNull())
      .addColumn('purchase_id', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('collection', 'integer', (c) => c.notNull())
      .addColumn('character', 'integer', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull().check(sql`count > 0`))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'integer', (c) => c.notNull())
      .addColumn('held_until', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('maybe-created')`))
      .addColumn('reason', 'text', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('ghost_orders_account').on('ghost_orders').columns(['account', 'method', 'held_until']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('ghost_orders').ifExists().execute();
  },
};
