import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/config/config-error.js';
import { DataDirLocked, LOCK_NOTE, lockDataDir } from '../../../../core/run/data-dir-lock.js';

const LOCK_MODULE = path.resolve('dist/core/run/data-dir-lock.js');

describe('data dir lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'automint-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder at once, naming the pid, host, command and how to stop it', () => {
    const lock = lockDataDir(dir, 'run');
    try {
      let refused: unknown;
      try {
        lockDataDir(dir, 'reconcile');
      } catch (e) {
        refused = e;
      }
      expect(refused).toBeInstanceOf(DataDirLocked);
      const e = refused as DataDirLocked;
      expect(e.code).toBe('LEDGER_LOCKED');
      expect(e.message).toContain(`automint run (pid ${process.pid} on ${hostname()}`);
      expect(e.message).toContain(`kill ${process.pid}`);
      expect(e.details).toMatchObject({ dataDir: dir, pid: process.pid });
    } finally {
      lock.release();
    }
  });

  it('writes who holds it in a private note, removes the note on release and can be taken again', () => {
    const lock = lockDataDir(dir, 'run');
    const note = path.join(dir, LOCK_NOTE);
    expect(JSON.parse(readFileSync(note, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), command: 'run' });
    expect(statSync(note).mode & 0o777).toBe(0o600);
    lock.release();
    lock.release();
    expect(existsSync(note)).toBe(false);
    const again = lockDataDir(dir, 'run');
    expect(again.tookOverFrom).toBeNull();
    again.release();
  });

  it('is free the moment its holder is killed (SIGKILL), and the next run says whose lock it took over', async () => {
    expect(existsSync(LOCK_MODULE), 'run `npm run build` first: the holder runs the built module').toBe(true);
    const holder = spawn(process.execPath, ['--input-type=module', '-e',
      `const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)}); lockDataDir(${JSON.stringify(dir)}, 'run'); console.log('locked'); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(holder.stdout!, 'data');
      expect(() => lockDataDir(dir, 'run')).toThrow(new RegExp(`pid ${holder.pid}`));
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      const lock = lockDataDir(dir, 'run');
      expect(lock.tookOverFrom).toMatchObject({ pid: holder.pid, command: 'run' });
      lock.release();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('says the data dir cannot be locked, with the reason, when its lock file is unusable (exit 2, no stack)', () => {
    mkdirSync(path.join(dir, '.automint.lock.db'));
    let refused: unknown;
    try {
      lockDataDir(dir, 'run');
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).path).toBe('dataDir');
    expect((refused as ConfigError).message).toMatch(/cannot lock the data dir: .*\.automint\.lock\.db is unusable \(SQLITE_CANTOPEN/);
  });

  it('reads a note it cannot parse as no holder at all', () => {
    writeFileSync(path.join(dir, LOCK_NOTE), 'not json');
    const lock = lockDataDir(dir, 'run');
    expect(lock.tookOverFrom).toBeNull();
    lock.release();
  });
});
