/** The CLI commands in-process: exit codes, what goes to stdout and stderr. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { cli, runCli as run } from '../../support/cli-in-process.js';

let dir: string;
const mnemonic = Array.from({ length: 24 }, () => 'abandon').join(' ');
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2VjcmV0c2lnbmF0dXJlMTIz';

async function configFile(name: string, body: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof body === 'string' ? body : YAML.stringify(body));
  return file;
}

const valid = {
  accounts: [{ name: 'main', storeToken: '${T}', wallet: 'w' }],
  wallets: [{ name: 'w', method: 'ton', mnemonic: '${M}' }],
  targets: [{ collection: 1, character: 2, packs: 5, methods: ['ton'] }],
  budget: { TON: '10' },
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('automint config show', () => {
  it('prints the merged configuration with every secret redacted', async () => {
    const file = await configFile('ok.yaml', valid);
    const r = await cli(['config', 'show', '--config', file, '--profile', 'fast'], { T: token, M: mnemonic, AUTOMINT__BUDGET__TON: '12.5' });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(token);
    expect(r.out).not.toContain('abandon');
    const shown = YAML.parse(r.out.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
    expect(shown).toMatchObject({ profile: 'fast', budget: { TON: '12.5' }, accounts: [{ storeToken: '[redacted]' }], wallets: [{ mnemonic: '[redacted]' }] });
  });

  it('exits 2 naming the key when the config is invalid, without echoing secrets', async () => {
    const file = await configFile('bad.yaml', { ...valid, budget: { TON: '-3' } });
    const r = await cli(['config', 'show', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toContain('budget.TON');
    expect(r.err).not.toContain(token);
  });

  it('exits 2 for a missing file, bad YAML and an unknown key, each with its own message', async () => {
    const missing = await cli(['config', 'show', '--config', path.join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/not found/);
    const yaml = await cli(['config', 'show', '--config', await configFile('broken.yaml', 'accounts: [\n  - name: x\n')]);
    expect(yaml.code).toBe(2);
    expect(yaml.err).toMatch(/YAML/);
    const unknown = await cli(['config', 'show', '--config', await configFile('typo.yaml', { ...valid, targets: [{ ...valid.targets[0], colection: 3 }] })], { T: token, M: mnemonic });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('targets[0].colection');
  });
});

describe('automint plugins', () => {
  it('lists the built-in TON plugin', async () => {
    const r = await cli(['plugins']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ton\s+payment/m);
  });

  it('shows the commands a plugin contributes (the Stars plugin brings login and session)', async () => {
    const r = await cli(['plugins']);
    expect(r.out).toMatch(/\bcommands\b/);
    expect(r.out.split('\n').find((l) => l.startsWith('stars '))).toContain('login,session');
    expect(r.out.split('\n').find((l) => l.startsWith('ton '))).not.toContain('login');
  });

  it('exits 2 when a plugin block in the config is invalid', async () => {
    const file = await configFile('plug.yaml', { ...valid, plugins: { ton: { toleranceBps: 'lots' } } });
    const r = await cli(['plugins', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toContain('plugins.ton.toleranceBps');
  });
});

describe('usage errors', () => {
  it('exits 2 when the mandatory --config is missing', async () => {
    const r = await run(['config', 'show']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("required option '-c, --config <file>' not specified");
  });

  it('exits 2 for an unknown option, an unknown command, a missing argument and a value outside its choices', async () => {
    expect((await run(['config', 'show', '--config', 'x.yaml', '--bogus'])).code).toBe(2);
    expect((await run(['conjure'])).code).toBe(2);
    expect((await run(['run', '--config'])).code).toBe(2);
    const choice = await run(['run', '--config', 'x.yaml', '--profile', 'ludicrous']);
    expect(choice.code).toBe(2);
    expect(choice.err).toContain('Allowed choices are safe, balanced, fast, aggressive, extreme');
    expect((await run([])).code).toBe(2);
  });

  it('exits 0 for --help and --version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: automint');
    expect((await run(['config', 'show', '--help'])).code).toBe(0);
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('one validation for every command', () => {
  const invalidBlocks: [string, Record<string, unknown>, string][] = [
    ['a bot with "@"', { stars: { bot: '@sticker_bot' } }, 'plugins.stars.bot'],
    ['an endpoint that is no URL', { ton: { endpoint: 'toncenter.com' } }, 'plugins.ton.endpoint'],
    ['a negative Stars reserve', { stars: { starsReserve: '-0.1' } }, 'plugins.stars.starsReserve'],
    ['a misspelt plugin id', { tno: {} }, 'plugins.tno'],
  ];

  it.each(invalidBlocks)('config show exits 2 for %s, naming the key and its line', async (_what, plugins, key) => {
    const file = await configFile(`plugin-${key}.yaml`, { ...valid, plugins });
    const r = await cli(['config', 'show', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(key);
    expect(r.err).toMatch(/\.yaml:\d+:\d+\)/);
  });

  it('says "did you mean ton" for plugins.tno', async () => {
    const file = await configFile('tno.yaml', { ...valid, plugins: { tno: {} } });
    const r = await cli(['config', 'show', '--config', file], { T: token, M: mnemonic });
    expect(r.err).toContain('plugins.tno: unknown plugin; did you mean ton?');
  });

  it('doctor refuses an invalid plugin block as a configuration error (exit 2) before any check', async () => {
    const file = await configFile('doctor-plugin.yaml', { ...valid, dataDir: path.join(dir, 'doctor-data'), plugins: { stars: { bot: '@sticker_bot' } } });
    const r = await cli(['doctor', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.out).not.toContain('PASS');
    expect(r.err).toContain('plugins.stars.bot');
  });

  it('refuses a method no plugin provides with its key path in every command', async () => {
    const file = await configFile('paypal.yaml', { ...valid, targets: [{ ...valid.targets[0], methods: ['paypal'] }] });
    for (const argv of [['config', 'show'], ['doctor'], ['orders'], ['reconcile']]) {
      const r = await cli([...argv, '--config', file], { T: token, M: mnemonic });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain('targets[0].methods[0]: no payment plugin "paypal"');
    }
  });

  it('config show prints the data dir resolved against the configuration file\'s folder', async () => {
    const file = await configFile('relative-data.yaml', { ...valid, dataDir: './state' });
    const r = await cli(['config', 'show', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`dataDir: ${path.join(dir, 'state')}`);
  });
});

describe('commands that read the ledger', () => {
  it('orders and doctor never create a ledger: a missing one is exit 2 for orders and none yet for doctor', async () => {
    const data = path.join(dir, 'never-run');
    const file = await configFile('never-run.yaml', { ...valid, dataDir: data, store: { baseUrl: 'http://127.0.0.1:9' } });
    const orders = await cli(['orders', '--config', file], { T: token, M: mnemonic });
    expect(orders.code).toBe(2);
    expect(orders.err).toContain(`dataDir: no ledger at ${path.join(data, 'automint.db')} (has \`automint run\` been run with this config?)`);
    const doctor = await cli(['doctor', '--config', file], { T: token, M: mnemonic });
    expect(doctor.code).toBe(1);
    expect(doctor.out).toContain(`PASS  ledger: none yet at ${path.join(data, 'automint.db')}`);
    const { existsSync } = await import('node:fs');
    expect(existsSync(data)).toBe(false);
  }, 30_000);

  it('reconcile refuses a ledger that does not exist with exit 2', async () => {
    const data = path.join(dir, 'nothing-to-settle');
    const file = await configFile('nothing-to-settle.yaml', { ...valid, dataDir: data });
    const r = await cli(['reconcile', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no ledger at ${path.join(data, 'automint.db')}`);
    const { existsSync } = await import('node:fs');
    expect(existsSync(data)).toBe(false);
  });

  it('reconcile refuses a data dir under /proc with exit 2 at once', async () => {
    const file = await configFile('proc.yaml', { ...valid, dataDir: '/proc/automint-cli-test' });
    const started = Date.now();
    const r = await cli(['reconcile', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/dataDir: .*under \/proc/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('commands that write the data dir', () => {
  it.each([[['login']], [['session', 'logout']]])('%s checks the data dir before anything else (exit 2, no prompt)', async (command) => {
    const file = await configFile(`proc-${command.join('-')}.yaml`, {
      ...valid, dataDir: '/proc/automint-cli-test', plugins: { stars: { apiId: 1, apiHash: '0123456789abcdef0123456789abcdef' } },
    });
    const r = await cli([...command, '--config', file, '--account', 'main'], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/dataDir: \/proc\/automint-cli-test is under \/proc/);
    expect(r.out).toBe('');
  });

  it('login creates a missing data dir before it asks anything', async () => {
    const { existsSync } = await import('node:fs');
    const data = path.join(dir, 'fresh', 'data');
    const file = await configFile('fresh-login.yaml', { ...valid, dataDir: data, accounts: [{ ...valid.accounts[0], name: 'main' }] });
    // No Telegram application configured: login stops right after the data dir check, with a config error of its own.
    const r = await cli(['login', '--config', file, '--account', 'main'], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toContain('plugins.stars.apiId');
    expect(existsSync(data)).toBe(true);
  });
});
