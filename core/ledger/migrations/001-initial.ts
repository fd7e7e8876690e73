/** The first ledger schema: purchases, orders, payment intents and budget reservations. A migration is history: it
 *  spells out its own state lists instead of importing today's constants, so later edits cannot rewrite it. */
import { sql, type Kysely, type Migration } from 'kysely';

/** A canonical non-negative decimal integer: digits only, no sign, no leading zero (what bigint.toString() gives). */
const amountCheck = (column: string) =>
  sql`${sql.ref(column)} <> '' AND ${sql.ref(column)} NOT GLOB '*[^0-9]*' AND (${sql.ref(column)} = '0' OR ${sql.ref(column)} GLOB '[1-9]*')`;

const oneOf = (column: string, values: readonly string[]) =>
  sql`${sql.ref(column)} IN (${sql.join(values.map((v) => sql.lit(v)))})`;

const CURRENCIES = ['TON', 'XTR'];

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('purchases')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('collection', 'integer', (c) => c.notNull())
      .addColumn('character', 'integer', (c) => c.notNull())
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('packs_wanted', 'integer', (c) => c.notNull().check(sql`packs_wanted >= 0`))
      .addColumn('state', 'text', (c) =>
        c.notNull().check(oneOf('state', ['idle', 'arming', 'armed', 'buying', 'done', 'failed'])),
      )
      .addColumn('reason', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .addUniqueConstraint('purchases_target_account', ['collection', 'character', 'account'])
      .modifyEnd(sql`strict`)
      .execute();

    await db.schema
      .createTable('orders')
      .addColumn('order_id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('purchase_id', 'text', (c) => c.notNull().references('purchases.id'))
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('collection', 'integer', (c) => c.notNull())
      .addColumn('character', 'integer', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull().check(sql`count > 0`))
      .addColumn('currency', 'text', (c) => c.notNull().check(oneOf('currency', CURRENCIES)))
      .addColumn('amount', 'text', (c) => c.notNull().check(amountCheck('amount')))
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) =>
        c.notNull().check(oneOf('state', ['created', 'refused', 'paying', 'paid', 'failed', 'unknown', 'expired'])),
      )
      .addColumn('reason', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('orders_purchase_state').on('orders').columns(['purchase_id', 'state']).execute();
    await db.schema.createIndex('orders_state').on('orders').column('state').execute();
    await db.schema.createIndex('orders_method_state').on('orders').columns(['method', 'state']).execute();

    await db.schema
      .createTable('payment_intents')
      .addColumn('idempotency_key', 'text', (c) => c.primaryKey().notNull())
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.order_id'))
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull().check(oneOf('currency', CURRENCIES)))
      .addColumn('amount', 'text', (c) => c.notNull().check(amountCheck('amount')))
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull().check(sql`json_valid(payload) AND json_type(payload) = 'object'`))
      .addColumn('state', 'text', (c) =>
        c.notNull().check(oneOf('state', ['recorded', 'sent', 'confirmed', 'failed', 'unknown'])),
      )
      .addColumn('tx_hash', 'text')
      // The network fee the payment cost on top of its amount, once known (same currency, smallest units).
      .addColumn('fee', 'text', (c) => c.check(amountCheck('fee')))
      .addColumn('reason', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema.createIndex('payment_intents_order').on('payment_intents').column('order_id').execute();
    await db.schema.createIndex('payment_intents_state').on('payment_intents').column('state').execute();
    // At most one intent per order that may still move money: a second one is allowed only once the first has
    // certainly failed. This holds even for writers that bypass the repositories.
    await db.schema
      .createIndex('payment_intents_one_live_per_order')
      .on('payment_intents')
      .column('order_id')
      .unique()
      .where(sql.ref('state'), '<>', sql.lit('failed'))
      .execute();

    await db.schema
      .createTable('budget_reservations')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
      .addColumn('currency', 'text', (c) => c.notNull().check(oneOf('currency', CURRENCIES)))
      .addColumn('amount', 'text', (c) => c.notNull().check(amountCheck('amount')))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('limit_total', 'text', (c) => c.notNull().check(amountCheck('limit_total')))
      .addColumn('limit_account', 'text', (c) => c.check(amountCheck('limit_account')))
      .addColumn('limit_target', 'text', (c) => c.check(amountCheck('limit_target')))
      .addColumn('order_id', 'text', (c) => c.references('orders.order_id'))
      .addColumn('state', 'text', (c) => c.notNull().check(oneOf('state', ['held', 'consumed', 'released'])))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema
      .createIndex('budget_reservations_currency_state')
      .on('budget_reservations')
      .columns(['currency', 'state'])
      .execute();
    await db.schema.createIndex('budget_reservations_order').on('budget_reservations').column('order_id').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['budget_reservations', 'payment_intents', 'orders', 'purchases']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
