/** `automint doctor`'s checks against the simulated world. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadDemoConfig } from '../../../../cli/demo.js';
import type { AutomintConfig } from '../../../../core/config/schema.js';
import { renderDoctor, runDoctor } from '../../../../core/run/doctor.js';
import { parseConfig } from '../../../../core/config/load.js';
import YAML from 'yaml';
import { startWorld, type World } from '../../../../sim/world.js';
import { startSocks5Proxy } from '../../../../sim/proxy/socks5-server.js';

let world: World;
let dataDir: string;
let config: AutomintConfig;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  world = await startWorld({ blockIntervalMs: 200 });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-doctor-'));
  config = await loadDemoConfig(world, dataDir);
  // As a first `automint run` leaves it: the doctor reads a ledger, it never creates one.
  const { openLedger } = await import('../../../../core/ledger/database.js');
  const { ledgerPath } = await import('../../../../core/run/run-bot.js');
  await (await openLedger(ledgerPath(config))).close();
}, 60_000);

afterAll(async () => {
  await world?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const failed = (results: Awaited<ReturnType<typeof runDoctor>>) => results.filter((r) => !r.ok).map((r) => r.name);

describe('automint doctor', () => {
  it('passes every check when config, store, tokens and wallets are in order', async () => {
    const results = await runDoctor(config, log);
    expect(failed(results)).toEqual([]);
    const names = results.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining([
      'config', 'ledger', 'plugins', 'account alice login', 'account alice store', 'account alice ton balance', 'account bob ton balance',
      'account alice stars balance', 'account bob stars balance', 'clock ton',
    ]));
    expect(renderDoctor(results)).toMatch(/all \d+ checks passed$/);
  });

  it('reports a ledger not created yet as fine, without creating it, and still checks the rest', async () => {
    const { existsSync } = await import('node:fs');
    const elsewhere = path.join(dataDir, 'not-yet-run');
    const results = await runDoctor({ ...config, dataDir: elsewhere }, log);
    const ledger = results.find((r) => r.name === 'ledger')!;
    expect(ledger.ok).toBe(true);
    expect(ledger.detail).toBe(`none yet at ${path.join(elsewhere, 'automint.db')}: the first \`automint run\` creates it (a --dry-run keeps its own)`);
    expect(existsSync(elsewhere)).toBe(false);
    // No session in that folder: the login check fails next, which shows the checks went on.
    expect(results.map((r) => r.name)).toEqual(expect.arrayContaining(['plugins', 'account alice auth']));
  });

  it('names an expired token and says to paste a fresh one', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: '1000', exp: Math.floor(Date.now() / 1000) - 60 })).toString('base64url');
    const expired = `${header}.${payload}.c2lnbmF0dXJl`;
    const cfg = { ...config, accounts: config.accounts.map((a, i) => (i === 0 ? { ...a, storeToken: expired } : a)) };
    const results = await runDoctor(cfg, log);
    const token = results.find((r) => r.name === 'account alice token')!;
    expect(token.ok).toBe(false);
    expect(token.fix).toMatch(/fresh token/);
    expect(failed(results)).not.toContain('account bob token');
    expect(renderDoctor(results)).not.toContain(expired);
  });

  it('says an account without a token or a Telegram session must log in', async () => {
    const { rm: remove } = await import('node:fs/promises');
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'automint-doctor-nosession-'));
    try {
      const results = await runDoctor({ ...config, dataDir: elsewhere }, log);
      const auth = results.find((r) => r.name === 'account alice auth')!;
      expect(auth.ok).toBe(false);
      expect(auth.detail).toMatch(/automint login --account alice/);
    } finally {
      await remove(elsewhere, { recursive: true, force: true });
    }
  });

  it('says the store is unreachable, with the fix, instead of hanging', async () => {
    const cfg = { ...config, store: { ...config.store, baseUrl: 'http://127.0.0.1:9' } };
    const results = await runDoctor(cfg, log);
    const store = results.find((r) => r.name === 'account alice store')!;
    expect(store.ok).toBe(false);
    expect(store.fix).toMatch(/reachable/);
  });

  it('reports a ban window from the ledger, and leaves it in place', async () => {
    const { openLedger } = await import('../../../../core/ledger/database.js');
    const { ledgerPath } = await import('../../../../core/run/run-bot.js');
    const until = Date.now() + 600_000;
    const ledger = await openLedger(ledgerPath(config));
    await ledger.limiter.save([{ pool: 'account:alice', tokens: 0, blockedUntil: until, breakerState: 'closed', breakerOpenedAt: null,
      breakerFailures: 0, learnedLimit: null, learnedWindowMs: null, updatedAt: Date.now() }]);
    await ledger.close();
    const results = await runDoctor(config, log);
    const pool = results.find((r) => r.name === 'pool account:alice')!;
    expect(pool.ok).toBe(false);
    expect(pool.fix).toMatch(/wait/);
    const again = await openLedger(ledgerPath(config));
    expect((await again.limiter.load()).find((p) => p.pool === 'account:alice')?.blockedUntil).toBe(until);
    await again.close();
  });

  // Last: it moves the world's chain clock for good.
  it('fails the clock check, with the fix, when this machine is two minutes behind the chain', async () => {
    world.chain.advanceTime(120);
    await world.chain.produceBlock(); // the next block carries the moved clock
    const results = await runDoctor(config, log);
    expect(failed(results)).toContain('clock ton');
    const clock = results.find((r) => r.name === 'clock ton')!;
    expect(clock.detail).toMatch(/this machine's clock is 1[12]\d\.\d s behind the ton network's/);
    expect(clock.fix).toContain('timedatectl set-ntp true');
  });

  it("checks each account's proxy: one that works carried the store call, a dead one is named without its password", async () => {
    const working = await startSocks5Proxy({ username: 'alice', password: 'doctor-pass-1' });
    const dead = await startSocks5Proxy();
    await dead.close();
    try {
      const cfg = { ...config, accounts: config.accounts.map((a) => ({ ...a, proxy: a.name === 'alice' ? working.url : `socks5://bob:doctor-pass-2@127.0.0.1:${dead.port}` })) };
      const results = await runDoctor(cfg, log);
      const alice = results.find((r) => r.name === 'account alice proxy')!;
      expect(alice.ok).toBe(true);
      expect(alice.detail).toContain(`socks5://alice:***@127.0.0.1:${working.port}`);
      expect(working.book.tunnelsTo(Number(new URL(world.store.url).port))).toBeGreaterThan(0);
      const bob = results.find((r) => r.name === 'account bob proxy')!;
      expect(bob.ok).toBe(false);
      expect(bob.detail).toContain(`through its proxy socks5://bob:***@127.0.0.1:${dead.port}`);
      expect(bob.fix).toMatch(/accounts\[\]\.proxy of bob/);
      const text = renderDoctor(results);
      expect(text).not.toContain('doctor-pass-1');
      expect(text).not.toContain('doctor-pass-2');
    } finally {
      await working.close();
    }
  }, 60_000);

  it('checks the wallets of the accounts a snipe filter buys with, in a config with no targets', async () => {
    const { config: filters } = parseConfig(YAML.stringify({
      accounts: config.accounts.map((a) => ({ name: a.name })),
      snipe: [{ match: { title: '/dog/' }, packs: 1, methods: ['ton'], accounts: ['bob'], maxPricePerPack: { TON: '6' } }],
    }), { env: {}, label: 'snipe.yaml' });
    const results = await runDoctor({ ...config, targets: [], snipe: filters.snipe }, log);
    const names = results.map((r) => r.name);
    expect(names).toContain('account bob ton balance');
    expect(names).not.toContain('account alice ton balance');
    expect(names).not.toContain('account bob stars balance');
  }, 60_000);
});
