import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/config/config-error.js';
import { parseConfig } from '../../../../core/config/load.js';
import { openExistingLedger, prepareDataDir, refuseMovedLedger } from '../../../../core/run/data-dir.js';
import { ENV, VALID_YAML } from '../config/config-fixture.js';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'automint-data-dir-'));
  cleanups.push(dir);
  return dir;
}

/** The ConfigError `fn` throws. */
function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return expect.fail('expected a ConfigError');
}

const asRoot = process.getuid?.() === 0;

describe('prepareDataDir', () => {
  it('creates a missing data dir and its parents, private to its owner', () => {
    const dir = path.join(tempDir(), 'a', 'b', 'data');
    prepareDataDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('accepts an existing writable folder as it is', () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    prepareDataDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });

  it('refuses a data dir under /proc at once, without trying to create it', () => {
    const started = Date.now();
    const e = refusal(() => prepareDataDir('/proc/automint-data-dir-test/data'));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.path).toBe('dataDir');
    expect(e.message).toContain('/proc');
    expect(existsSync('/proc/automint-data-dir-test')).toBe(false);
  });

  it('refuses a data dir under /sys', () => {
    expect(refusal(() => prepareDataDir('/sys/automint-data-dir-test')).message).toContain('/sys');
  });

  it('sees through a symlink that leads into /proc', () => {
    const link = path.join(tempDir(), 'proc-link');
    symlinkSync('/proc/self', link);
    const e = refusal(() => prepareDataDir(path.join(link, 'data')));
    expect(e.message).toContain('/proc');
  });

  it('refuses a data dir that is a file', () => {
    const file = path.join(tempDir(), 'data');
    writeFileSync(file, '');
    const e = refusal(() => prepareDataDir(file));
    expect(e.path).toBe('dataDir');
    expect(e.message).toContain('is a file, not a folder');
  });

  it('refuses a data dir below a file, naming the file', () => {
    const file = path.join(tempDir(), 'plain');
    writeFileSync(file, '');
    const e = refusal(() => prepareDataDir(path.join(file, 'data', 'deeper')));
    expect(e.message).toContain(file);
  });

  it.skipIf(asRoot)('gives the operating system reason for a folder it may not write in', () => {
    const parent = path.join(tempDir(), 'locked');
    mkdirSync(parent, { mode: 0o500 });
    const e = refusal(() => prepareDataDir(path.join(parent, 'data')));
    expect(e.message).toContain('EACCES');
    expect(existsSync(path.join(parent, 'data'))).toBe(false);
  });
});

describe('openExistingLedger', () => {
  it('refuses a ledger that does not exist as a dataDir error, creating neither file nor folder', async () => {
    const dir = path.join(tempDir(), 'never-run');
    const file = path.join(dir, 'automint.db');
    let error: unknown;
    await openExistingLedger(file).catch((e: unknown) => (error = e));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('dataDir');
    expect((error as ConfigError).message).toContain(`no ledger at ${file} (has \`automint run\` been run with this config?)`);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('a ledger left where a relative dataDir used to point', () => {
  it('is where the working folder put it, for a relative dataDir from the file only', () => {
    const dir = tempDir();
    const file = path.join(dir, 'cfg', 'my.yaml');
    const fromFile = parseConfig(VALID_YAML + 'dataDir: ./data\n', { env: ENV, file });
    expect(fromFile.config.dataDir).toBe(path.join(dir, 'cfg', 'data'));
    expect(fromFile.source.legacyDataDir).toBe(path.resolve('data'));
    expect(parseConfig(VALID_YAML + 'dataDir: ./data\n', { env: ENV, file, flags: { dataDir: './data' } }).source.legacyDataDir).toBeUndefined();
    expect(parseConfig(VALID_YAML + `dataDir: ${dir}\n`, { env: ENV, file }).source.legacyDataDir).toBeUndefined();
  });

  it('stops a run that would start a new ledger beside it, naming both and how to keep the old one', () => {
    const dir = tempDir();
    const legacy = path.join(dir, 'old');
    mkdirSync(legacy);
    writeFileSync(path.join(legacy, 'automint.db'), '');
    const fresh = path.join(dir, 'cfg', 'data', 'automint.db');
    const e = refusal(() => refuseMovedLedger(fresh, legacy));
    expect(e.path).toBe('dataDir');
    expect(e.message).toContain(`no ledger at ${fresh}, but one at ${path.join(legacy, 'automint.db')}`);
    expect(e.message).toContain(`--data-dir ${legacy}`);
    // A ledger already at the new place, or none at the old one: nothing to refuse.
    expect(() => refuseMovedLedger(fresh, path.join(dir, 'nowhere'))).not.toThrow();
    expect(() => refuseMovedLedger(fresh, undefined)).not.toThrow();
    mkdirSync(path.dirname(fresh), { recursive: true });
    writeFileSync(fresh, '');
    expect(() => refuseMovedLedger(fresh, legacy)).not.toThrow();
  });
});
