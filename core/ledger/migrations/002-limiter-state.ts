/** Limiter state kept across runs, in bounded form: one row per rate-limit pool with its bucket, the end of a ban
 *  (a 429's Retry-After), its circuit breaker and the limit learned from the store's headers, so a ban window and an
 *  open circuit survive a restart. Written by the limiter actor when it changed, paced
 *  (core/actors/write-behind.ts). */
import { sql, type Kysely, type Migration } from 'kysely';

export const limiterState: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('limiter_state')
      .addColumn('pool', 'text', (c) => c.primaryKey().notNull())
      .addColumn('tokens', 'real', (c) => c.notNull().check(sql`tokens >= 0`))
      .addColumn('blocked_until', 'integer', (c) => c.notNull().check(sql`blocked_until >= 0`))
      .addColumn('breaker_state', 'text', (c) => c.notNull().check(sql`breaker_state IN ('closed', 'open')`))
      .addColumn('breaker_opened_at', 'integer')
      .addColumn('breaker_failures', 'integer', (c) => c.notNull().check(sql`breaker_failures >= 0`))
      .addColumn('learned_limit', 'integer', (c) => c.check(sql`learned_limit > 0`))
      .addColumn('learned_window_ms', 'integer', (c) => c.check(sql`learned_window_ms > 0`))
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .modifyEnd(sql`strict`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('limiter_state').ifExists().execute();
  },
};
