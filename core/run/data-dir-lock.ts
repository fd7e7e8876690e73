/** One writer per ledger: a command that writes the data dir (run, reconcile, login) holds an exclusive lock on it
 *  for as long as it runs. The lock itself is an OS file lock (SQLite's, on `.automint.lock.db`), so the kernel
 *  drops it the moment the holder dies, even by SIGKILL: a crashed run never leaves a lock behind that blocks the
 *  restart. Beside it, `automint.lock` says who holds it (pid, host, command, start time) so a refused run can name
 *  the holder; a note whose pid holds no lock any more is a dead run's, taken over with a warning. */
import { hostname } from 'node:os';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/config-error.js';
import { AutomintError } from '../errors.js';

/** The lock file a person can read. */
export const LOCK_NOTE = 'automint.lock';
/** The file the OS lock is held on. */
const LOCK_DB = '.automint.lock.db';

/** Who holds (or held) a data dir. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  /** ISO time the holder started. */
  readonly startedAt: string;
}

/** Another process holds the data dir: the CLI exits 3, naming it. */
export class DataDirLocked extends AutomintError {
  constructor(dataDir: string, holder: LockHolder | null) {
    const who = holder
      ? `automint ${holder.command} (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})`
      : 'another automint process';
    const how = holder
      ? holder.host === hostname()
        ? `stop it with Ctrl-C in its terminal or \`kill ${holder.pid}\`, or wait for it to end`
        : `stop it on ${holder.host} (pid ${holder.pid}), or wait for it to end`
      : 'stop it, or wait for it to end';
    super('LEDGER_LOCKED', `${who} is using the data dir ${dataDir}; only one run may write a ledger at a time: ${how}`, {
      dataDir, pid: holder?.pid ?? null, host: holder?.host ?? null,
    });
  }
}

/** The lock file cannot be used (a folder in its place, a file that is not SQLite's, no permission): a config
 *  error on `dataDir` with the OS's or SQLite's reason, exit 2. */
function lockUnusable(file: string, cause: unknown): ConfigError {
  const reason = (cause as { code?: unknown }).code ?? 'unknown error';
  return new ConfigError('CONFIG_INVALID', [{ path: 'dataDir', message: `cannot lock the data dir: ${file} is unusable (${String(reason)}: ${(cause as Error).message}); remove it if no automint runs` }]);
}

/** A lock held by this process. */
export interface DataDirLock {
  /** The note of a dead holder this lock replaced, if any (the caller warns about it). */
  readonly tookOverFrom: LockHolder | null;
  /** Releases the lock (idempotent). */
  release(): void;
}

function readHolder(file: string): LockHolder | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? { pid: v.pid, host: v.host, command: String(v.command ?? 'run'), startedAt: String(v.startedAt ?? 'unknown') }
      : null;
  } catch {
    return null;
  }
}

/** The holder's note, waiting a moment for a holder that has just taken the lock to write it (its note is written
 *  right after the lock is taken; until then the file is missing or a dead run's). */
function currentHolder(note: string): LockHolder | null {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    const holder = readHolder(note);
    if ((holder !== null && isRunning(holder)) || attempt >= NOTE_WAIT_TRIES) return holder;
    Atomics.wait(pause, 0, 0, NOTE_WAIT_MS);
  }
}

const NOTE_WAIT_TRIES = 10;
const NOTE_WAIT_MS = 20;

/** True unless the holder is on this host and its pid is gone. */
function isRunning(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data dir's lock for `command`, or throws DataDirLocked at once when another process holds it. The dir
 *  must exist (see prepareDataDir). */
export function lockDataDir(dataDir: string, command: string): DataDirLock {
  const note = path.join(dataDir, LOCK_NOTE);
  const lockFile = path.join(dataDir, LOCK_DB);
  let db: Database.Database | undefined;
  try {
    db = new Database(lockFile, { timeout: 0 });
    // A rollback-journal database: BEGIN EXCLUSIVE takes the file's exclusive lock at once and keeps it until released.
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db?.close();
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) throw new DataDirLocked(dataDir, currentHolder(note));
    throw lockUnusable(lockFile, e);
  }
  const previous = readHolder(note);
  const holder: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  const temporary = `${note}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, JSON.stringify(holder) + '\n', { mode: 0o600 });
    renameSync(temporary, note);
  } catch (e) {
    db.exec('ROLLBACK');
    db.close();
    throw lockUnusable(note, e);
  }
  const held = db;
  let holding = true;
  return {
    tookOverFrom: previous && previous.pid !== process.pid ? previous : null,
    release: () => {
      if (!holding) return;
      holding = false;
      // The note goes first: whoever takes the lock next must not find ours and call it a dead run's.
      if (readHolder(note)?.pid === process.pid) rmSync(note, { force: true });
      try {
        held.exec('ROLLBACK');
      } finally {
        held.close();
      }
    },
  };
}
