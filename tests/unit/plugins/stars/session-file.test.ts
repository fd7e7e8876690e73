import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deleteSession, readSession, sessionPath, writeSession } from '../../../../plugins/stars/session-file.js';
import { TelegramSessionFileError } from '../../../../plugins/stars/telegram-error.js';
import { REDACTED, scrub } from '../../../../core/telemetry/secret-registry.js';

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
const SESSION = `1${'A'.repeat(40)}session-value-for-tests==`;

describe('session files', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-sessions-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('names a file per account under <dataDir>/sessions', () => {
    expect(sessionPath(dataDir, 'alice')).toBe(path.join(dataDir, 'sessions', 'alice.session'));
  });

  it.each(['../alice', 'a/b', '.hidden', '', 'a'.repeat(33)])('refuses the account name %j as a file name', (account) => {
    expect(() => sessionPath(dataDir, account)).toThrow(TelegramSessionFileError);
  });

  it('writes the session with mode 0600 in a directory with mode 0700', async () => {
    const file = sessionPath(dataDir, 'alice');
    await writeSession(file, SESSION);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.dirname(file))).toBe(0o700);
    expect(await readSession(file)).toBe(SESSION);
  });

  it('tightens an existing sessions directory to 0700', async () => {
    await mkdir(path.join(dataDir, 'sessions'), { mode: 0o755 });
    await chmod(path.join(dataDir, 'sessions'), 0o755);
    await writeSession(sessionPath(dataDir, 'alice'), SESSION);
    expect(await mode(path.join(dataDir, 'sessions'))).toBe(0o700);
  });

  it('answers null for an account without a session file', async () => {
    expect(await readSession(sessionPath(dataDir, 'nobody'))).toBeNull();
  });

  it('restricts a session file others can read to 0600 and says so', async () => {
    const file = sessionPath(dataDir, 'alice');
    await writeSession(file, SESSION);
    await chmod(file, 0o644);
    const warnings: unknown[][] = [];
    const session = await readSession(file, { warn: (...args: unknown[]) => void warnings.push(args) } as never);
    expect(session).toBe(SESSION);
    expect(await mode(file)).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).toContain('0600');
    expect(JSON.stringify(warnings)).not.toContain(SESSION);
  });

  it('replaces a session whole, leaving no temporary file behind', async () => {
    const file = sessionPath(dataDir, 'alice');
    await writeSession(file, SESSION);
    const values = Array.from({ length: 20 }, (_, i) => `${SESSION}-${i}`);
    await Promise.all(values.map((v) => writeSession(file, v)));
    expect(values).toContain(await readSession(file));
    expect(await readdir(path.dirname(file))).toEqual(['alice.session']);
  });

  it('keeps the previous session when a write cannot complete', async () => {
    const file = sessionPath(dataDir, 'alice');
    await writeSession(file, SESSION);
    // A directory in the way of the rename makes the last step fail after the temporary file was written.
    const blocked = sessionPath(dataDir, 'bob');
    await mkdir(blocked);
    await writeFile(path.join(blocked, 'x'), 'x');
    await expect(writeSession(blocked, 'new-session-value')).rejects.toBeInstanceOf(TelegramSessionFileError);
    expect((await readdir(path.dirname(file))).sort()).toEqual(['alice.session', 'bob.session']);
    expect(await readFile(file, 'utf8')).toBe(`${SESSION}\n`);
  });

  it('refuses a symlink in place of a session file', async () => {
    const target = path.join(dataDir, 'elsewhere');
    await writeFile(target, SESSION);
    await mkdir(path.join(dataDir, 'sessions'));
    await symlink(target, sessionPath(dataDir, 'alice'));
    await expect(readSession(sessionPath(dataDir, 'alice'))).rejects.toBeInstanceOf(TelegramSessionFileError);
  });

  it('deletes a session and reports whether there was one', async () => {
    const file = sessionPath(dataDir, 'alice');
    await writeSession(file, SESSION);
    expect(await deleteSession(file)).toBe(true);
    expect(await readSession(file)).toBeNull();
    expect(await deleteSession(file)).toBe(false);
  });

  it('registers every session it handles as a secret', async () => {
    const file = sessionPath(dataDir, 'carol');
    const value = `1${'Z'.repeat(30)}carol-only-session`;
    await writeSession(file, value);
    expect(scrub(`session=${value}`)).toBe(`session=${REDACTED}`);
  });

  it('names the file, never the session, when it cannot read', async () => {
    const file = sessionPath(dataDir, 'alice');
    await mkdir(file, { recursive: true });
    const error = await readSession(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramSessionFileError);
    expect((error as Error).message).toContain(file);
  });
});
