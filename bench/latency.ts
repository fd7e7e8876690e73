/** `npm run bench:latency [-- --runs 5 --accounts 1,100 --lead-ms 12000 --per-ip N --store-wallets]`: how fast the
 *  bot reacts to a drop, as the user feels it. For each number of accounts, with and without the target's `dropAt`, RUNS times: a fresh world in
 *  its own process (latency-world.ts), a fresh bot process buying its drop (latency-bot.ts), then the world's record
 *  of the polls it received. Runs without `dropAt` drop 3 s after the world starts (the demo's cadence); runs with it
 *  drop LEAD ms after, the bot inside the drop window from its start. Progress goes to stderr; the last stdout line is
 *  `{"detectToWireMs":{"1":{"p50","p99"},"100":{..}},"tonAnswerToSendMs":{..},"starsAnswerToSendMs":{..},
 *  "dropAtBlindMs":..,"spendHeldMs":..,"detail":{..}}`, every figure a median over runs (docs/architecture.md, "Latency figures", says what
 *  each one measures). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { DROP_WINDOW_AFTER_MS, DROP_WINDOW_BEFORE_MS } from '../core/actors/watcher.js';
import { largestPollGap } from './latency-drop.js';
import { forkWorld } from './world-process.js';
import type { BotFigures } from './latency-bot.js';
import { median, round2 } from './median.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    accounts: { type: 'string', default: '1,100' },
    'lead-ms': { type: 'string', default: '12000' },
    /** The bot's store.perIp (burst, per second and in flight alike); the guess when absent. */
    'per-ip': { type: 'string' },
    /** plugins.ton.storeWallets set to the store's wallet: no look-up of the first order's destination on chain. */
    'store-wallets': { type: 'boolean', default: false },
  },
});
const runs = Number(flags.runs);
const accountCounts = flags.accounts.split(',').map(Number);
const leadMs = Number(flags['lead-ms']);
const here = path.dirname(fileURLToPath(import.meta.url));
const exec = promisify(execFile);
const say = (line: string): boolean => process.stderr.write(line + '\n');

/** One bot run's figures and the largest gap between the polls the store received inside the drop window. */
interface RunFigures extends BotFigures {
  readonly blindMs: number;
}

async function oneRun(accounts: number, withDropAt: boolean, dir: string): Promise<RunFigures> {
  const world = await forkWorld(accounts, withDropAt ? leadMs : 3000);
  try {
    const stateFile = path.join(dir, `world-${world.pid}.json`);
    await writeFile(stateFile, JSON.stringify({ state: world.state, dropAt: world.dropAt }), { mode: 0o600 });
    const { stdout } = await exec(process.execPath, [path.join(here, 'latency-bot.js'), stateFile, ...(withDropAt ? ['--drop-at'] : []), ...(flags['per-ip'] ? [`--per-ip=${flags['per-ip']}`] : []), ...(flags['store-wallets'] ? ['--store-wallets'] : [])],
      { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
    const bot = JSON.parse(stdout.trim().split('\n').pop()!) as BotFigures;
    const { polls } = await world.polls();
    const window = {
      from: Math.max(world.dropAt - DROP_WINDOW_BEFORE_MS, bot.startedAt),
      to: Math.min(world.dropAt + DROP_WINDOW_AFTER_MS, bot.endedAt),
    };
    return { ...bot, blindMs: withDropAt ? largestPollGap(polls.map((p) => p.at), window) : 0 };
  } finally {
    await world.stop();
  }
}

/** The median over runs of a per-run p50 and p99 (runs that measured nothing are left out). */
function medianOf(list: readonly RunFigures[], pick: (r: RunFigures) => { p50: number; p99: number; n: number } | undefined): { p50: number; p99: number; n: number } {
  const measured = list.flatMap((r) => {
    const f = pick(r);
    return f === undefined || f.n === 0 ? [] : [f];
  });
  return { p50: round2(median(measured.map((f) => f.p50))), p99: round2(median(measured.map((f) => f.p99))), n: measured.length };
}

/** The median over runs and methods of detectToWire (each run's p50 and p99 per method). */
function detectToWire(list: readonly RunFigures[]): { p50: number; p99: number } {
  const figures = list.flatMap((r) => Object.values(r.latencyMs).map((m) => m['detectToWire']!).filter((f) => f.n > 0));
  return { p50: round2(median(figures.map((f) => f.p50))), p99: round2(median(figures.map((f) => f.p99))) };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'automint-latency-bench-'));
const results = new Map<string, RunFigures[]>();
try {
  for (const accounts of accountCounts) {
    for (const withDropAt of [false, true]) {
      const key = `${accounts}${withDropAt ? '+dropAt' : ''}`;
      const list: RunFigures[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const r = await oneRun(accounts, withDropAt, dir);
        list.push(r);
        const m = (method: string, name: string): string => {
          const f = r.latencyMs[method]?.[name];
          return f === undefined || f.n === 0 ? '-' : `${f.p50}/${f.p99}`;
        };
        say(`${key} run ${i + 1}/${runs}: ok=${r.ok} packs=${r.packs} detect→wire ton ${m('ton', 'detectToWire')} stars ${m('stars', 'detectToWire')}, `
          + `answer→send ton ${m('ton', 'answerToSend')} stars ${m('stars', 'answerToSend')}, spend held ${r.spendHeldMs}, blind ${r.blindMs} `
          + `(${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
      results.set(key, list);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const all = [...results.values()].flat();
const withDrop = [...results.entries()].filter(([k]) => k.endsWith('+dropAt')).flatMap(([, v]) => v);
const detail: Record<string, unknown> = {};
for (const [key, list] of results) {
  const methods = new Set(list.flatMap((r) => Object.keys(r.latencyMs)));
  detail[key] = {
    runs: list.length,
    allOk: list.every((r) => r.ok),
    spendHeldMs: round2(median(list.map((r) => r.spendHeldMs))),
    ...(key.endsWith('+dropAt') ? { blindMs: round2(median(list.map((r) => r.blindMs))) } : {}),
    latencyMs: Object.fromEntries([...methods].map((method) => [method, Object.fromEntries(
      ['detectToWire', 'detectToHandoff', 'laterOrderToWire', 'answerToSend', 'sendToConfirm'].map((name) => [name, medianOf(list, (r) => r.latencyMs[method]?.[name])]),
    )])),
  };
}
const strip = ({ p50, p99 }: { p50: number; p99: number }): { p50: number; p99: number } => ({ p50, p99 });
console.log(JSON.stringify({
  detectToWireMs: Object.fromEntries(accountCounts.map((n) => [String(n), detectToWire(results.get(String(n)) ?? [])])),
  tonAnswerToSendMs: strip(medianOf(all, (r) => r.latencyMs['ton']?.['answerToSend'])),
  starsAnswerToSendMs: strip(medianOf(all, (r) => r.latencyMs['stars']?.['answerToSend'])),
  dropAtBlindMs: round2(median(withDrop.map((r) => r.blindMs))),
  spendHeldMs: round2(median(withDrop.map((r) => r.spendHeldMs))),
  runs, accounts: accountCounts, leadMs,
  detail,
}));
