/** The configuration front door, fuzzed: seeded mutations of config/example.yaml (keys deleted, misspelt or unknown,
 *  values of the wrong type, duplicated list entries, alias bombs, huge strings, odd amounts, broken plugin blocks,
 *  broken YAML) go through the built CLI as a person would run it, `config show` and `run --dry-run` each in its own
 *  process. Every bad input must end in exit 2 naming a key path or a file position, never in a stack trace or a
 *  hang; a configuration `config show` accepts must start a run, which stops promptly on SIGINT.
 *
 *  The base is example.yaml with the store and toncenter at a closed loopback port and the account's store token
 *  written in (from the environment), so a valid configuration starts a real run that reaches nothing outside. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

const CLI = path.resolve('dist/cli/main.js');
const SEED = 20_261_204;
const CASES = 200;
const CONCURRENCY = 2;
/** A valid configuration's run is stopped (SIGINT) when it is still running this long after it was started. */
const RUN_ALIVE_MS = 1_500;
/** Each process lives for a fraction of a second: V8's optimising compiler would cost more CPU than it saves (about
 *  a quarter of each process's CPU on this 2-core machine). The code run is the same. */
const NODE_FLAGS = ['--no-opt'];
/** How soon a stopped run must have ended. */
const STOP_WITHIN_MS = 10_000;
const STORE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNlY3JldA';
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TG_API_HASH: '0123456789abcdef0123456789abcdef',
  TON_MNEMONIC: Array.from({ length: 24 }, (_, i) => ['abandon', 'ability', 'able', 'about'][i % 4]).join(' '),
  TONCENTER_API_KEY: 'toncenter-key-0123456789',
  STORE_TOKEN,
};

// ---- mutations ------------------------------------------------------------------------------------------------

type Path = (string | number)[];
type Tree = Record<string, unknown>;

/** Amount keys of the example, and values an amount must survive or refuse. */
const AMOUNT_PATHS: Path[] = [
  ['budget', 'TON'], ['budget', 'XTR'], ['targets', 0, 'maxPricePerPack', 'TON'], ['targets', 0, 'maxPricePerPack', 'XTR'],
  ['split', 'starsPerTon'], ['plugins', 'ton', 'gasReserve'], ['plugins', 'ton', 'feeAllowance'], ['plugins', 'stars', 'starsReserve'],
];
const AMOUNTS: unknown[] = ['-1', '-0.1', '0', '0.000000001', '0.0000000001', '1.5', '3.50', '1e9', ' 3 ', '3,5', '', '99999999999999999999999', 3.5, -2, 0, true];
const SCALARS: unknown[] = [
  null, true, false, 0, -1, 1.5, 2 ** 53 + 1, 1e308, '', ' ', 'abc', '-5', '3.14159', '0x10', 'null', '~', '${UNSET_FUZZ_VARIABLE}',
  '$${LITERAL}', 'http://', 'https://example.invalid/x', '/proc/automint-fuzz', '@sticker_bot', 'ton', 'ümlaut', [], {}, ['x'], { k: 1 },
];
const BAD_PLUGIN_BLOCKS: [Path, unknown][] = [
  [['plugins', 'stars', 'bot'], '@sticker_bot'],
  [['plugins', 'ton', 'endpoint'], 'toncenter.com'],
  [['plugins', 'stars', 'starsReserve'], '-0.1'],
  [['plugins', 'ton', 'toleranceBps'], 'lots'],
  [['plugins', 'ton', 'validForSec'], 1],
  [['plugins', 'ton', 'confirmTimeoutSec'], 10],
  [['plugins', 'ton', 'storeWallets'], ['not-an-address']],
  [['plugins', 'ton', 'enabled'], 'no'],
  [['plugins', 'ton', 'enabled'], false],
  [['plugins', 'stars', 'apiId'], '123456'],
  [['plugins', 'stars', 'apiHash'], 'XYZ'],
  [['plugins', 'stars', 'webAppUrls'], ['http://stickerdom.store/']],
  [['plugins', 'stars', 'server'], { host: 'localhost', port: 70_000 }],
  [['plugins', 'paypal'], {}],
  [['plugins', 'ton'], 5],
  [['plugins', 'ton'], null],
  [['plugins', 'paths'], ['./missing-plugin.js']],
  [['plugins', 'paths'], ['some-package-that-is-not-there']],
  [['targets', 0, 'methods'], ['ton', 'ton']],
  [['targets', 0, 'methods'], ['paypal']],
  [['targets', 0, 'methods'], []],
  [['targets', 0, 'methods'], 'ton'],
  [['split', 'shares', 'paypal'], 1],
  [['split', 'policy'], 'split'],
  [['wallets', 0, 'method'], 'stars'],
  [['accounts', 0, 'wallet'], 'cold'],
  [['targets', 0, 'accounts'], ['ghost']],
  [['dataDir'], '/proc/automint-fuzz'],
  [['dataDir'], './nested/deeper/data'],
];

