/** Runs the demo config against a named hostile scenario of the simulated world, and the money checks every such run
 *  must pass. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { pino } from 'pino';
import { loadDemoConfig, worldVerdict } from '../../cli/demo.js';
import { runBot } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import { scenarioByName } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';
import { ledgerKeyOf } from './store-order-key.js';

/** Buys the demo drop from the scenario's store; `close` stops the world and removes the ledger. */
export async function buyFrom(scenario: string): Promise<{ world: World; summary: RunSummary; close: () => Promise<void> }> {
  const world = await startWorld({ scenario: scenarioByName(scenario), blockIntervalMs: 300 });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `automint-${scenario}-`));
  const config = await loadDemoConfig(world, dataDir);
  const summary = await runBot({ config, log: pino({ level: 'silent' }), command: 'test' });
  return { world, summary, close: async () => { await world.close(); await rm(dataDir, { recursive: true, force: true }); } };
}

/** No order paid twice, no payment the bot did not verify, ledger = store, nothing left unsettled. */
export function expectMoneySafe(world: World, summary: RunSummary): void {
  const orders = world.store.orders();
  const verdict = worldVerdict(orders);
  expect(verdict.doublePaid).toBe(0);
  expect(verdict.mismatched).toBe(0);
  expect(world.store.unmatchedTransfers()).toEqual([]);
  const storePaid = new Set(orders.filter((o) => o.state === 'paid').map(ledgerKeyOf));
  const ledgerPaid = new Set(summary.orders.filter((o) => o.state === 'paid').map((o) => o.orderId));
  expect(ledgerPaid).toEqual(storePaid);
  expect(summary.unknown).toBe(0);
}
