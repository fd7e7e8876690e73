/** `npm run bench:drop-polling [-- RUNS [--unpaced]]`: a watcher with `dropAt` against the world in its own process
 *  (scenario `drop-paced`: the drop 20 s after start, the advertised 120 requests a minute per token enforced), through
 *  the real limiter, store client and watcher under the `extreme` profile; at the first STOCK a purchase stand-in sends
 *  three create-orders at once and one more every 500 ms for 3 s on the polling account. `--unpaced` leaves the
 *  limiter's pace out (the watcher polls every DROP_POLL_FLOOR_MS inside the window, as before the pace). Details to
 *  stderr; the last line is the median over RUNS (default 3) of
 *  {"pollGapMaxMs":..,"pacedMs":..,"firstStockAfterDropMs":..,"spendHeldMs":..,"http429":..}: the largest gap between
 *  two polls from the first one to the first stock seen, the limiter's pace at the end, and the longest a create-order
 *  waited for its lease. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Agent } from 'undici';
import { createActor, fromCallback, setup, spawnChild } from 'xstate';
import { endpointResolver, endpointsLogic } from '../core/actors/endpoints.js';
import { limiterGate, limiterLogic, limiterPollPace } from '../core/actors/limiter.js';
import { RunMetrics } from '../core/actors/run-metrics.js';
import { watcherLogic, type WatcherInput, type WatcherReport } from '../core/actors/watcher.js';
import { profileSettings } from '../core/config/profiles.js';
import type { RateGate } from '../core/store/request-gate.js';
import { StoreClient } from '../core/store/store-client.js';
import { median, round2 } from './median.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const args = process.argv.slice(2);
const unpaced = args.includes('--unpaced');
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const profile = profileSettings('extreme');
const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface WorldFile {
  drops: { collection: number; dropAt: number }[];
  store: { url: string };
  buyers: { name: string; token: string }[];
}

/** Starts `automint world --scenario drop-paced` and resolves with its state once it is up. */
async function startWorldProcess(dir: string): Promise<{ state: WorldFile; stop: () => Promise<void> }> {
  const file = path.join(dir, 'world.json');
  const child = spawn(process.execPath, [cli, 'world', '--scenario', 'drop-paced', '--state', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => (b.toString().includes('is up') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`world exited with ${String(code)}`)));
  });
  const state = JSON.parse(await readFile(file, 'utf8')) as WorldFile;
  return { state, stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }) };
}

async function once(): Promise<Record<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'automint-drop-polling-'));
  const world = await startWorldProcess(dir);
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const limiter = createActor(limiterLogic, { input: { ...profile } });
  const endpoints = createActor(endpointsLogic, { input: { primary: world.state.store.url, mirrors: [] } });
  limiter.start();
  endpoints.start();
  const polls: number[] = [];
  const spendWaits: number[] = [];
  let http429 = 0;
  const base = limiterGate(limiter);
  const gate: RateGate = {
    async acquire(req) {
      const asked = performance.now();
      const lease = await base.acquire(req);
      if (req.priority === 'poll') polls.push(Date.now());
      if (req.priority === 'spend') spendWaits.push(performance.now() - asked);
      return {
        settle: (o) => {
          if (o.status === 429) http429++;
          lease.settle(o);
        },
        release: () => lease.release(),
      };
    },
  };
  const buyer = world.state.buyers[0]!;
  const client = new StoreClient({
    account: buyer.name, token: async () => buyer.token, gate, endpoints: endpointResolver(endpoints), dispatcher: agent,
    userAgent: USER_AGENT, timeoutMs: profile.requestTimeoutMs,
  });
  const dropAt = world.state.drops[0]!.dropAt;
  const pace = limiterPollPace(limiter, profile.pollIntervalMs);
  let stockAt = 0;
  let stopRun = (): void => undefined;
  const stock = new Promise<void>((resolve) => {
    const input: WatcherInput = {
      target: { key: '1:1', collection: 1, character: 1 }, pollers: [{ account: buyer.name, store: client }],
      ...(unpaced ? {} : { pace }), purchases: ['purchase'], pollIntervalMs: profile.pollIntervalMs, maxWaitMs: profile.maxWaitMs,
      dropAt, metrics: new RunMetrics(), log: pino({ level: 'silent' }),
    };
    const machine = setup({
      actors: {
        watcher: watcherLogic,
        purchase: fromCallback<WatcherReport>(({ receive }) => receive((r) => {
          if (r.type === 'STOCK' && stockAt === 0) (stockAt = Date.now()), resolve();
        })),
      },
    }).createMachine({ entry: [spawnChild('purchase', { systemId: 'purchase' }), spawnChild('watcher', { input })] });
    const run = createActor(machine);
    run.start();
    stopRun = () => run.stop();
  });
  try {
    await stock;
    const order = (): Promise<unknown> => client.buyTon({ collection: 1, character: 1, count: 1 }).catch(() => undefined);
    const orders: Promise<unknown>[] = [order(), order(), order()];
    for (let t = 0; t < 3_000; t += 500) {
      await sleep(500);
      orders.push(order());
    }
    await Promise.all(orders);
    const pacedMs = await pace(buyer.name);
    const inWindow = polls.filter((t) => t <= stockAt);
    const gaps = inWindow.slice(1).map((t, i) => t - inWindow[i]!);
    return {
      pollGapMaxMs: Math.max(0, ...gaps),
      polls: inWindow.length,
      pacedMs: round2(pacedMs),
      firstStockAfterDropMs: stockAt - dropAt,
      spendHeldMs: round2(Math.max(0, ...spendWaits)),
      http429,
    };
  } finally {
    stopRun();
    limiter.stop();
    endpoints.stop();
    await agent.close();
    await world.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Record<string, number>[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  process.stderr.write(`run ${i + 1}/${runs}${unpaced ? ' (unpaced)' : ''}: ${JSON.stringify(r)}\n`);
}
console.log(JSON.stringify(Object.fromEntries(Object.keys(results[0]!).map((k) => [k, round2(median(results.map((r) => r[k]!)))]))));