type Mutation =
  | { kind: 'delete'; pick: number }
  | { kind: 'scalar'; pick: number; value: number }
  | { kind: 'amount'; pick: number; value: number }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'unknownKey'; pick: number; name: string }
  | { kind: 'misspell'; pick: number; how: number }
  | { kind: 'plugin'; pick: number }
  | { kind: 'huge'; pick: number; size: number }
  | { kind: 'aliasBomb'; nested: boolean }
  | { kind: 'syntax'; at: number; text: number }
  | { kind: 'hugeFile' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 50, arbitrary: fc.record({ kind: fc.constant('scalar' as const), pick: fc.nat(), value: fc.nat() }) },
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('amount' as const), pick: fc.nat(), value: fc.nat() }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('unknownKey' as const), pick: fc.nat(), name: fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,12}$/) }) },
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('misspell' as const), pick: fc.nat(), how: fc.nat() }) },
  { weight: 40, arbitrary: fc.record({ kind: fc.constant('plugin' as const), pick: fc.nat() }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('huge' as const), pick: fc.nat(), size: fc.integer({ min: 10_000, max: 2_000_000 }) }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('aliasBomb' as const), nested: fc.boolean() }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('syntax' as const), at: fc.nat(), text: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hugeFile' as const }) },
);

/** Every path in the tree, with whether it holds a scalar, a list or a map. */
function paths(tree: unknown, at: Path = []): { path: Path; kind: 'scalar' | 'list' | 'map' }[] {
  if (Array.isArray(tree)) return [{ path: at, kind: 'list' }, ...tree.flatMap((v, i) => paths(v, [...at, i]))];
  if (tree !== null && typeof tree === 'object') {
    return [{ path: at, kind: 'map' }, ...Object.entries(tree).flatMap(([k, v]) => paths(v, [...at, k]))];
  }
  return [{ path: at, kind: 'scalar' }];
}

function getAt(tree: unknown, p: Path): unknown {
  return p.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], tree);
}

