/** A user whose machine's clock is wrong: the built CLI in its own process, its wall clock shifted by a preload
 *  (tests/support/skewed-clock.mjs), against the simulated world on the right time. TON transfers are dated by the
 *  chain's clock and found by their seqno, so every one paid is recorded paid and the ledger settles. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCrashRun } from '../../bench/crash-checks.js';
import { toNano } from '../../core/money.js';
import { startWorld, type World } from '../../sim/world.js';
import { moneyFacts, runBotProcess, worldConfig, worldEnv, writeConfigFile } from '../support/bot-process.js';

const PACKS = 4;
const BUDGET = { TON: toNano('20'), XTR: 1000n };
const SKEWED = path.resolve('tests/support/skewed-clock.mjs');

let world: World;
let dir: string;
beforeEach(async () => {
  world = await startWorld({ blockIntervalMs: 400 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-clock-skew-'));
});
afterEach(async () => {
  await world?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a machine whose clock is wrong', () => {
  it.each([90, -90])('buys with TON and records every transfer paid with the clock %i s off; reconcile has nothing left', async (skewSec) => {
    const dataDir = path.join(dir, 'data');
    const targets = [{ collection: 1, character: 1, packs: PACKS, maxPricePerPack: { TON: '3' }, methods: ['ton'] }];
    const config = await writeConfigFile(path.join(dir, 'automint.yaml'), worldConfig(world, dataDir, { targets, budget: { TON: '20' } }), world, dataDir);
    const run = { env: { ...worldEnv(world), AUTOMINT_TEST_CLOCK_SKEW_MS: String(skewSec * 1000) }, nodeArgs: ['--import', SKEWED] };

    const bought = await runBotProcess(['run', '--config', config], run);

    expect(bought.code, bought.stdout.slice(-4000) + bought.stderr).toBe(0);
    // The bot noticed, and said so.
    expect(bought.stdout + bought.stderr).toMatch(/this machine's clock is \d+\.\d s (ahead of|behind) the TON chain's/);
    const facts = await moneyFacts(world, path.join(dataDir, 'automint.db'));
    const verdict = checkCrashRun(facts.world, facts.ledger, BUDGET, PACKS);
    expect(verdict.problems).toEqual([]);
    expect(verdict.paidPacks).toBe(PACKS);
    expect(facts.ledger.openIntents).toBe(0);
    expect(facts.ledger.orders.filter((o) => o.state !== 'paid')).toEqual([]);
    const reconciled = await runBotProcess(['reconcile', '--config', config], run);
    expect(reconciled.code, reconciled.stderr).toBe(0);
  });
});
