/** The data folder (`dataDir`: the ledger and the secret files) as the commands need it. A command that writes
 *  checks it before doing anything else, so a folder that cannot hold the ledger is a configuration error naming
 *  `dataDir` and the operating system's reason (exit 2), not a failure half-way through. A command that only reads
 *  opens the ledger that is there and never creates one. */
import { accessSync, constants, mkdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { osReason } from '../os-reason.js';
import { noLedgerMessage, openLedger } from '../ledger/database.js';
import type { Ledger } from '../ledger/ledger.js';
import { LedgerError } from '../ledger/ledger-error.js';

/** Kernel pseudo filesystems: nothing kept there survives, and Node's recursive mkdir under /proc never returns. */
const PSEUDO_FILESYSTEMS = ['/proc', '/sys'];

function refuse(message: string): never {
  throw new ConfigError('CONFIG_INVALID', [{ path: 'dataDir', message }]);
}

/** The nearest existing folder at or above `dir`, with its stat; anything in the way is refused with the reason. */
function nearestExisting(dir: string): { at: string; stats: Stats } {
  for (let at = dir; ; ) {
    try {
      return { at, stats: statSync(at) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') return refuse(`cannot create ${dir}: a part of ${at} is a file, not a folder`);
      if (code !== 'ENOENT') return refuse(`cannot use ${dir}: ${at} cannot be examined (${osReason(e)})`);
      const parent = path.dirname(at);
      if (parent === at) return refuse(`cannot create ${dir}: no part of it exists`);
      at = parent;
    }
  }
}

/** Checks, without creating anything, that `dir` is or can become a writable folder: the nearest existing folder must
 *  be a writable directory that is not under /proc or /sys (judged on its real path, so a symlink does not hide it).
 *  Throws ConfigError on `dataDir` with the reason; returns the nearest existing folder. */
export function checkDataDir(dir: string): string {
  const target = path.resolve(dir);
  const { at, stats } = nearestExisting(target);
  if (!stats.isDirectory()) {
    return refuse(at === target ? `${target} is a file, not a folder` : `cannot create ${target}: ${at} is a file, not a folder`);
  }
  let real: string;
  try {
    real = realpathSync(at);
  } catch (e) {
    return refuse(`cannot use ${target}: ${osReason(e)}`);
  }
  const pseudo = PSEUDO_FILESYSTEMS.find((root) => real === root || real.startsWith(`${root}/`));
  if (pseudo) return refuse(`${target} is under ${pseudo}, a kernel pseudo filesystem that cannot hold files; choose a folder on disk`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    return refuse(at === target ? `${target} is not writable (${osReason(e)})` : `cannot create ${target}: ${at} is not writable (${osReason(e)})`);
  }
  return at;
}

/** Makes sure `dir` is a writable folder (checkDataDir), creating it (mode 0700) if needed. */
export function prepareDataDir(dir: string): void {
  const target = path.resolve(dir);
  if (checkDataDir(target) === target) return;
  try {
    mkdirSync(target, { recursive: true, mode: 0o700 });
  } catch (e) {
    refuse(`cannot create ${target} (${osReason(e)})`);
  }
}

/** Refuses (exit 2) when there is no ledger file at `file`, without opening or creating anything. */
export function requireLedgerFile(file: string): void {
  if (!isFile(file)) refuse(noLedgerMessage(file));
}

/** Opens the ledger at `file` (the config's `ledgerPath`) only if it exists: a missing one is a ConfigError on
 *  `dataDir` (exit 2), since a command that reads or settles it has nothing to work on. */
export async function openExistingLedger(file: string): Promise<Ledger> {
  try {
    return await openLedger(file, { mustExist: true });
  } catch (e) {
    if (e instanceof LedgerError && e.code === 'NO_LEDGER') refuse(e.message);
    throw e;
  }
}

/** Refuses (exit 2) a run that would start a new ledger at `ledgerFile` while the ledger of the same config sits in
 *  `legacyDataDir`: before paths in a config file were read relative to the file, a relative `dataDir` was relative to
 *  the working folder, and starting afresh would buy the campaign's packs and spend its budget a second time. */
export function refuseMovedLedger(ledgerFile: string, legacyDataDir: string | undefined): void {
  if (legacyDataDir === undefined || isFile(ledgerFile)) return;
  const legacy = path.join(legacyDataDir, path.basename(ledgerFile));
  if (!isFile(legacy)) return;
  refuse(`no ledger at ${ledgerFile}, but one at ${legacy}: a relative dataDir is now read from the config file's folder, `
    + `not the working folder. Keep using that ledger: set dataDir to ${legacyDataDir} or pass --data-dir ${legacyDataDir}`);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
