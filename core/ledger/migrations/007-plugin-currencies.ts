/** Any currency a plugin declares: orders, payment intents and budget reservations took only TON and XTR (a CHECK
 *  from 001); a payment plugin may now bring its own currency (`currencies` in its manifest), so the check becomes the
 *  shape of a currency code (upper-case letters and digits). SQLite cannot alter a CHECK, so each table is rebuilt:
 *  its own SQL with the one check replaced, the rows copied, its indexes made again. A migration is history: the old
 *  and new check texts are spelled out here.
 *
 *  kysely's Migrator on SQLite does not write its `kysely_migration` row in this migration's transaction: a crash
 *  between the two (or a second process opening the ledger at that moment) runs it again on tables already rebuilt,
 *  so a table that already has the check being written is left alone; only one with neither check is refused. */
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
  // Already rebuilt: this migration ran and committed, and only its bookkeeping row went missing.
  if (create !== undefined && create !== null && create.includes(newCheck) && !create.includes(oldCheck)) return;
  if (create === undefined || create === null || !create.includes(oldCheck)) {
    throw new Error(`ledger table ${table} has neither the currency check this migration replaces nor the one it writes`);
  }
  // Indexes SQLite made itself (primary keys, unique constraints) have no SQL and come back with the table.
  const indexes = schema.rows.filter((r) => r.type === 'index' && r.sql !== null).map((r) => r.sql!);
  // AUTOINCREMENT's high-water mark (budget_reservations): dropping the table drops it and the copy restarts it from
  // the highest id left, so an id of a deleted row would be handed out again. Kept as it was.
  const sequence = await sequenceOf(db, table);
  const fresh = `${table}__007`;
  const created = create.split(oldCheck).join(newCheck).replace(/^CREATE TABLE\s+("?)[A-Za-z_]+\1/i, `CREATE TABLE "${fresh}"`);
  await sql.raw(created).execute(db);
  await sql.raw(`insert into "${fresh}" select * from "${table}"`).execute(db);
  await sql.raw(`drop table "${table}"`).execute(db);
  await sql.raw(`alter table "${fresh}" rename to "${table}"`).execute(db);
  for (const index of indexes) await sql.raw(index).execute(db);
  if (sequence !== undefined) {
    const now = (await sequenceOf(db, table)) ?? 0;
    await sql`delete from sqlite_sequence where name = ${table}`.execute(db);
    await sql`insert into sqlite_sequence (name, seq) values (${table}, ${Math.max(now, sequence)})`.execute(db);
  }
}

/** The table's AUTOINCREMENT high-water mark, if it has one (no `sqlite_sequence` at all when no table uses it). */
async function sequenceOf(db: Kysely<unknown>, table: string): Promise<number | undefined> {
  const exists = await sql`select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'`.execute(db);
  if (exists.rows.length === 0) return undefined;
  const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${table}`.execute(db);
  return rows[0]?.seq;
}

/** Going back to TON and XTR only: a row in any other currency would fail the old check half-way with SQLite's bare
 *  "CHECK constraint failed"; say which table and currencies stand in the way instead. */
async function refuseOtherCurrencies(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    const { rows } = await sql<{ currency: string; n: number }>`
      select currency, count(*) as n from ${sql.table(table)} where currency not in ('TON', 'XTR')
      group by currency order by currency`.execute(db);
    if (rows.length === 0) continue;
    const count = rows.reduce((sum, r) => sum + Number(r.n), 0);
    throw new Error(
      `cannot undo ledger migration 007: ${table} holds ${count} row${count === 1 ? '' : 's'} in a currency other than ` +
        `TON or XTR (${rows.map((r) => r.currency).join(', ')}), which the old schema cannot store`,
    );
  }
}

/** SQLite's own recipe for a table change: foreign keys off (outside any transaction: dropping `orders` under its
 *  children would count as deleting their parents), the rebuild in one transaction, every reference checked before
 *  it commits, foreign keys back on whatever happened. */
async function replaceChecks(db: Kysely<unknown>, oldCheck: string, newCheck: string, down = false): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      if (down) await refuseOtherCurrencies(trx);
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
    await replaceChecks(db, NEW_CHECK, OLD_CHECK, true);
  },
};
