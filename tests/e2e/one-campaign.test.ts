/** What a person does with one config that used to overbuy: start a second run while the first still buys, run the
 *  same config from another folder, restart a finished campaign, change the campaign between runs. The built CLI in
 *  its own processes against the simulated world; what was bought is read from the store's own books. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCrashRun } from '../../bench/crash-checks.js';
import { toNano } from '../../core/money.js';
import { startWorld, type World } from '../../sim/world.js';
import { openLedger } from '../../core/ledger/database.js';
import { lockDataDir } from '../../core/run/data-dir-lock.js';
import { moneyFacts, runBotProcess, startBot, worldConfig, worldEnv, writeConfigFile } from '../support/bot-process.js';

const BUDGET = { TON: toNano('10'), XTR: 1000n };
const PACKS = 4;

let world: World;
let dir: string;
beforeEach(async () => {
  world = await startWorld({ blockIntervalMs: 400 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-one-campaign-'));
});
afterEach(async () => {
  await world?.close();
  await rm(dir, { recursive: true, force: true });
});

async function paidPacks(ledgerFile: string): Promise<number> {
  const facts = await moneyFacts(world, ledgerFile);
  const verdict = checkCrashRun(facts.world, facts.ledger, BUDGET, PACKS);
  expect(verdict.problems).toEqual([]);
  return verdict.paidPacks;
}

describe('one campaign per ledger', () => {
  it('lets only one of two runs started together on one data dir buy; the other stops at once (exit 3) naming it', async () => {
    const dataDir = path.join(dir, 'data');
    const config = await writeConfigFile(path.join(dir, 'automint.yaml'), worldConfig(world, dataDir), world, dataDir);
    const env = worldEnv(world);
    const bots = [startBot(['run', '--config', config], { env }), startBot(['run', '--config', config], { env })];
    const exits = await Promise.all(bots.map((b) => b.exited));
    expect(exits.map((e) => e.code).sort()).toEqual([0, 3]);
    const loser = exits.findIndex((e) => e.code === 3);
    const winner = bots[1 - loser]!.child.pid;
    expect(exits[loser]!.stderr).toContain(`pid ${winner}`);
    expect(exits[loser]!.stderr).toContain(`kill ${winner}`);
    expect(exits[loser]!.stderr).not.toMatch(/^\s+at /m);
    expect(await paidPacks(path.join(dataDir, 'automint.db'))).toBe(PACKS);
  });

  it('keeps every other writer out while a run holds the data dir (exit 3), and lets readers read beside it', async () => {
    const dataDir = path.join(dir, 'data');
    const config = await writeConfigFile(path.join(dir, 'automint.yaml'), worldConfig(world, dataDir), world, dataDir);
    await (await openLedger(path.join(dataDir, 'automint.db'))).close();
    const env = worldEnv(world);
    const lock = lockDataDir(dataDir, 'run');
    try {
      for (const args of [['run'], ['reconcile'], ['login', '--account', 'alice'], ['session', 'logout', '--account', 'alice']]) {
        const r = await runBotProcess([...args, '--config', config], { env, timeoutMs: 30_000 });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(r.stderr).toContain(`automint run (pid ${process.pid}`);
      }
      const orders = await runBotProcess(['orders', '--config', config], { env, timeoutMs: 30_000 });
      expect(orders.code, orders.stderr).toBe(0);
      expect(orders.stdout).toContain('no orders in the ledger');
    } finally {
      lock.release();
    }
  });

  it('shares one ledger when the same config runs from two working folders, so the second buys nothing more', async () => {
    const configDir = path.join(dir, 'campaign');
    const config = await writeConfigFile(path.join(configDir, 'automint.yaml'), worldConfig(world, './data'), world, path.join(configDir, 'data'));
    const env = worldEnv(world);
    const elsewhere = path.join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const first = await runBotProcess(['run', '--config', path.relative(dir, config)], { cwd: dir, env });
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    const second = await runBotProcess(['run', '--config', config], { cwd: elsewhere, env });
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    expect(existsSync(path.join(elsewhere, 'data'))).toBe(false);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
    expect(await paidPacks(path.join(configDir, 'data', 'automint.db'))).toBe(PACKS);
  });

  it('refuses a config that changed the campaign (exit 2, by key path) until the change is accepted; what was bought still counts', async () => {
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'automint.yaml');
    const env = worldEnv(world);
    await writeConfigFile(file, worldConfig(world, dataDir), world, dataDir);
    expect((await runBotProcess(['run', '--config', file], { env })).code).toBe(0);

    await writeConfigFile(file, worldConfig(world, dataDir, {
      targets: [{ collection: 1, character: 1, packs: PACKS + 1, maxPricePerPack: { TON: '3', XTR: '300' }, methods: ['ton', 'stars'] }],
    }), world, dataDir);
    const refused = await runBotProcess(['run', '--config', file], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("targets[0].packs: packs was 4 when this ledger's campaign started, now 5");
    expect(refused.stderr).toContain('--accept-config-change');

    const accepted = await runBotProcess(['run', '--config', file, '--accept-config-change'], { env });
    expect([0, 1], accepted.stderr.slice(-2000)).toContain(accepted.code);
    const facts = await moneyFacts(world, path.join(dataDir, 'automint.db'));
    const verdict = checkCrashRun(facts.world, facts.ledger, BUDGET, PACKS + 1);
    expect(verdict.problems).toEqual([]);
    // 4 packs at 2.5 TON or 250 Stars took most of the budget; the fifth only if a currency still had room for it.
    expect(verdict.paidPacks).toBeGreaterThanOrEqual(PACKS);
  });
});
