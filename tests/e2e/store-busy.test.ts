/** A store overloaded at the drop: its buy routes answer 503 to many calls. The bot keeps asking, with backoff and
 *  as told by Retry-After, for as long as the drop can still be bought; a run that bought nothing because the store
 *  kept failing never exits 0. Against the simulated world, its faults set on the buy routes only (the watcher still
 *  sees the stock, as when a store's reads are cached and its orders overloaded). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../../cli/demo.js';
import { EXIT_FAILURE, EXIT_OK } from '../../cli/failure.js';
import { runExitCode } from '../../cli/run-exit.js';
import { runBot } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import type { FaultPlan } from '../../sim/store/index.js';
import { DEMO_SCENARIO, type WorldScenario } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';
import { expectMoneySafe } from '../support/hostile-run.js';

const BUY_ROUTES = ['POST /api/v1/shop/buy/crypto', 'POST /api/v1/shop/buy'];
/** Slack for timer rounding between the store's answer and the client's clock, ms. */
const TIMER_SLACK_MS = 5;
/** Longest an order the limiter granted before a 503 reached the bot may still take to reach the store, ms: well under
 *  the Retry-After of 2 s, and above the payer's first backoff (the profile's 250 ms), so ignoring the Retry-After
 *  would show. */
const IN_FLIGHT_MS = 250;

/** The demo config bought from `scenario` with `faults` on the buy routes from the start. */
async function buyThrough(faults: FaultPlan, scenario: WorldScenario = DEMO_SCENARIO): Promise<{ world: World; summary: RunSummary; close: () => Promise<void> }> {
  const world = await startWorld({ scenario, blockIntervalMs: 300 });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-busy-'));
  const close = async (): Promise<void> => {
    await world.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    world.store.setFaults({ ...faults, routes: BUY_ROUTES });
    const config = await loadDemoConfig(world, dataDir);
    const summary = await runBot({ config, log: pino({ level: 'silent' }), command: 'test' });
    return { world, summary, close };
  } catch (e) {
    await close();
    throw e;
  }
}

describe('a store overloaded at the drop', () => {
  it('rides out a run of 503 answers on the buy routes and buys every pack, paying each order once', async () => {
    // 30 in a row: more than every payer's retries together (the profile gives each 2), so counting them as failures
    // would give the drop up.
    const { world, summary, close } = await buyThrough({ status5xx: { burst: 30, status: 503 } });
    try {
      expect(world.store.faultState().injected['status5xx']).toBe(30);
      expectMoneySafe(world, summary);
      expect(summary.packs).toBe(25);
      expect(runExitCode(summary)).toBe(EXIT_OK);
    } finally {
      await close();
    }
  }, 120_000);

  it("asks the store for the account's orders again only once each 503's Retry-After has passed", async () => {
    const { world, summary, close } = await buyThrough({ status5xx: { burst: 8, status: 503, retryAfterSec: 2 } });
    try {
      expectMoneySafe(world, summary);
      expect(summary.packs).toBe(25);
      const log = world.store.requests().filter((r) => BUY_ROUTES.includes(r.route));
      const busy = log.filter((r) => r.status === 503 && r.retryAfter === '2');
      expect(busy).toHaveLength(8);
      let followed = 0;
      for (const r of busy) {
        // The same account's later orders, but for those a payer of it had sent before the 503 reached the bot.
        const next = log.filter((x) => x.caller === r.caller && x.startedAt >= r.answeredAt + IN_FLIGHT_MS);
        if (next.length > 0) followed++;
        for (const x of next) {
          expect(x.startedAt, `${x.route} by ${x.caller} came ${x.startedAt - r.answeredAt} ms after a 503 with Retry-After: 2`)
            .toBeGreaterThanOrEqual(r.answeredAt + 2_000 - TIMER_SLACK_MS);
        }
      }
      // The bot did come back after the 503s (else the check above holds for nothing).
      expect(followed).toBeGreaterThan(0);
    } finally {
      await close();
    }
  }, 120_000);

  it('ends with exit 1, nothing bought, when the buy routes answer 503 until the drop sells out', async () => {
    // Competitors drain the drop in seconds while every order of ours is answered 503.
    const draining: WorldScenario = { ...DEMO_SCENARIO, store: (now) => ({ ...DEMO_SCENARIO.store(now), competitors: { packsPerSecond: 20, startDelayMs: 500 } }) };
    const { world, summary, close } = await buyThrough({ status5xx: { rate: 1, status: 503 } }, draining);
    try {
      expect(summary.packs).toBe(0);
      expect(world.store.orders()).toEqual([]);
      // Kept asking, more than the profile's retries would have allowed.
      expect(world.store.faultState().injected['status5xx']).toBeGreaterThan(10);
      expect(runExitCode(summary)).toBe(EXIT_FAILURE);
      for (const t of summary.targets) expect(t.why.join('; ')).toMatch(/sold out/);
      for (const t of summary.targets) expect(t.why.join('; ')).toMatch(/store busy/);
    } finally {
      await close();
    }
  }, 120_000);
});
