/** Snipe mode's seen-set: every collection id the run has seen in the store's listing (or found by probing the next
 *  id), when, and what the filters matched in it, so a collection is judged once per ledger, across restarts and
 *  processes; and the moment the set was first seeded with what the store had published then (never bought by a filter),
 *  with the highest collection id it had: no id at or below it is ever judged new. */
import { sql, type Kysely, type Migration } from 'kysely';

export const snipeSeen: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('snipe_seen')
      .addColumn('collection', 'integer', (c) => c.primaryKey().notNull().check(sql`collection > 0`))
      .addColumn('seen_at', 'integer', (c) => c.notNull())
      .addColumn('how', 'text', (c) => c.notNull().check(sql`how in ('start', 'listing', 'probe')`))
      .addColumn('matched', 'text')
      .modifyEnd(sql`strict`)
      .execute();
    await db.schema
      .createTable('snipe_state')
      .addColumn('id', 'integer', (c) => c.primaryKey().notNull().check(sql`id = 1`))
      .addColumn('seeded_at', 'integer', (c) => c.notNull())
      .addColumn('high_water', 'integer', (c) => c.notNull().check(sql`high_water > 0`))
      .modifyEnd(sql`strict`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('snipe_state').ifExists().execute();
    await db.schema.dropTable('snipe_seen').ifExists().execute();
  },
};
