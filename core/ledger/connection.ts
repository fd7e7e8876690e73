/** The one SQLite connection the repositories share: kysely for ordinary queries, and `immediate()` for every
 *  read-check-write step, which must be atomic across async callers in this process and across processes. */
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, Kysely } from 'kysely';
import { isAutomintError } from '../errors.js';
import { osReason } from '../os-reason.js';
import { LedgerError } from './ledger-error.js';
import type { LedgerSchema } from './schema.js';

/** Runs kysely-built queries synchronously inside a `BEGIN IMMEDIATE` transaction. */
export interface ImmediateTx {
  /** Every row the query returns. */
  all<R>(query: Compilable<R>): R[];
  /** The first row the query returns, if any. */
  first<R>(query: Compilable<R>): R | undefined;
}

/** Most prepared statements kept: the SQL texts are few (parameters are bound, not inlined; only `in (…)` lists vary
 *  in length), so this bound is never reached in a run; it only keeps a caller with ever-new texts from growing it. */
const STATEMENT_CACHE_SIZE = 256;

export class LedgerConnection {
  #storageFault: LedgerError | null = null;
  /** Statements prepared once per SQL text: SQLite re-preparing the same statement on every transaction was most of
   *  a claim's CPU time. */
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #faultListeners = new Set<(fault: LedgerError) => void>();

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
        return this.#prepared(sql).all(parameters) as R[];
      },
      first: <R>(query: Compilable<R>) => {
        const { sql, parameters } = query.compile();
        return this.#prepared(sql).all(parameters)[0] as R | undefined;
      },
    };
    try {
      return await this.db.connection().execute(async () => raw.transaction(() => work(tx)).immediate());
    } catch (e) {
      const failure = asLedgerFailure(e);
      if (isDiskFault(failure)) this.#noteStorageFault(failure);
      throw failure;
    }
  }

  #prepared(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      statement = this.raw.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The first write the disk refused (full, read-only, I/O error), or null. Once the disk refuses, no intent can be
   *  recorded, so nothing may be paid: a run that sees one stops and ends with exit 1 naming it. */
  get storageFault(): LedgerError | null {
    return this.#storageFault;
  }

  /** Tells `listener` of the first write the disk refuses (at once if one already was); returns how to stop. */
  onStorageFault(listener: (fault: LedgerError) => void): () => void {
    if (this.#storageFault) {
      listener(this.#storageFault);
      return () => undefined;
    }
    this.#faultListeners.add(listener);
    return () => this.#faultListeners.delete(listener);
  }

  #noteStorageFault(failure: LedgerError): void {
    if (this.#storageFault) return;
    this.#storageFault = new LedgerError('STORAGE_FAILED',
      `the ledger at ${this.raw.name} cannot be written (${failure.details['reason'] as string}): free space on its disk or make it writable, then run again`,
      { ...failure.details, path: this.raw.name }, { cause: failure });
    for (const listener of this.#faultListeners) listener(this.#storageFault);
    this.#faultListeners.clear();
  }
}

/** SQLite's codes for a disk that refuses writes: full (SQLITE_FULL), read-only (SQLITE_READONLY*), failing
 *  (SQLITE_IOERR*), or a file gone or damaged (SQLITE_CANTOPEN*, SQLITE_CORRUPT*, SQLITE_NOTADB). */
const DISK_FAULT = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB)/;

function isDiskFault(e: unknown): e is LedgerError {
  const code = e instanceof LedgerError && e.code === 'STORAGE_FAILED' ? e.details['sqliteCode'] : undefined;
  return typeof code === 'string' && DISK_FAULT.test(code);
}

/** Our own errors pass through; SQLite's become typed ledger errors carrying SQLite's code (never the parameters). */
function asLedgerFailure(e: unknown): unknown {
  if (isAutomintError(e)) return e;
  const sqliteCode = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  if (sqliteCode?.startsWith('SQLITE_BUSY') || sqliteCode?.startsWith('SQLITE_LOCKED')) {
    return new LedgerError('BUSY', 'the ledger is locked by another writer; nothing was written', { sqliteCode }, { cause: e });
  }
  // The reason as SQLite (and through it the OS) gave it, e.g. `SQLITE_FULL: database or disk is full`; never a query
  // parameter (better-sqlite3's messages do not carry them).
  const reason = sqliteCode ? osReason(e) : 'unknown error';
  return new LedgerError('STORAGE_FAILED', `the ledger could not write (${reason}); nothing was written`, {
    sqliteCode: sqliteCode ?? null, reason,
  }, { cause: e });
}
