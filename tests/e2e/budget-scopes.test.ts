/** Budgets per account and per target, on top of the overall one, hold whatever the number of parallel payers: the
 *  demo drop bought with alice limited to 10 TON and the Blue Cat limited to 750 Stars. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig, worldVerdict } from '../../cli/demo.js';
import { AutomintConfigSchema } from '../../core/config/schema.js';
import { toNano } from '../../core/money.js';
import { runBot } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import { startWorld, type World } from '../../sim/world.js';

let world: World;
let dir: string;
let summary: RunSummary;

beforeAll(async () => {
  world = await startWorld({ blockIntervalMs: 300 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-budget-'));
  const demo = await loadDemoConfig(world, dir);
  const config = {
    ...demo,
    accounts: demo.accounts.map((a) => (a.name === 'alice' ? { ...a, budget: { TON: toNano('10') } } : a)),
    targets: demo.targets.map((t, i) => (i === 0 ? { ...t, budget: { XTR: 750n } } : t)),
  } as typeof demo;
  summary = await runBot({ config, log: pino({ level: 'silent' }), command: 'test' });
}, 120_000);

afterAll(async () => {
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('budgets per account and per target', () => {
  it('never lets an account spend past its own budget, fees included', () => {
    const alice = summary.orders.filter((o) => o.account === 'alice' && o.state === 'paid' && o.currency === 'TON');
    const spent = alice.reduce((sum, o) => sum + o.amount + (o.fee ?? 0n), 0n);
    expect(spent).toBeGreaterThan(0n);
    expect(spent).toBeLessThanOrEqual(toNano('10'));
  });

  it('never lets a target cost more than its own budget across accounts', () => {
    const blueCatStars = summary.orders.filter((o) => o.target === '1:1' && o.state === 'paid' && o.currency === 'XTR');
    expect(blueCatStars.reduce((sum, o) => sum + o.amount, 0n)).toBeLessThanOrEqual(750n);
  });

  it('still pays each order once and ends with nothing unsettled', () => {
    expect(worldVerdict(world.store.orders()).doublePaid).toBe(0);
    expect(summary.unknown).toBe(0);
  });

  it('reads per-account and per-target budgets from the config, as decimal strings', () => {
    const parsed = AutomintConfigSchema.parse({
      accounts: [{ name: 'a', storeToken: 'x.y.z', budget: { TON: '2.5' } }],
      targets: [{ collection: 1, character: 1, packs: 1, methods: ['ton'], budget: { XTR: '500' } }],
    });
    expect(parsed.accounts[0]!.budget).toEqual({ TON: toNano('2.5') });
    expect(parsed.targets[0]!.budget).toEqual({ XTR: 500n });
  });
});
