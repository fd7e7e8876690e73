/** A plugin's `close` is called once on every way a command ends: a run that bought everything, a run that failed,
 *  a run stopped by Ctrl-C, and doctor. The built CLI in its own process against the simulated world, with a plugin
 *  from plugins.paths that writes each call to a file. */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../sim/world.js';
import { runBotProcess, startBot, worldConfig, worldEnv, writeConfigFile } from '../support/bot-process.js';
import { esmPlugin, projectFolder } from '../support/plugin-packages.js';

let world: World;
let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  world = await startWorld({ blockIntervalMs: 400 });
  ({ dir, remove } = await projectFolder());
  await writeFile(path.join(dir, 'closer.mjs'), esmPlugin({
    id: 'closer', kind: 'notifier', configSchema: 'z.object({ marker: z.string() }).strict()',
    prelude: "import { appendFileSync } from 'node:fs';\nlet marker;",
    extra: "register(c, cfg) { marker = cfg.marker; appendFileSync(marker, 'registered\\n'); }, close() { appendFileSync(marker, 'closed\\n'); },",
  }));
});
afterEach(async () => {
  await world?.close();
  await remove();
});

/** A config for the world with the closer plugin; `sessions: false` leaves the buyers without a Telegram session. */
async function config(overrides: Record<string, unknown> = {}, sessions = true): Promise<{ file: string; marker: string }> {
  const dataDir = path.join(dir, 'data');
  const marker = path.join(dir, 'closer.log');
  const base = worldConfig(world, dataDir, overrides);
  const plugins = { ...(base['plugins'] as Record<string, unknown>), paths: ['./closer.mjs'], closer: { marker } };
  const file = await writeConfigFile(path.join(dir, 'automint.yaml'), { ...base, plugins }, world, sessions ? dataDir : path.join(dir, 'nowhere'));
  return { file, marker };
}

const calls = async (marker: string): Promise<string[]> => (await readFile(marker, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('closing plugins', () => {
  it('closes the plugin once when a run buys every pack (exit 0)', async () => {
    const { file, marker } = await config();
    const exit = await runBotProcess(['run', '--config', file], { env: worldEnv(world), cwd: path.join(dir, '..') });
    expect(exit.code, exit.stderr).toBe(0);
    expect(await calls(marker)).toEqual(['registered', 'closed']);
  });

  it('closes the plugin once when a run fails after the plugins were registered (exit 1)', async () => {
    const { file, marker } = await config({}, false);
    const exit = await runBotProcess(['run', '--config', file], { env: worldEnv(world) });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('NO_STORE_LOGIN');
    expect(await calls(marker)).toEqual(['registered', 'closed']);
  });

  it('closes the plugin once when a waiting run is stopped with Ctrl-C (exit 130)', async () => {
    // A collection the store never publishes: the run polls until it is stopped.
    const { file, marker } = await config({ targets: [{ collection: 99, character: 1, packs: 1, maxPricePerPack: { TON: '3' }, methods: ['ton'] }] });
    const bot = startBot(['run', '--config', file], { env: worldEnv(world) });
    const deadline = Date.now() + 30_000;
    while (!(await calls(marker)).includes('registered') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_500));
    bot.child.kill('SIGINT');
    const exit = await bot.exited;
    expect(exit.code, exit.stderr).toBe(130);
    expect(await calls(marker)).toEqual(['registered', 'closed']);
  });

  it('closes the plugin once when doctor ends', async () => {
    const { file, marker } = await config();
    const exit = await runBotProcess(['doctor', '--config', file], { env: worldEnv(world) });
    expect([0, 1]).toContain(exit.code);
    expect(exit.stdout).toContain('PASS  plugins');
    expect(await calls(marker)).toEqual(['registered', 'closed']);
  });

  it('closes the plugin once when doctor is stopped with Ctrl-C while a check waits (exit 130)', async () => {
    // A store that takes connections and never answers: the account's check waits until stopped.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const { file, marker } = await config({ store: { baseUrl: `http://127.0.0.1:${port}` } });
      const bot = startBot(['doctor', '--config', file], { env: worldEnv(world), timeoutMs: 40_000 });
      const deadline = Date.now() + 20_000;
      while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      bot.child.kill('SIGINT');
      const exit = await bot.exited;
      expect(exit.code, exit.stderr).toBe(130);
      expect(exit.stdout).toContain('FAIL  stopped: stopped (SIGINT) before every check ran');
      expect(await calls(marker)).toEqual(['registered', 'closed']);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
