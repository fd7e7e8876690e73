/** Any currency a plugin declares: orders, payment intents and budget reservations took only TON and XTR (a CHECK
 *  from 001); a payment plugin may now bring its own currency (`currencies` in its manifest), so the check becomes the
 *  shape of a currency code (upper-case letters and digits). SQLite cannot alter a CHECK, so each table is rebuilt:
 *  its own SQL with the one check replaced, the rows copied, its indexes made again. A migration is history: the old
 *  and new check texts are spelled out here. */
import { sql, type Kysely, type Migration } from 'kysely';

/** The check 001 wrote, as kysely rendered it into the table's SQL. */
const OLD_CHECK = `check ("currency" IN ('TON', 'XTR'))`;
/** A currency code's shape: 2-10 upper-case letters and digits (core/money.ts CURRENCY_CODE, at this migration). */
const NEW_CHECK = `check (length("currency") between 2 and 10 and "currency" not glob '*[^A-Z0-9]*' and "currency" glob '[A-Z]*')`;
const TABLES = ['orders', 'payment_intents', 'budget_reservations'] as const;

async function rebuild(db: Kysely<unknown>, table: string, oldCheck: string, newCheck: string): Promise<void> {
  const schema = await sql<{ type: string; name: string; sql: string | null }>`
    select type, name, sql from sqlite_master where tbl_name = ${table} and type in ('table', 'index')`.execute(db);
  const create = schema.rows.find((r) => r.type === 'table')?.sql;
  if (create === undefined || create === null || !create.includes(oldCheck)) {
    throw new Error(`ledger table ${table} does not have the currency check this migration replaces`);
  }
  // Indexes SQLite made itself (primary keys, unique constraints) have no SQL and come back with the table.
  const indexes = schema.rows.filter((r) => r.type === 'index' && r.sql !== null).map((r) => r.sql!);
  const fresh = `${table}__007`;
  const created = create.split(oldCheck).join(newCheck).replace(/^CREATE TABLE\s+("?)[A-Za-z_]+\1/i, `CREATE TABLE "${fresh}"`);
  await sql.raw(created).execute(db);
  await sql.raw(`insert into "${fresh}" select * from "${table}"`).execute(db);
  await sql.raw(`drop table "${table}"`).execute(db);
  await sql.raw(`alter table "${fresh}" rename to "${table}"`).execute(db);
  for (const index of indexes) await sql.raw(index).execute(db);
}

/** SQLite's own recipe for a table change: foreign keys off (outside any transaction: dropping `orders` under its
 *  children would count as deleting their parents), the rebuild in one transaction, every reference checked before
 *  it commits, foreign keys back on whatever happened. */
async function replaceChecks(db: Kysely<unknown>, oldCheck: string, newCheck: string): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      for (const table of TABLES) await rebuild(trx, table, oldCheck, newCheck);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) throw new Error('ledger rebuild left rows whose order is missing');
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export const pluginCurrencies: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await replaceChecks(db, OLD_CHECK, NEW_CHECK);
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await replaceChecks(db, NEW_CHECK, OLD_CHECK);
  },
};
