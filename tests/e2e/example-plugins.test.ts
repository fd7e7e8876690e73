/** The example external plugins (examples/voucher-plugin, a payment plugin, and examples/webhook-notifier, a notifier)
 *  in real runs of the built `automint`, installed the way a user installs them: compiled to JavaScript in folders of
 *  their own, next to a node_modules that holds automint, and named in `plugins.paths` by their folders' paths in one
 *  run and by their package names in another, each run started from another folder than its config's. Each run buys
 *  its packs with the voucher (the fake issuer pays the store's Stars invoices) and the webhook hears the run's story;
 *  the voucher code and the webhook token — given as ${VOUCHER_CODE} and ${WEBHOOK_TOKEN} and declared secrets by the
 *  plugins' `secretKeys` — are in none of `config show`, the runs' output (debug logs) or the ledger files. */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { sessionPath, writeSession } from '../../plugins/stars/session-file.js';
import { DEMO_SCENARIO } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';
import { startFakeIssuer, type FakeIssuer } from '../../examples/voucher-plugin/test/fake-issuer.js';
import { startWebhookReceiver, type Received, type WebhookReceiver } from '../../examples/webhook-notifier/test/webhook-receiver.js';
import { onSaleNow } from '../support/on-sale-now.js';
import { runBotProcess, type BotExit } from '../support/bot-process.js';

const EXAMPLES = path.resolve('examples');
const CODE = `VCH-${Math.random().toString(36).slice(2, 12)}-e2e`;
const TOKEN = `whk-${Math.random().toString(36).slice(2, 12)}-e2e`;
const PACKS = 2;
const PRICE = 250n;
const WAYS = { byPath: ['./vendor/voucher-plugin', './vendor/webhook-notifier'], byName: ['automint-voucher-plugin', 'automint-webhook-notifier'] } as const;
type Way = keyof typeof WAYS;

let world: World;
let issuer: FakeIssuer;
let hook: WebhookReceiver;
let app: string;
/** Each run's exit, the packs of the orders it made that the voucher paid, and what the webhook heard during it. */
const runs = {} as Record<Way, { exit: BotExit; voucherPacks: number; heard: Received[] }>;

/** An example's sources compiled to `dir/dist` (what its `npm run build` makes) with its package.json beside. */
async function installExampleAt(example: string, dir: string): Promise<void> {
  await mkdir(path.join(dir, 'dist'), { recursive: true });
  await cp(path.join(EXAMPLES, example, 'package.json'), path.join(dir, 'package.json'));
  for (const file of (await readdir(path.join(EXAMPLES, example, 'src'))).filter((f) => f.endsWith('.ts'))) {
    const source = await readFile(path.join(EXAMPLES, example, 'src', file), 'utf8');
    const { outputText } = ts.transpileModule(source, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    await writeFile(path.join(dir, 'dist', file.replace(/\.ts$/, '.js')), outputText);
  }
}

/** A config buying PACKS of character 1 with the voucher only, loading the plugins from `entries`. */
function exampleConfig(entries: readonly string[], dataDir: string): Record<string, unknown> {
  return {
    profile: 'extreme',
    dataDir,
    store: { baseUrl: world.store.url },
    accounts: [{ name: world.buyers[0]!.name }],
    targets: [{ collection: 1, character: 1, packs: PACKS, maxPricePerPack: { XTR: '300' }, methods: ['voucher'] }],
    budget: { XTR: '1000' },
    plugins: {
      paths: entries,
      // The account logs in to the store through Telegram (the Stars plugin), then pays with the voucher.
      stars: { apiId: 1, apiHash: '0123456789abcdef0123456789abcdef', server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem } },
      voucher: { issuerUrl: issuer.url, code: '${VOUCHER_CODE}' },
      webhook: { url: hook.url, token: '${WEBHOOK_TOKEN}' },
    },
    telemetry: { logLevel: 'debug', logFormat: 'json' },
  };
}

async function writeConfig(way: Way): Promise<string> {
  const dataDir = path.join(app, `data-${way}`);
  await writeSession(sessionPath(dataDir, world.buyers[0]!.name), world.buyers[0]!.session);
  const file = path.join(app, `${way}.yaml`);
  await writeFile(file, YAML.stringify(exampleConfig(WAYS[way], `./data-${way}`), { lineWidth: 0 }), { mode: 0o600 });
  return file;
}

const env = (): NodeJS.ProcessEnv => ({ VOUCHER_CODE: CODE, WEBHOOK_TOKEN: TOKEN });

/** The Stars orders made since `before` that the voucher issuer paid (its charge ids start with `vch-`), in packs. */
function voucherPaidPacks(before: Set<string>): number {
  return world.store.orders()
    .filter((o) => !before.has(o.id) && o.currency === 'XTR' && o.state === 'paid' && o.paidBy?.chargeId.startsWith('vch-'))
    .reduce((n, o) => n + o.count, 0);
}

