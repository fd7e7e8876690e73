/** A ledger whose disk fills up while the bot buys: the run stops (no money may move without an intent on disk) and
 *  ends with exit 1 and the reason SQLite and the OS gave, never with 0. The disk is filled for real, without root:
 *  once the first order is created, the bot process's largest file size (RLIMIT_FSIZE, set with `prlimit --pid`) is
 *  made a few bytes more than the ledger's WAL holds, so the next frame SQLite appends cannot be written whole (EFBIG),
 *  which SQLite reports as it reports a full disk (ENOSPC): SQLITE_FULL or SQLITE_IOERR_WRITE. */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../sim/world.js';
import { startBot, worldConfig, worldEnv, writeConfigFile } from '../support/bot-process.js';
import { ledgerKeyOf } from '../support/store-order-key.js';

/** `prlimit` from util-linux; without it the disk cannot be filled as a non-root user. */
const prlimit = ((): boolean => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('a ledger disk that fills up during the run', () => {
  let world: World;
  let dir: string;
  beforeAll(async () => {
    world = await startWorld({ blockIntervalMs: 300 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'automint-disk-full-'));
  });
  afterAll(async () => {
    await world?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!prlimit)('stops the run and exits 1 with the reason the disk gave, every payment made having its intent on record', async () => {
    const dataDir = path.join(dir, 'data');
    const ledgerFile = path.join(dataDir, 'automint.db');
    const file = await writeConfigFile(path.join(dir, 'bot.yaml'), worldConfig(world, dataDir), world, dataDir);
    const bot = startBot(['run', '--config', file], { env: worldEnv(world), timeoutMs: 90_000 });
    let full = false;
    const onLog = (d: string): void => {
      if (full || !d.includes('"msg":"order created"')) return;
      full = true;
      // The WAL only grows during a run (no checkpoint before 1000 pages): the next frame cannot be written whole.
      const walBytes = statSync(`${ledgerFile}-wal`).size;
      execFileSync('prlimit', ['--pid', String(bot.child.pid), `--fsize=${walBytes + 100}`]);
    };
    bot.child.stdout!.setEncoding('utf8').on('data', onLog);
    bot.child.stderr!.setEncoding('utf8').on('data', onLog);
    const exit = await bot.exited;

    expect(full, 'no order was created, so the disk was never filled').toBe(true);
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 1, signal: null });
    // SQLite's words for the OS refusing the write: SQLITE_FULL when a write is cut short, SQLITE_IOERR_WRITE when it is
    // refused outright (EFBIG here, ENOSPC or EROFS on a real disk); which one depends on where the limit cuts the frame.
    expect(exit.stderr).toContain(`error [STORAGE_FAILED]: the ledger at ${ledgerFile} cannot be written (SQLITE_`);
    expect(exit.stderr).toMatch(/cannot be written \(SQLITE_(FULL: database or disk is full|IOERR_WRITE: disk I\/O error)\): free space/);
    expect(exit.stdout).toMatch(/stopped: the ledger cannot be written/);

    // Intent before spend held: every order that took money has its intent in the ledger, which is intact.
    const db = new Database(ledgerFile, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const withIntent = new Set((db.prepare('select order_id from payment_intents').all() as { order_id: string }[]).map((r) => r.order_id));
      for (const o of world.store.orders().filter((x) => x.state === 'paid')) expect(withIntent, `order ${o.id} paid without an intent`).toContain(ledgerKeyOf(o));
    } finally {
      db.close();
    }
  }, 120_000);
});
