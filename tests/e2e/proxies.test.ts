/** Accounts behind proxies, against the simulated world: alice behind a SOCKS5 proxy (the store and Telegram go
 *  through it), bob behind an HTTP CONNECT proxy (the store does; Telegram cannot and goes direct). Every store call
 *  of each account reaches the store from its proxy's address; a dead proxy fails only its own account. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../../cli/demo.js';
import { protectSecrets } from '../../cli/session.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { redactConfig } from '../../core/config/redact.js';
import { runBot } from '../../core/run/run-bot.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { knownSecrets } from '../../core/telemetry/secret-registry.js';
import { startHttpProxy } from '../../sim/proxy/http-connect-server.js';
import { startSocks5Proxy, type SimProxy } from '../../sim/proxy/socks5-server.js';
import { startWorld, type World } from '../../sim/world.js';
import { expectMoneySafe } from '../support/hostile-run.js';

const SOCKS_PASSWORD = 's0cks-pass-alice';
const HTTP_PASSWORD = 'http-pass-bob-42';
const ALICE_IP = '127.0.0.21';
const BOB_IP = '127.0.0.22';

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

/** The demo config with each account's proxy set as `proxies` says. */
async function demoBehind(world: World, proxies: Record<string, string>): Promise<AutomintConfig> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-proxies-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const config = await loadDemoConfig(world, dataDir);
  const behind = { ...config, accounts: config.accounts.map((a) => (proxies[a.name] ? { ...a, proxy: proxies[a.name] } : a)) };
  protectSecrets(behind);
  return behind;
}

/** Runs the bot with a JSON logger that scrubs known secrets (as the CLI's does); returns the summary and log lines. */
async function run(config: AutomintConfig): Promise<{ summary: Awaited<ReturnType<typeof runBot>>; lines: string[] }> {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const log = createLogger({ level: 'debug', format: 'json', secrets: knownSecrets, destination });
  const summary = await runBot({ config, log, command: 'test' });
  return { summary, lines };
}

async function started(start: typeof startSocks5Proxy, opts: Parameters<typeof startSocks5Proxy>[0]): Promise<SimProxy> {
  const proxy = await start(opts);
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('accounts behind proxies', () => {
  it("sends every store call of an account through its proxy, and alice's Telegram through her SOCKS5 one", async () => {
    const world = await startWorld({ blockIntervalMs: 300 });
    cleanups.push(() => world.close());
    const socks = await started(startSocks5Proxy, { username: 'alice', password: SOCKS_PASSWORD, outboundAddress: ALICE_IP });
    const http = await started(startHttpProxy, { username: 'bob', password: HTTP_PASSWORD, outboundAddress: BOB_IP });
    const config = await demoBehind(world, { alice: socks.url, bob: http.url });
    const { summary, lines } = await run(config);

    expectMoneySafe(world, summary);
    expect(summary.packs).toBe(25);
    const storePort = Number(new URL(world.store.url).port);
    expect(socks.book.tunnelsTo(storePort)).toBeGreaterThan(0);
    expect(http.book.tunnelsTo(storePort)).toBeGreaterThan(0);
    // alice's MTProto connection (payments and the web-app login) went through SOCKS5; bob's could not.
    expect(socks.book.tunnelsTo(world.telegram.port)).toBeGreaterThan(0);
    expect(http.book.tunnelsTo(world.telegram.port)).toBe(0);
    expect(lines.some((l) => l.includes('telegram cannot use an HTTP proxy') && l.includes('"account":"bob"'))).toBe(true);

    // The store saw each account's calls from its proxy's address only.
    const alice = world.buyers.find((b) => b.name === 'alice')!;
    const bob = world.buyers.find((b) => b.name === 'bob')!;
    const requests = world.store.requests();
    const fromOf = (userId: number): Set<string | undefined> => new Set(requests.filter((r) => r.caller === String(userId)).map((r) => r.from));
    expect(fromOf(alice.userId)).toEqual(new Set([ALICE_IP]));
    expect(fromOf(bob.userId)).toEqual(new Set([BOB_IP]));

    // The passwords are in no log line, and `config show` names the proxies without them.
    for (const secret of [SOCKS_PASSWORD, HTTP_PASSWORD]) expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain(SOCKS_PASSWORD);
    expect(shown).not.toContain(HTTP_PASSWORD);
    expect(shown).toContain(`socks5://alice:***@127.0.0.1:${socks.port}`);
  }, 120_000);

  it('fails only the account whose proxy is dead, naming it without the password; the others buy', async () => {
    const world = await startWorld({ blockIntervalMs: 300 });
    cleanups.push(() => world.close());
    const socks = await started(startSocks5Proxy, { outboundAddress: ALICE_IP });
    const dead = await startSocks5Proxy();
    await dead.close();
    const deadUrl = `socks5://bob:${HTTP_PASSWORD}@127.0.0.1:${dead.port}`;
    const config = await demoBehind(world, { alice: socks.url, bob: deadUrl });
    const { summary, lines } = await run(config);

    expectMoneySafe(world, summary);
    // alice alone buys both targets: the Blue Cat is bob's too, but his proxy never lets a call out.
    expect(summary.packs).toBe(25);
    const bob = world.buyers.find((b) => b.name === 'bob')!;
    expect(world.store.requests().filter((r) => r.caller === String(bob.userId))).toEqual([]);
    expect(world.store.orders().filter((o) => o.userId === bob.userId)).toEqual([]);
    // bob logs in to the store through Telegram, which his dead proxy stops first: the error names it, password hidden.
    const failures = lines.filter((l) => l.includes(`account bob, through its proxy socks5://bob:***@127.0.0.1:${dead.port}`));
    expect(failures.length).toBeGreaterThan(0);
    const bobsTarget = summary.targets.find((t) => t.target === '1:1')!;
    expect(bobsTarget.paid).toBe(20);
    expect(lines.filter((l) => l.includes(HTTP_PASSWORD))).toEqual([]);
  }, 120_000);
});
