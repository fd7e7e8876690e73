/** `npm run bench:detection [-- --seeds 5 --accounts 1,2,5,10]`: how soon a fleet sees a drop it was not told the
 *  time of. For each number of accounts and each seed: a fresh world in its own process (world-process.ts) whose
 *  collection drops at a seeded random moment 4–6 s after it starts, and a fresh bot (latency-bot.ts, `extreme`
 *  profile, no `dropAt`) whose watcher polls through every account in turn. From the store's own record of the polls:
 *  the detection delay (the first poll that reached the store at or after the drop, minus the drop), and r, the
 *  polls per second per account before the drop. The last stdout line:
 *  `{"r":R,"detectionMs":{"1":{"p50","p99"},"2":{..},..},"ideal":{"1":..},"http429":N}` — p50/p99 over the seeds,
 *  `ideal` the expected delay of evenly staggered polls, 1/(2·N·r). Progress goes to stderr. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { detectionOf, type PollDetection } from './latency-drop.js';
import { median, round2 } from './median.js';
import { forkWorld } from './world-process.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    accounts: { type: 'string', default: '1,2,5,10' },
  },
});
const seeds = Number(flags.seeds);
const accountCounts = flags.accounts.split(',').map(Number);
const here = path.dirname(fileURLToPath(import.meta.url));
const exec = promisify(execFile);
const say = (line: string): boolean => process.stderr.write(line + '\n');

/** mulberry32: a small seeded generator, so a seed always drops at the same moment. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One run's detection delay and its accounts' poll rate before the drop. */
interface Detection extends PollDetection {
  readonly http429: number;
}

async function oneRun(accounts: number, seed: number, dir: string): Promise<Detection> {
  const dropInMs = 4_000 + Math.floor(seeded(seed * 7919 + accounts)() * 2_000);
  const world = await forkWorld(accounts, dropInMs);
  try {
    const stateFile = path.join(dir, `world-${world.pid}.json`);
    await writeFile(stateFile, JSON.stringify({ state: world.state, dropAt: world.dropAt }), { mode: 0o600 });
    await exec(process.execPath, [path.join(here, 'latency-bot.js'), stateFile], { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
    const { polls, http429 } = await world.polls();
    return { ...detectionOf(polls, world.dropAt, accounts), http429 };
  } finally {
    await world.stop();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'automint-detection-bench-'));
const results = new Map<number, Detection[]>();
try {
  for (const accounts of accountCounts) {
    const list: Detection[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const d = await oneRun(accounts, seed, dir);
      list.push(d);
      say(`${accounts} accounts, seed ${seed}: seen ${round2(d.delayMs)} ms after the drop, ${round2(d.perAccountPerSec)} polls/s per account, ${d.http429} × 429`);
    }
    results.set(accounts, list);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const r = round2(median([...results.values()].flat().map((d) => d.perAccountPerSec).filter((x) => Number.isFinite(x))));
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;
console.log(JSON.stringify({
  r,
  detectionMs: Object.fromEntries([...results].map(([n, list]) => {
    const delays = list.map((d) => d.delayMs).filter((x) => Number.isFinite(x));
    return [String(n), { p50: round2(median(delays)), p99: round2(p99(delays)) }];
  })),
  ideal: Object.fromEntries(accountCounts.map((n) => [String(n), round2(1000 / (2 * n * r))])),
  http429: [...results.values()].flat().reduce((sum, d) => sum + d.http429, 0),
  seeds,
}));
