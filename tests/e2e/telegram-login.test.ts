/** `automint login`, `session info` and `session logout` in-process against the simulated Telegram: a person typing
 *  the phone, the code Telegram sent and the 2FA password; the session saved at mode 0600; nothing typed echoed back. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import pino from 'pino';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { buildProgram } from '../../cli/program.js';
import { startWorld, type World, type WorldBuyer } from '../../sim/world.js';

let world: World;
let dir: string;
let alice: WorldBuyer;

/** Runs the CLI with `typed` as what the person types, line by line; `onPrompt` may answer later prompts. */
async function cli(argv: string[], typed: (stdin: PassThrough, err: () => string) => Promise<void> = async () => undefined) {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const i = vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
  process.exitCode = 0;
  try {
    const typing = typed(stdin, () => err);
    await buildProgram().exitOverride().parseAsync(['node', 'automint', ...argv]);
    await typing;
  } finally {
    o.mockRestore();
    e.mockRestore();
    i.mockRestore();
    stdin.end();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

/** Waits until the simulated Telegram has sent a login code to `phone` (after `before` earlier ones) and returns it. */
async function codeFor(phone: string, before: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const codes = world.telegram.codesSentTo(phone);
    if (codes.length > before) return codes[codes.length - 1]!;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no login code was sent');
}

async function configFile(extra: Record<string, unknown> = {}): Promise<string> {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, YAML.stringify({
    dataDir: path.join(dir, 'data'),
    store: { baseUrl: world.store.url },
    accounts: [{ name: 'alice' }],
    targets: [{ collection: 1, character: 1, packs: 1, methods: ['stars'] }],
    plugins: {
      stars: {
        apiId: 1, apiHash: '0123456789abcdef0123456789abcdef',
        server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem },
        ...extra,
      },
    },
  }));
  return file;
}

beforeAll(async () => {
  world = await startWorld();
  alice = world.buyers.find((b) => b.name === 'alice')!;
  expect(alice.password).toBeDefined(); // alice has two-step verification in the demo scenario
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-login-'));
}, 60_000);

afterAll(async () => {
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('automint login and session', () => {
  it('logs in with phone, code and 2FA password, saves the session at 0600, and echoes no answer', async () => {
    const config = await configFile();
    const before = world.telegram.codesSentTo(alice.phone).length;
    let code = '';
    const r = await cli(['login', '--config', config, '--account', 'alice'], async (stdin) => {
      stdin.write(`${alice.phone}\n`);
      code = await codeFor(alice.phone, before);
      stdin.write(`${code}\n${alice.password}\n`);
    });
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    // The world's usernames carry `&`, `+`, `%`, spaces and an emoji, shown as they are.
    expect(r.out).toMatch(/logged in account alice as @alice & co\+1 100% 🐱_\d+; session saved to .*alice\.session \(mode 0600\)/);
    const file = path.join(dir, 'data', 'sessions', 'alice.session');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (const typed of [alice.phone, code, alice.password!]) {
      expect(r.out).not.toContain(typed);
      expect(r.err).not.toContain(typed);
    }
  }, 60_000);

  it('logging in again ends the replaced session at Telegram', async () => {
    const config = await configFile();
    const file = path.join(dir, 'data', 'sessions', 'alice.session');
    const old = (await readFile(file, 'utf8')).trim();
    const before = world.telegram.codesSentTo(alice.phone).length;
    const r = await cli(['login', '--config', config, '--account', 'alice'], async (stdin) => {
      stdin.write(`${alice.phone}\n`);
      const code = await codeFor(alice.phone, before);
      stdin.write(`${code}\n${alice.password}\n`);
    });
    expect(r.code).toBe(0);
    expect((await readFile(file, 'utf8')).trim()).not.toBe(old);
    const { TelegramConnection } = await import('../../plugins/stars/telegram-connection.js');
    const { starsConfigSchema } = await import('../../plugins/stars/config.js');
    const stars = starsConfigSchema.parse({
      apiId: 1, apiHash: '0123456789abcdef0123456789abcdef', connectTimeoutSec: 5,
      server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem },
    });
    await expect(TelegramConnection.open({ account: 'alice', session: old, config: stars, log: pino({ level: 'silent' }) }))
      .rejects.toMatchObject({ code: 'TELEGRAM_SESSION_INVALID' });
  }, 60_000);

  it('session info says where the session points and that Telegram accepts it, never printing it', async () => {
    const config = await configFile();
    const r = await cli(['session', 'info', '--config', config, '--account', 'alice', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out.trim().split('\n').at(-1)!) as { mode: string; user: { id: string }; dcId: number };
    expect(info).toMatchObject({ mode: '0600', dcId: 2, user: { id: String(alice.userId) } });
    expect(r.out).not.toContain(alice.session.slice(10, 60));
  }, 30_000);

  it('session logout ends the session at Telegram and deletes the file; info then says to log in', async () => {
    const config = await configFile();
    const out = await cli(['session', 'logout', '--config', config, '--account', 'alice']);
    expect(out.code).toBe(0);
    expect(out.out).toMatch(/logged out at Telegram; session file deleted/);
    const info = await cli(['session', 'info', '--config', config, '--account', 'alice']);
    expect(info.code).toBe(1);
    expect(info.out).toMatch(/run `automint login --account alice`/);
  }, 30_000);

  it('gives up after three wrong passwords with a typed error, and saves nothing', async () => {
    const config = await configFile();
    const before = world.telegram.codesSentTo(alice.phone).length;
    const r = await cli(['login', '--config', config, '--account', 'alice'], async (stdin) => {
      stdin.write(`${alice.phone}\n`);
      const code = await codeFor(alice.phone, before);
      stdin.write(`${code}\nwrong-1\nwrong-2\nwrong-3\n`);
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/TELEGRAM_LOGIN_/);
    expect(r.err).not.toContain('wrong-1');
    await expect(stat(path.join(dir, 'data', 'sessions', 'alice.session'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);

  it('exits 2 naming the key when the Telegram application is not configured', async () => {
    const file = path.join(dir, 'no-app.yaml');
    await writeFile(file, YAML.stringify({
      accounts: [{ name: 'alice' }], targets: [{ collection: 1, character: 1, packs: 1, methods: ['stars'] }], plugins: { stars: {} },
    }));
    const r = await cli(['login', '--config', file, '--account', 'alice']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/plugins\.stars\.apiId/);
  });

  it('refuses an account the configuration does not have', async () => {
    const r = await cli(['login', '--config', await configFile(), '--account', 'mallory']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no account named "mallory"/);
  });
});
