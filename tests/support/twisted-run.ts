/** The demo drop bought through a twisting store (twisting-store.ts): the world's order book and chain say what
 *  money moved, whatever the bot was told. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadDemoConfig } from '../../cli/demo.js';
import { runBot } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import { DEMO_SCENARIO } from '../../sim/scenarios.js';
import type { FaultPlan } from '../../sim/store/index.js';
import { startWorld, type World } from '../../sim/world.js';
import { startTwistingStore, type Twist, type TwistingStore, type TwistRule } from './twisting-store.js';

export type Json = Record<string, unknown>;

/** A rule that twists every answer to `GET /api/v1/collection/{id}` (the published ones and the 404s before). */
export const onCollection = (twist: Twist): TwistRule => ({ method, path }) =>
  method === 'GET' && /^\/api\/v1\/collection\/\d+$/.test(path) ? twist : null;

/** Twists the `data` of every collection answer with `rewrite`. */
export const collectionData = (rewrite: (data: Json) => Json): TwistRule => onCollection({ kind: 'data', rewrite: (d) => rewrite(d as Json) });

export interface TwistedRunOptions {
  /** The config's `stopWhenBlind`. */
  readonly stopWhenBlind?: boolean;
  /** Stops the run (as Ctrl-C would). */
  readonly signal?: AbortSignal;
  /** Every log line of the run, parsed. */
  readonly onLog?: (line: Json) => void;
  /** Store faults from the start. */
  readonly faults?: FaultPlan;
}

/** Buys the demo config through the twisting store; `close` stops both and removes the ledger. */
export async function buyThroughTwist(
  rule: TwistRule, opts: TwistedRunOptions = {},
): Promise<{ world: World; store: TwistingStore; summary: RunSummary; close: () => Promise<void> }> {
  const world = await startWorld({ scenario: DEMO_SCENARIO, blockIntervalMs: 300 });
  const store = await startTwistingStore(world.store.url, rule);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-twisted-'));
  const close = async (): Promise<void> => {
    await store.close();
    await world.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (opts.faults) world.store.setFaults(opts.faults);
    const demo = await loadDemoConfig(world, dataDir);
    const config = { ...demo, store: { ...demo.store, baseUrl: store.url }, stopWhenBlind: opts.stopWhenBlind ?? false };
    const log = pino({ level: 'info' }, { write: (line: string) => opts.onLog?.(JSON.parse(line) as Json) });
    const summary = await runBot({ config, log, command: 'test', signal: opts.signal });
    return { world, store, summary, close };
  } catch (e) {
    await close();
    throw e;
  }
}