function setAt(tree: Tree, p: Path, value: unknown): void {
  let node: Record<string | number, unknown> = tree;
  p.slice(0, -1).forEach((key, i) => {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = typeof p[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  node[p[p.length - 1]!] = value;
}

function deleteAt(tree: Tree, p: Path): void {
  const parent = getAt(tree, p.slice(0, -1));
  const key = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
  else if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[key];
}

function typo(word: string, how: number): string {
  if (word.length < 2) return `${word}x`;
  const i = how % (word.length - 1);
  switch (how % 4) {
    case 0: return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2); // swap two letters
    case 1: return word.slice(0, i) + word.slice(i + 1); // drop one
    case 2: return word.toUpperCase();
    default: return `${word}s`;
  }
}

const BOMB = ['["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ...'bcdefgh'.split('').map((_, i) => `[${Array(9).fill(`*l${i}`).join(', ')}]`)];

/** The file text of one fuzz case: `base` with `mutations` applied (structure first, then text). */
function mutate(base: Tree, mutations: readonly Mutation[]): string {
  const tree = structuredClone(base);
  const texts: Mutation[] = [];
  for (const m of mutations) {
    const all = paths(tree).filter((p) => p.path.length > 0);
    const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);
    switch (m.kind) {
      case 'delete': {
        const p = pick(all, m.pick);
        if (p) deleteAt(tree, p.path);
        break;
      }
      case 'scalar': {
        const p = pick(all.filter((x) => x.kind === 'scalar'), m.pick);
        if (p) setAt(tree, p.path, structuredClone(SCALARS[m.value % SCALARS.length]));
        break;
      }
      case 'amount':
        setAt(tree, AMOUNT_PATHS[m.pick % AMOUNT_PATHS.length]!, AMOUNTS[m.value % AMOUNTS.length]);
        break;
      case 'duplicate': {
        const p = pick(all.filter((x) => x.kind === 'list' && (getAt(tree, x.path) as unknown[]).length > 0), m.pick);
        if (p) (getAt(tree, p.path) as unknown[]).push(structuredClone((getAt(tree, p.path) as unknown[])[0]));
        break;
      }
      case 'unknownKey': {
        const p = pick(all.filter((x) => x.kind === 'map'), m.pick);
        setAt(tree, [...(p?.path ?? []), m.name], 1);
        break;
      }
      case 'misspell': {
        const p = pick(all.filter((x) => typeof x.path[x.path.length - 1] === 'string'), m.pick);
        if (!p) break;
        const parent = getAt(tree, p.path.slice(0, -1)) as Record<string, unknown>;
        const key = p.path[p.path.length - 1] as string;
        const misspelt = typo(key, m.how);
        if (misspelt !== key) {
          parent[misspelt] = parent[key];
          delete parent[key];
        }
        break;
      }
      case 'plugin': {
        const [p, value] = BAD_PLUGIN_BLOCKS[m.pick % BAD_PLUGIN_BLOCKS.length]!;
        setAt(tree, p, structuredClone(value));
        break;
      }
      case 'huge': {
        const p = pick(all.filter((x) => x.kind === 'scalar'), m.pick);
        if (p) setAt(tree, p.path, 'x'.repeat(m.size));
        break;
      }
      default:
        texts.push(m);
    }
  }
  let text = YAML.stringify(tree, { lineWidth: 0 });
  for (const m of texts) {
    if (m.kind === 'aliasBomb') {
      const lines = BOMB.map((list, i) => `lol${i}: &l${i} ${list}`);
      text = m.nested
        ? text.replace(/^plugins:\n/m, `plugins:\n${lines.map((l) => `  ${l}\n`).join('')}`)
        : `${lines.join('\n')}\n${text}`;
    } else if (m.kind === 'syntax') {
      const broken = ['\t', '[', ']', '{', ': :', '- ', '&', '*nothing', '"', "'", '%YAML 9.9\n', '\n  - x\n y: 1\n', '!!binary ', '\u0000', '\ufeff'];
      const at = m.at % (text.length + 1);
      text = text.slice(0, at) + broken[m.text % broken.length] + text.slice(at);
    } else if (m.kind === 'hugeFile') {
      text += `# ${'x'.repeat(17 * 1024 * 1024)}\n`;
    }
  }
  return text;
}

// ---- processes ------------------------------------------------------------------------------------------------

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  /** SIGINT was sent (the run was still going), and how long before the process ended. */
  readonly interrupted: boolean;
  readonly stopMs: number | null;
  /** Killed for taking too long. */
  readonly hung: boolean;
  readonly ms: number;
}

/** Runs the CLI in `cwd`; with `stopAfterMs`, sends SIGINT when the process is still running by then. */
function cli(args: string[], cwd: string, opts: { stopAfterMs?: number; timeoutMs: number }): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let interrupted = false;
  let interruptedAt = 0;
  let hung = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stop = opts.stopAfterMs === undefined ? undefined : setTimeout(() => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    interrupted = true;
    interruptedAt = Date.now();
    child.kill('SIGINT');
  }, opts.stopAfterMs);
  const killer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  return new Promise((resolve) => child.once('close', (code, signal) => {
    clearTimeout(stop);
    clearTimeout(killer);
    resolve({ code, signal, out, err, interrupted, stopMs: interrupted ? Date.now() - interruptedAt : null, hung, ms: Date.now() - started });
  }));
}

