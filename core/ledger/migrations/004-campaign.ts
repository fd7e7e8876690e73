/** The ledger owns the campaign: every budget reservation also claims the packs its order buys (and for which
 *  method), so packs are counted across processes and restarts in the same transaction as the money; the campaign
 *  row records what the ledger was started with (targets, packs, budgets) so a changed config is noticed. */
import { sql, type Kysely, type Migration } from 'kysely';

export const campaign: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('budget_reservations')
      .addColumn('method', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema
      .alterTable('budget_reservations')
      .addColumn('packs', 'integer', (c) => c.notNull().defaultTo(0).check(sql`packs >= 0`))
      .execute();
    // Reservations made before this migration claim the packs of the order they were attached to.
    await sql`update budget_reservations set
        packs = coalesce((select count from orders where orders.order_id = budget_reservations.order_id), 0),
        method = coalesce((select method from orders where orders.order_id = budget_reservations.order_id), '')`.execute(db);
    await db.schema.createIndex('budget_reservations_target_state').on('budget_reservations').columns(['target', 'state']).execute();
    await db.schema
      .createTable('campaign')
      .addColumn('id', 'integer', (c) => c.primaryKey().notNull().check(sql`id = 1`))
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('campaign').ifExists().execute();
    await db.schema.dropIndex('budget_reservations_target_state').ifExists().execute();
    await db.schema.alterTable('budget_reservations').dropColumn('packs').execute();
    await db.schema.alterTable('budget_reservations').dropColumn('method').execute();
  },
};
