/** The secrets audit: the built `automint run` in its own process, against the simulated world, with secrets the test
 *  knows (wallet mnemonics, Telegram sessions, 2FA passwords and phones, the Telegram API hash, a toncenter key, the
 *  store bot's token, the passwords of the accounts' proxies). Every log line (stderr), stdout, every exported span and every byte of the ledger files are
 *  searched for them, and for the shapes of the secrets the run makes itself (store JWTs, initData): zero hits. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { sessionPath, writeSession } from '../../plugins/stars/session-file.js';
import { startWorld, type World } from '../../sim/world.js';
import { startHttpProxy } from '../../sim/proxy/http-connect-server.js';
import { startSocks5Proxy, type SimProxy } from '../../sim/proxy/socks5-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');

let world: World;
let receiver: OtlpReceiver;
let dir: string;
let stdout = '';
let stderr = '';
let exitCode = 0;
const apiHash = randomBytes(16).toString('hex');
const toncenterKey = `tc-${randomBytes(12).toString('hex')}`;
const proxyPasswords = [`px-${randomBytes(9).toString('hex')}`, `px-${randomBytes(9).toString('hex')}`];
let proxies: SimProxy[] = [];
let configFile = '';
let env: Record<string, string> = {};

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  world = await startWorld({ blockIntervalMs: 400 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-audit-'));
  const dataDir = path.join(dir, 'data');
  for (const b of world.buyers) await writeSession(sessionPath(dataDir, b.name), b.session);
  env = { TG_API_HASH: apiHash, TONCENTER_KEY: toncenterKey };
  for (const b of world.buyers) env[`MNEMONIC_${b.name.toUpperCase()}`] = b.mnemonic;
  // The first buyer behind a SOCKS5 proxy, the second behind an HTTP one, each with a password from the environment.
  proxies = [
    await startSocks5Proxy({ username: 'u0', password: proxyPasswords[0]! }),
    await startHttpProxy({ username: 'u1', password: proxyPasswords[1]! }),
  ];
  proxies.forEach((p, i) => {
    env[`PROXY_${i}`] = p.url;
  });
  const config = path.join(dir, 'config.yaml');
  configFile = config;
  await writeFile(config, YAML.stringify({
    profile: 'extreme',
    dataDir,
    store: { baseUrl: world.store.url },
    accounts: world.buyers.map((b, i) => ({ name: b.name, wallet: b.name, ...(i < 2 ? { proxy: `\${PROXY_${i}}` } : {}) })),
    wallets: world.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: `\${MNEMONIC_${b.name.toUpperCase()}}` })),
    targets: [{ collection: 1, character: 1, packs: 10, maxPricePerPack: { TON: '3', XTR: '300' }, methods: ['ton', 'stars'] }],
    budget: { TON: '30', XTR: '1500' },
    plugins: {
      ton: { endpoint: world.chain.endpoint, apiKey: '${TONCENTER_KEY}' },
      stars: { apiId: 1, apiHash: '${TG_API_HASH}', server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem } },
    },
    telemetry: { logLevel: 'debug', logFormat: 'json' },
  }));
  try {
    const r = await run(process.execPath, [CLI, 'run', '--config', config], {
      env: { ...process.env, ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, maxBuffer: 64 * 1024 * 1024, timeout: 90_000,
    });
    stdout = r.stdout;
    stderr = r.stderr;
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; code?: number };
    stdout = failed.stdout ?? '';
    stderr = failed.stderr ?? '';
    exitCode = failed.code ?? 1;
  }
}, 150_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  await world?.close();
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every byte the run left that is not a secret store on purpose (the session files are). */
async function ledgerBytes(): Promise<string> {
  const dataDir = path.join(dir, 'data');
  const files = (await readdir(dataDir)).filter((f) => f.startsWith('automint'));
  expect(files).toContain('automint.db');
  return (await Promise.all(files.map((f) => readFile(path.join(dataDir, f))))).map((b) => b.toString('latin1')).join('\n');
}

describe('secrets audit of a real run', () => {
  it('buys with both methods (so every secret was used)', () => {
    expect(exitCode, stderr.slice(-2000)).toBe(0);
    expect(world.telegram.payments().length).toBeGreaterThan(0);
    expect(world.store.orders().some((o) => o.currency === 'TON' && o.state === 'paid')).toBe(true);
    expect(world.store.stats().auth.issued).toBeGreaterThanOrEqual(2);
    expect(stderr.split('\n').filter(Boolean).length).toBeGreaterThan(20);
    expect(receiver.spans().length).toBeGreaterThan(50);
    // Both proxies carried the store calls of their accounts (so their passwords were used).
    for (const p of proxies) expect(p.book.tunnelsTo(Number(new URL(world.store.url).port))).toBeGreaterThan(0);
  });

  it('shows the proxies in `config show` with their passwords hidden', async () => {
    const shown = await run(process.execPath, [CLI, 'config', 'show', '--config', configFile], { env: { ...process.env, ...env } });
    for (const password of proxyPasswords) expect(shown.stdout + shown.stderr).not.toContain(password);
    expect(shown.stdout).toContain(`socks5://u0:***@127.0.0.1:${proxies[0]!.port}`);
    expect(shown.stdout).toContain(`http://u1:***@127.0.0.1:${proxies[1]!.port}`);
  });

  it('finds no known secret in stdout, stderr, exported spans or the ledger files', async () => {
    const words = (m: string) => m.split(' ');
    const windows = (w: string[]) => w.slice(0, -3).map((_x, i) => w.slice(i, i + 4).join(' '));
    const secrets = [
      apiHash, toncenterKey, world.store.telegramBot.token, ...proxyPasswords,
      ...world.buyers.flatMap((b) => [
        b.mnemonic, ...windows(words(b.mnemonic)), b.session, b.session.slice(30, 90), b.phone, b.token, ...(b.password ? [b.password] : []),
      ]),
    ];
    const places: Record<string, string> = { stdout, stderr, spans: receiver.rawBodies().join('\n'), ledger: await ledgerBytes() };
    const hits: string[] = [];
    for (const [place, text] of Object.entries(places)) {
      for (const secret of new Set(secrets)) if (text.includes(secret)) hits.push(`${place}: ${secret.slice(0, 6)}…`);
    }
    expect(hits).toEqual([]);
  });

  it('finds no store JWT and no Telegram initData anywhere (the run made them; the test never saw them)', async () => {
    const shapes = [/eyJ[A-Za-z0-9_-]{10,}\.eyJ/, /auth_date=\d/, /query_id=/, /tgWebAppData/, /hash=[0-9a-f]{64}/, /"user":\{"id"/];
    const places: Record<string, string> = { stdout, stderr, spans: receiver.rawBodies().join('\n'), ledger: await ledgerBytes() };
    const hits: string[] = [];
    for (const [place, text] of Object.entries(places)) for (const shape of shapes) if (shape.test(text)) hits.push(`${place}: ${shape}`);
    expect(hits).toEqual([]);
  });
});
