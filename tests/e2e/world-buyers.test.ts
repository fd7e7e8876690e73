/** `automint world --buyers N` as a person runs it (the built CLI in its own process): the world mints N buyers —
 *  the scenario's own first — each with a store token, a funded wallet, a Telegram session and Stars, and the
 *  rehearsal config written from its state file lists one account and wallet per buyer. A bad count is a usage
 *  error. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { fitDemoTree, loadWorldConfig, readWorldState, writeWorldConfig } from '../../cli/world.js';
import { parseConfig } from '../../core/config/load.js';
import { sessionPath } from '../../plugins/stars/session-file.js';
import { runBotProcess, startBot, type BotProcess } from '../support/bot-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-world-buyers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once the world process says it is up (or rejects when it ends first). */
function up(world: BotProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    world.child.stdout!.on('data', (d: Buffer) => (d.toString().includes('is up') ? resolve() : undefined));
    void world.exited.then((e) => reject(new Error(`the world ended before it was up (${e.code}): ${e.stderr}`)));
  });
}

describe('automint world --buyers', () => {
  it('mints N buyers and writes a rehearsal config with N accounts, then removes its state on SIGTERM', async () => {
    const stateFile = path.join(dir, 'state.json');
    const world = startBot(['world', '--buyers', '4', '--state', stateFile], { timeoutMs: 60_000 });
    try {
      await up(world);
      const state = await readWorldState(stateFile);
      expect(state.buyers.map((b) => b.name)).toEqual(['alice', 'bob', 'buyer3', 'buyer4']);
      expect(new Set(state.buyers.map((b) => b.userId)).size).toBe(4);
      for (const b of state.buyers) expect([b.token, b.mnemonic, b.session].every((s) => s.length > 0)).toBe(true);
      // alice keeps the demo's 2FA password; the added buyers have none.
      expect(state.buyers.map((b) => b.password !== undefined)).toEqual([true, false, false, false]);

      const dataDir = path.join(dir, 'data');
      const file = await writeWorldConfig(state, dataDir);
      const written = parseConfig(await readFile(file, 'utf8'), { env: {}, label: file }).config;
      expect(written.accounts.map((a) => a.name)).toEqual(['alice', 'bob', 'buyer3', 'buyer4']);
      expect(written.wallets.map((w) => w.name)).toEqual(['alice', 'bob', 'buyer3', 'buyer4']);
      // Each buyer's Telegram session is saved where `automint login --account <name>` would.
      for (const b of state.buyers) expect(existsSync(sessionPath(dataDir, b.name))).toBe(true);
      const loaded = await loadWorldConfig(state, path.join(dir, 'data2'), {});
      expect(loaded.accounts).toHaveLength(4);
      expect(loaded.targets).toEqual(written.targets);
    } finally {
      world.child.kill('SIGTERM');
    }
    const ended = await world.exited;
    expect(ended.code).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
  }, 90_000);

  it('refuses a count that is not a whole number from 1 as a usage error (exit 2)', async () => {
    for (const n of ['0', 'two', '1.5']) {
      const ended = await runBotProcess(['world', '--buyers', n], { timeoutMs: 30_000 });
      expect(ended.code).toBe(2);
      expect(ended.stderr).toContain('--buyers');
    }
  }, 60_000);
});

describe('the rehearsal config fitted to the buyers', () => {
  const demo = {
    accounts: [{ name: 'alice', wallet: 'alice', proxy: 'socks5://127.0.0.1:1' }, { name: 'bob', wallet: 'bob' }],
    wallets: [{ name: 'alice', method: 'ton', mnemonic: '${A}' }, { name: 'bob', method: 'ton', mnemonic: '${B}' }],
    targets: [{ collection: 1, character: 1 }, { collection: 1, character: 2, accounts: ['bob'] }],
  };

  it('keeps the entries of buyers the world has as written and adds one account and wallet per other buyer', () => {
    const fitted = YAML.parse(YAML.stringify(fitDemoTree(demo, ['alice', 'bob', 'buyer3']))) as typeof demo;
    expect(fitted.accounts).toEqual([...demo.accounts, { name: 'buyer3', wallet: 'buyer3' }]);
    expect(fitted.wallets[2]).toEqual({ name: 'buyer3', method: 'ton', mnemonic: '${AUTOMINT_DEMO_BUYER3_MNEMONIC}' });
    expect(fitted.targets).toEqual(demo.targets);
  });

  it('drops the buyers the world lacks, from the accounts and from a target that named only them', () => {
    const fitted = fitDemoTree(demo, ['alice']) as typeof demo;
    expect(fitted.accounts.map((a) => a.name)).toEqual(['alice']);
    expect(fitted.wallets.map((w) => w.name)).toEqual(['alice']);
    expect(fitted.targets).toEqual([{ collection: 1, character: 1 }]);
  });
});
