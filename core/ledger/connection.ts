/** The one SQLite connection the repositories share: kysely for ordinary queries, and `immediate()` for every
 *  read-check-write step, which must be atomic across async callers in this process and across processes. */
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, Kysely } from 'kysely';
import { AutomintError } from '../errors.js';
import { LedgerError } from './ledger-error.js';
import type { LedgerSchema } from './schema.js';

/** Runs kysely-built queries synchronously inside a `BEGIN IMMEDIATE` transaction. */
export interface ImmediateTx {
  /** Every row the query returns. */
  all<R>(query: Compilable<R>): R[];
  /** The first row the query returns, if any. */
  first<R>(query: Compilable<R>): R | undefined;
}

export class LedgerConnection {
  constructor(
    readonly db: Kysely<LedgerSchema>,
    private readonly raw: BetterSqlite3.Database,
    /** Epoch milliseconds; injectable so tests can pin time. */
    readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `work` as one `BEGIN IMMEDIATE` transaction: it takes SQLite's write lock up front (waiting up to
   * busy_timeout for another process), and `work` is synchronous, so nothing can interleave between its reads and
   * its writes. It first takes kysely's single connection so that no kysely transaction is open on the same handle
   * (better-sqlite3 would otherwise nest `work` as a savepoint inside someone else's transaction). If `work` throws,
   * everything it wrote is rolled back; a SQLite failure comes out as LedgerError BUSY or STORAGE_FAILED.
   */
  async immediate<T>(work: (tx: ImmediateTx) => T): Promise<T> {
    const raw = this.raw;
    const tx: ImmediateTx = {
      all: <R>(query: Compilable<R>) => {
        const { sql, parameters } = query.compile();
        return raw.prepare(sql).all(parameters) as R[];
      },
      first: <R>(query: Compilable<R>) => {
        const { sql, parameters } = query.compile();
        return raw.prepare(sql).all(parameters)[0] as R | undefined;
      },
    };
    try {
      return await this.db.connection().execute(async () => raw.transaction(() => work(tx)).immediate());
    } catch (e) {
      throw asLedgerFailure(e);
    }
  }
}

/** Our own errors pass through; SQLite's become typed ledger errors carrying SQLite's code (never the parameters). */
function asLedgerFailure(e: unknown): unknown {
  if (e instanceof AutomintError) return e;
  const sqliteCode = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  if (sqliteCode?.startsWith('SQLITE_BUSY') || sqliteCode?.startsWith('SQLITE_LOCKED')) {
    return new LedgerError('BUSY', 'the ledger is locked by another writer; nothing was written', { sqliteCode }, { cause: e });
  }
  return new LedgerError('STORAGE_FAILED', `the ledger could not write (${sqliteCode ?? 'unknown error'}); nothing was written`, {
    sqliteCode: sqliteCode ?? null,
  }, { cause: e });
}
