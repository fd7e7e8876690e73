/** Telegram sessions (GramJS StringSession strings) at rest: one file per account under `<dataDir>/sessions/`, the
 *  directory 0700 and each file 0600, written atomically so a crash never leaves half a session. A session is a
 *  login: whoever reads the file is the account on Telegram, so every value read or written is registered secret. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { NAME_PATTERN } from '../../core/config/schema.js';
import { registerSecret } from '../../core/telemetry/secret-registry.js';
import { TelegramSessionFileError } from './telegram-error.js';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** Permission bits that let anyone but the owner in. */
const OTHERS_BITS = 0o077;
/** A StringSession is ~360 characters; anything far larger is not one. */
const MAX_SESSION_BYTES = 64 * 1024;

/** The session file of `account` under `dataDir`. */
export function sessionPath(dataDir: string, account: string): string {
  // The account name becomes a file name: the config's name rule keeps it free of separators and dots.
  if (!NAME_PATTERN.test(account)) throw new TelegramSessionFileError('the account name is not a valid file name', { account });
  return path.join(dataDir, 'sessions', `${account}.session`);
}

/** The session stored at `file`, or null when there is none. A file others may read is restricted to 0600 first
 *  (and `log` told so); a file that is not a regular file is refused. */
export async function readSession(file: string, log?: Pick<Logger, 'warn'>): Promise<string | null> {
  let handle;
  try {
    // O_NOFOLLOW: a symlink planted in place of the session is refused, not followed.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw fileError('cannot open', file, e);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new TelegramSessionFileError('not a regular file', { path: file });
    if (stat.size > MAX_SESSION_BYTES) throw new TelegramSessionFileError(`too large to be a session (${stat.size} bytes)`, { path: file });
    if ((stat.mode & OTHERS_BITS) !== 0) {
      await handle.chmod(FILE_MODE);
      log?.warn({ path: file, mode: (stat.mode & 0o777).toString(8) }, 'session file was readable by others; restricted to 0600');
    }
    const session = (await handle.readFile('utf8')).trim();
    if (session.length === 0) return null;
    registerSecret(session);
    return session;
  } catch (e) {
    if (e instanceof TelegramSessionFileError) throw e;
    throw fileError('cannot read', file, e);
  } finally {
    await handle.close();
  }
}

/** Stores `session` at `file` atomically: a 0600 temporary file in the same directory, synced, then renamed over. */
export async function writeSession(file: string, session: string): Promise<void> {
  registerSecret(session);
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    // mkdir's mode is masked by the umask and ignored for an existing directory.
    await chmod(dir, DIR_MODE);
  } catch (e) {
    throw fileError('cannot prepare the session directory', dir, e);
  }
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
    try {
      await handle.chmod(FILE_MODE);
      await handle.writeFile(`${session}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw fileError('cannot write', file, e);
  }
  await syncDirectory(dir);
}

/** Removes the session at `file`; false when there was none. */
export async function deleteSession(file: string): Promise<boolean> {
  try {
    await unlink(file);
    await syncDirectory(path.dirname(file));
    return true;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return false;
    throw fileError('cannot delete', file, e);
  }
}

/** Makes a rename durable; some file systems cannot open a directory, and then there is nothing more to do. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only: the rename itself already happened.
  }
}

function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function fileError(reason: string, file: string, e: unknown): TelegramSessionFileError {
  const errno = errnoOf(e);
  return new TelegramSessionFileError(errno === undefined ? reason : `${reason} (${errno})`, errno === undefined ? { path: file } : { path: file, errno });
}
