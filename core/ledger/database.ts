/** Opening the ledger database: the file (parent folder created, mode 0600), the pragmas that make SQLite safe for
 *  money and for several processes (WAL, busy_timeout, synchronous FULL, foreign keys), and the migrations. */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { osReason } from '../os-reason.js';
import { LedgerConnection } from './connection.js';
import { Ledger } from './ledger.js';
import { LedgerError } from './ledger-error.js';
import { ledgerMigrationProvider } from './migrations/index.js';
import type { LedgerSchema } from './schema.js';

export interface LedgerOptions {
  /** How long a write waits for another process's lock before failing (ms). */
  readonly busyTimeoutMs?: number;
  /** Clock for created_at/updated_at (epoch ms); tests pin it. */
  readonly now?: () => number;
  /** Open an existing ledger only: no folder or file is created, and a missing one is a NO_LEDGER error. For the
   *  commands that only look (`orders`, `doctor`) or that settle what a run left (`reconcile`). */
  readonly mustExist?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** kysely's SQLite driver, but every transaction it opens is BEGIN IMMEDIATE: it takes the write lock up front, so a
 *  transaction that reads and then writes cannot fail half-way with SQLITE_BUSY when another process writes. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class LedgerDialect extends SqliteDialect {
  constructor(private readonly raw: Database.Database) {
    super({ database: raw });
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.raw });
  }
}

/** What a command that needs a ledger says when there is none at `path`. */
export function noLedgerMessage(path: string): string {
  return `no ledger at ${path} (has \`automint run\` been run with this config?)`;
}

/** Opens (creating if needed, unless `mustExist`) the ledger at `path`, or an in-memory one for ':memory:', migrated
 *  to the latest schema. */
export async function openLedger(path: string | ':memory:', options: LedgerOptions = {}): Promise<Ledger> {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new LedgerError('INVALID_INPUT', 'busyTimeoutMs must be a non-negative integer', { busyTimeoutMs });
  }
  if (options.mustExist && path !== ':memory:' && !isFile(path)) {
    throw new LedgerError('NO_LEDGER', noLedgerMessage(path), { path });
  }
  let raw: Database.Database | undefined;
  try {
    if (path !== ':memory:' && !options.mustExist) createPrivateFile(path);
    raw = new Database(path, { fileMustExist: options.mustExist === true });
    raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // WAL lets readers run beside the writer and is what several processes sharing the file need.
    raw.pragma('journal_mode = WAL');
    // FULL: a committed intent survives a power cut; it is written before money moves, so it must be durable.
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
  } catch (e) {
    raw?.close();
    throw new LedgerError('OPEN_FAILED', `cannot open the ledger at ${path}: ${osReason(e)}`, { path }, { cause: e });
  }
  const db = new Kysely<LedgerSchema>({ dialect: new LedgerDialect(raw) });
  try {
    await migrateLedger(db, path);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new Ledger(new LedgerConnection(db, raw, options.now));
}

/** Runs every pending migration; returns the names it applied (none when the schema is current). */
export async function migrateLedger(db: Kysely<LedgerSchema>, path = ''): Promise<string[]> {
  const { error, results = [] } = await new Migrator({ db, provider: ledgerMigrationProvider }).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? null;
    throw new LedgerError('MIGRATION_FAILED', `ledger migration ${failed ?? '(setup)'} failed`, { path, migration: failed }, {
      cause: error,
    });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Creates the parent folder (0700 when new) and the file with mode 0600, tightening an existing file to 0600; SQLite
 *  gives its -wal and -shm files the main file's mode. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}