/** Runs `jobs` at most `limit` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;
/** A problem line of a config error: `  - key.path[0]: message` or one that names the file. */
const KEY_PATH_LINE = /^ {2}- [A-Za-z_$][\w$-]*(?:\[\d+\]|\.[A-Za-z_$][\w$-]*|\["[^"]*"\])*: /m;

function describeOutcome(what: string, o: Outcome): string {
  return `${what}: exit ${o.code} signal ${o.signal} after ${o.ms} ms\n--- stderr\n${o.err.slice(0, 2_000)}\n--- stdout\n${o.out.slice(0, 1_000)}`;
}

/** What must hold for every process: no stack, no hang, and an exit 2 that says where. */
function expectClean(what: string, o: Outcome, file: string): void {
  const text = describeOutcome(what, o);
  expect(o.hung, text).toBe(false);
  expect(STACK_LINE.test(o.out) || STACK_LINE.test(o.err), text).toBe(false);
  expect(o.err, text).not.toMatch(/unexpected error/);
  if (o.code === 2) {
    const where = new RegExp(`${path.basename(file).replace('.', '\\.')}:\\d+:\\d+|${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    expect(KEY_PATH_LINE.test(o.err) || where.test(o.err), text).toBe(true);
  }
}

// ---- the test -------------------------------------------------------------------------------------------------

let root: string;
let base: Tree;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'automint-config-fuzz-'));
  // A loopback port nothing listens on: what a valid run reaches fails at once, and nothing leaves the machine.
  const closed = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const example = await readFile('config/example.yaml', 'utf8');
  base = YAML.parse(example.replace('    # storeToken: ${STORE_TOKEN}', '    storeToken: ${STORE_TOKEN}')) as Tree;
  setAt(base, ['store', 'baseUrl'], `http://127.0.0.1:${closed}`);
  setAt(base, ['plugins', 'ton', 'endpoint'], `http://127.0.0.1:${closed}/api/v2/jsonRPC`);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('config fuzz through the built CLI', () => {
  it(`answers ${CASES} mutated configurations with exit 0 or 2, a key path or position for every refusal, no stack, no hang`, async () => {
    const cases = fc.sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), { seed: SEED, numRuns: CASES });
    const counts = { showOk: 0, showRefused: 0, runRefused: 0, runStopped: 0, runKilledBySignal: 0, runEnded: 0, runRefusedAfterShowOk: 0 };
    const byCode = new Map<string, number>();
    const started = Date.now();
    await pool(cases.map((mutations, i) => async () => {
      const dir = path.join(root, `case-${i}`);
      await mkdir(dir);
      const file = path.join(dir, 'automint.yaml');
      await writeFile(file, mutate(base, mutations));
      const show = await cli(['config', 'show', '--config', file], dir, { timeoutMs: 20_000 });
      expectClean(`case ${i} config show ${JSON.stringify(mutations).slice(0, 300)}`, show, file);
      expect([0, 2], describeOutcome(`case ${i} config show`, show)).toContain(show.code);
      const refusal = /\[(CONFIG_\w+)\]/.exec(show.err)?.[1];
      if (refusal) byCode.set(refusal, (byCode.get(refusal) ?? 0) + 1);
      const run = await cli(['run', '--dry-run', '--config', file], dir, { stopAfterMs: show.code === 0 ? RUN_ALIVE_MS : undefined, timeoutMs: 30_000 });
      expectClean(`case ${i} run --dry-run ${JSON.stringify(mutations).slice(0, 300)}`, run, file);
      if (show.code === 2) {
        // One validation: what config show refuses, a run refuses the same way before it starts.
        counts.showRefused++;
        expect(run.code, describeOutcome(`case ${i} run --dry-run after a refused config`, run)).toBe(2);
        counts.runRefused++;
      } else {
        counts.showOk++;
        // What it prints loads as YAML, with the data dir made absolute (against the file's folder unless overridden).
        const shown = YAML.parse(show.out) as { dataDir: string };
        expect(path.isAbsolute(shown.dataDir), show.out.slice(0, 500)).toBe(true);
        // A valid config starts; stopped, it exits promptly (130, or 0/1 by the run's verdict). A data dir the run
        // cannot use is refused (2) by the run alone: config show does not touch the data dir.
        // A SIGINT that lands before the run has installed its handler ends Node by the signal, which a shell reports as 130.
        const code = run.code ?? (run.signal === 'SIGINT' ? 130 : null);
        expect([0, 1, 2, 130], describeOutcome(`case ${i} run --dry-run`, run)).toContain(code);
        if (run.signal === 'SIGINT') counts.runKilledBySignal++;
        if (run.code === 2) {
          counts.runRefusedAfterShowOk++;
          expect(run.err, describeOutcome(`case ${i} run --dry-run refused what config show accepted`, run)).toMatch(/^ {2}- dataDir: /m);
        }
        else if (run.interrupted) {
          counts.runStopped++;
          expect(run.stopMs, describeOutcome(`case ${i} run --dry-run stopped`, run)).toBeLessThan(STOP_WITHIN_MS);
        } else counts.runEnded++;
      }
    }), CONCURRENCY);
    const refusals = [...byCode].map(([code, n]) => `${code} ${n}`).join(', ');
    console.log(`config fuzz: ${CASES} cases in ${Math.round((Date.now() - started) / 1000)} s; config show exit 0: ${counts.showOk}, exit 2: ${counts.showRefused} (${refusals}); `
      + `run --dry-run exit 2: ${counts.runRefused + counts.runRefusedAfterShowOk} (${counts.runRefusedAfterShowOk} of them on configs config show accepted), `
      + `stopped by SIGINT: ${counts.runStopped} (${counts.runKilledBySignal} of them still starting, ended by the signal itself), ended by itself: ${counts.runEnded}`);
    expect(counts.showOk).toBeGreaterThan(0);
    expect(counts.showRefused).toBeGreaterThan(CASES / 2);
  }, 240_000);
});
