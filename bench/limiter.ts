/** `npm run bench:limiter [-- SECONDS]`: the limiter against the simulated store's published limit (scenario
 *  `limiter-bench`: L requests a second per token, enforced with 429s) for about 30 s of a realistic mix, through a
 *  real StoreClient and the real limiter actor under the `aggressive` profile: one poller per target at poll priority
 *  asking as fast as the limiter allows, price reads twice a second, and a burst of spending calls every few seconds.
 *  Details go to stderr; the last line is one JSON object:
 *  {"limitPerSec":L,"achievedPerSec":x,"utilization":x/L,"http429":n,"purchaseWaitMsP99":y}. */
import { Agent } from 'undici';
import { createActor } from 'xstate';
import { endpointResolver, endpointsLogic } from '../core/actors/endpoints.js';
import { limiterGate, limiterLogic } from '../core/actors/limiter.js';
import { profileSettings } from '../core/config/profiles.js';
import type { Priority, RateGate } from '../core/store/request-gate.js';
import { StoreClient } from '../core/store/store-client.js';
import { StoreRateLimited } from '../core/store/store-error.js';
import { LIMITER_BENCH_LIMIT, scenarioByName } from '../sim/scenarios.js';
import { startWorld } from '../sim/world.js';
import { round2 } from './median.js';

const DURATION_MS = Number(process.argv[2] ?? 30) * 1000;
/** The first windows teach the limiter the store's limit; throughput is measured after them (429s over the whole run). */
const WARMUP_MS = 2_000;
const PROFILE = 'aggressive';
const TARGETS = [{ collection: 1, character: 1 }, { collection: 1, character: 2 }] as const;
const READ_EVERY_MS = 500;
const SPEND_EVERY_MS = 3_000;
const SPEND_BURST = 2;
const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The gate with every grant's wait recorded by priority (denials are counted apart). */
function timedGate(gate: RateGate, waits: Record<Priority, number[]>, denied: Record<Priority, number>): RateGate {
  return {
    async acquire(req) {
      const started = performance.now();
      try {
        const lease = await gate.acquire(req);
        waits[req.priority].push(performance.now() - started);
        return lease;
      } catch (e) {
        if (e instanceof StoreRateLimited) denied[req.priority] += 1;
        throw e;
      }
    },
  };
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const limitPerSec = (LIMITER_BENCH_LIMIT.requests * 1000) / LIMITER_BENCH_LIMIT.windowMs;
const world = await startWorld({ scenario: scenarioByName('limiter-bench') });
const buyer = world.buyers[0]!;
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
const profile = profileSettings(PROFILE);
const limiter = createActor(limiterLogic, { input: { ...profile } });
const endpoints = createActor(endpointsLogic, { input: { primary: world.store.url, mirrors: [] } });
limiter.start();
endpoints.start();

const waits: Record<Priority, number[]> = { spend: [], read: [], poll: [] };
const denied: Record<Priority, number> = { spend: 0, read: 0, poll: 0 };
const errors = new Map<string, number>();
const client = new StoreClient({
  account: buyer.name,
  token: async () => buyer.token,
  gate: timedGate(limiterGate(limiter), waits, denied),
  endpoints: endpointResolver(endpoints),
  dispatcher: agent,
  userAgent: USER_AGENT,
  timeoutMs: profile.requestTimeoutMs,
});

const startedAt = Date.now();
const stopAt = startedAt + DURATION_MS;

/** Runs `call` and keeps going whatever it throws: a denial waits until its retry time, anything else is counted. */
async function attempt(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unknown';
    errors.set(code, (errors.get(code) ?? 0) + 1);
    if (e instanceof StoreRateLimited) await sleep(Math.min(e.retryAt, stopAt) - Date.now());
  }
}

async function poller(collection: number): Promise<void> {
  while (Date.now() < stopAt) await attempt(() => client.collection(collection, { priority: 'poll' }));
}

async function reader(): Promise<void> {
  while (Date.now() < stopAt) {
    const next = Date.now() + READ_EVERY_MS;
    await attempt(() => client.priceTon(TARGETS[0].collection, TARGETS[0].character));
    await sleep(next - Date.now());
  }
}

async function spender(): Promise<void> {
  await sleep(SPEND_EVERY_MS / 2);
  while (Date.now() < stopAt) {
    const next = Date.now() + SPEND_EVERY_MS;
    await Promise.all(
      Array.from({ length: SPEND_BURST }, (_, i) => attempt(() => client.buyTon({ ...TARGETS[i % TARGETS.length]!, count: 1 }))),
    );
    await sleep(Math.min(next, stopAt) - Date.now());
  }
}

let atWarmup = { requests: 0, http429: 0, at: startedAt };
const warmup = sleep(WARMUP_MS).then(() => {
  const s = world.store.stats();
  atWarmup = { requests: s.requests, http429: s.http429, at: Date.now() };
});

try {
  await Promise.all([...TARGETS.map((t) => poller(t.collection)), reader(), spender(), warmup]);
  const end = world.store.stats();
  const seconds = (Date.now() - atWarmup.at) / 1000;
  const achievedPerSec = (end.requests - end.http429 - (atWarmup.requests - atWarmup.http429)) / seconds;
  const facts = {
    profile: PROFILE,
    seconds: round2(seconds),
    requests: end.requests,
    byStatus: end.byStatus,
    denied,
    errors: Object.fromEntries(errors),
    waitMs: Object.fromEntries(
      (['spend', 'read', 'poll'] as const).map((p) => [p, { n: waits[p].length, p50: round2(percentile(waits[p], 50)), p99: round2(percentile(waits[p], 99)), max: round2(percentile(waits[p], 100)) }]),
    ),
  };
  process.stderr.write(`${JSON.stringify(facts)}\n`);
  console.log(JSON.stringify({
    limitPerSec,
    achievedPerSec: round2(achievedPerSec),
    utilization: round2(achievedPerSec / limitPerSec),
    http429: end.http429,
    purchaseWaitMsP99: round2(percentile(waits.spend, 99)),
  }));
} finally {
  limiter.stop();
  endpoints.stop();
  await agent.close();
  await world.close();
}