beforeAll(async () => {
  world = await startWorld({ scenario: onSaleNow(DEMO_SCENARIO), blockIntervalMs: 400 });
  issuer = await startFakeIssuer(world.store.invoices, { [CODE]: 10_000n });
  hook = await startWebhookReceiver(TOKEN);
  app = await mkdtemp(path.join(os.tmpdir(), 'automint-example-app-'));
  // The user's folder: automint installed in node_modules (a link to this checkout, built), the plugins installed as
  // packages beside it, and other copies of them in folders of their own.
  await mkdir(path.join(app, 'node_modules'));
  await symlink(path.resolve('.'), path.join(app, 'node_modules', 'automint'), 'dir');
  for (const example of ['voucher-plugin', 'webhook-notifier']) {
    await installExampleAt(example, path.join(app, 'node_modules', `automint-${example}`));
    await installExampleAt(example, path.join(app, 'vendor', example));
  }
  for (const way of Object.keys(WAYS) as Way[]) {
    const file = await writeConfig(way);
    const before = new Set(world.store.orders().map((o) => o.id));
    const heardBefore = hook.received.length;
    // Run from another folder: the entries are read against the config file's folder, not where automint started.
    const exit = await runBotProcess(['run', '--config', file], { cwd: os.tmpdir(), env: env(), timeoutMs: 60_000 });
    runs[way] = { exit, voucherPacks: voucherPaidPacks(before), heard: hook.received.slice(heardBefore) };
  }
}, 150_000);

afterAll(async () => {
  await hook?.close();
  await issuer?.close();
  await world?.close();
  if (app) await rm(app, { recursive: true, force: true });
});

describe.each(Object.keys(WAYS) as Way[])('the example plugins loaded %s', (way) => {
  it('buy the packs with the voucher', () => {
    const { exit, voucherPacks } = runs[way];
    expect(exit.code, exit.stderr.slice(-3000)).toBe(0);
    expect(voucherPacks).toBe(PACKS);
  });

  it('tell the webhook the run\'s story, from start to stop, with its token', () => {
    const heard = runs[way].heard;
    const types = heard.map((r) => r.body.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.stopped');
    expect(heard.at(-1)!.body).toMatchObject({ outcome: 'complete' });
    expect(types).toEqual(expect.arrayContaining(['order.created', 'payment.sent', 'payment.paid', 'target.reached', 'run.summary']));
    const paid = heard.filter((r) => r.body.type === 'payment.paid').map((r) => r.body);
    expect(paid.every((p) => p['method'] === 'voucher' && p['currency'] === 'XTR')).toBe(true);
    expect(paid.reduce((n, p) => n + Number(p['packs']), 0)).toBe(PACKS);
    expect(heard.every((r) => r.authorized)).toBe(true);
  });

  it('are listed by `automint plugins`, enabled, with where they were loaded from', async () => {
    const listed = await runBotProcess(['plugins', '--config', path.join(app, `${way}.yaml`)], { cwd: os.tmpdir(), env: env() });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.split('\n');
    expect(rows.find((l) => l.startsWith('voucher '))).toMatch(/^voucher\s+payment\s+yes\s+\^1\s.*voucher-plugin/);
    expect(rows.find((l) => l.startsWith('webhook '))).toMatch(/^webhook\s+notifier\s+yes\s+\^1\s.*webhook-notifier/);
  });

  it('have their secret keys redacted by `config show`', async () => {
    const shown = await runBotProcess(['config', 'show', '--config', path.join(app, `${way}.yaml`)], { cwd: os.tmpdir(), env: env() });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout + shown.stderr).not.toContain(CODE);
    expect(shown.stdout + shown.stderr).not.toContain(TOKEN);
    expect(shown.stdout).toContain(issuer.url);
    expect(shown.stdout).toContain('code: "[redacted]"');
    expect(shown.stdout).toContain('token: "[redacted]"');
  });

  it('leave the voucher code and the webhook token in no output of the run and no ledger file', async () => {
    const { exit } = runs[way];
    const dataDir = path.join(app, `data-${way}`);
    const files = (await readdir(dataDir)).filter((f) => f.startsWith('automint'));
    expect(files).toContain('automint.db');
    const places: Record<string, string> = {
      output: exit.stdout + exit.stderr,
      ledger: (await Promise.all(files.map((f) => readFile(path.join(dataDir, f))))).map((b) => b.toString('latin1')).join('\n'),
    };
    // The run did log about both plugins (so there was something to leak).
    expect(places['output']).toContain('voucher');
    expect(places['output']).toContain('webhook');
    const hits = Object.entries(places).flatMap(([place, text]) => [CODE, TOKEN].filter((s) => text.includes(s)).map((s) => `${place}: ${s.slice(0, 4)}…`));
    expect(hits).toEqual([]);
  });
});

describe('the voucher', () => {
  it('spent exactly what the store was paid over both runs', () => {
    expect(issuer.balance(CODE)).toBe(10_000n - 2n * BigInt(PACKS) * PRICE);
  });
});
