/** Endpoint health kept across runs: one row per store base URL with its success and failure counts, the current run
 *  of failures, a smoothed latency and the time of its last failure, so a URL that was failing is not trusted blindly
 *  after a restart. Written by the endpoints actor when it changed, paced (core/actors/write-behind.ts). */
import { sql, type Kysely, type Migration } from 'kysely';

export const endpointStats: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('endpoint_stats')
      .addColumn('base_url', 'text', (c) => c.primaryKey().notNull())
      .addColumn('ok', 'integer', (c) => c.notNull().check(sql`ok >= 0`))
      .addColumn('failed', 'integer', (c) => c.notNull().check(sql`failed >= 0`))
      .addColumn('bad_run', 'integer', (c) => c.notNull().check(sql`bad_run >= 0`))
      .addColumn('latency_ms', 'real', (c) => c.check(sql`latency_ms >= 0`))
      .addColumn('last_bad_at', 'integer')
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('endpoint_stats').ifExists().execute();
  },
};
