/** The order a run ends in: `run.stopped`, the events drained and every plugin's own close come while the ledger is
 *  still open and the data dir still locked by this run. A plugin's close that reads the ledger (LEDGER) must find it
 *  open, and a second run must not be able to take the data dir before this run's plugins are closed. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import type { DependencyContainer } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../core/config/load.js';
import { runBot } from '../../../../core/run/run-bot.js';
import { RunEvents } from '../../../../core/events/run-events.js';
import { DataDirLocked, lockDataDir } from '../../../../core/run/data-dir-lock.js';
import { definePlugin } from '../../../../core/plugins/manifest.js';
import { LEDGER } from '../../../../core/plugins/tokens.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { ENV } from '../../../unit/core/config/config-fixture.js';

/** What the probe plugin saw at its close, and the `run.stopped` subscriber at delivery. */
interface Seen { ledgerRead?: string; lockAtClose?: string; lockAtStopped?: string }

/** Tries to take the data dir as a second run would: `held` when it cannot (this run still has it). */
function lockState(dataDir: string): string {
  try {
    lockDataDir(dataDir, 'second-run').release();
    return 'free';
  } catch (e) {
    return e instanceof DataDirLocked ? 'held' : `error: ${(e as Error).message}`;
  }
}

describe('the end of a run', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'automint-shutdown-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['stopped before it starts', true],
    ['failed (an account without a login)', false],
  ])('closes the events and the plugins before the ledger and the data dir lock: %s', async (_name, stopAtOnce) => {
    const dataDir = path.join(dir, randomUUID());
    const seen: Seen = {};
    let ledger: Ledger | undefined;
    // The plugin's module hands over a manifest made here: its close reads the ledger and tries the lock.
    const probe = definePlugin({
      kind: 'notifier', id: 'shutdownprobe', description: 'checks what is still open when it is closed', hostVersion: '^1',
      configSchema: z.object({}).strict(),
      register: (container: DependencyContainer) => void (ledger = container.resolve(LEDGER)),
      close: async () => {
        try {
          seen.ledgerRead = `orders: ${(await ledger!.orders.list()).length}`;
        } catch (e) {
          seen.ledgerRead = `error: ${(e as Error).message}`;
        }
        seen.lockAtClose = lockState(dataDir);
      },
    });
    const key = `__automintShutdownProbe_${randomUUID().replace(/-/g, '')}`;
    (globalThis as Record<string, unknown>)[key] = probe;
    const file = path.join(dir, `${key}.mjs`);
    await writeFile(file, `export default globalThis[${JSON.stringify(key)}];\n`);
    const accounts = stopAtOnce
      ? 'accounts: [{ name: a, wallet: main, storeToken: "${STORE_TOKEN}" }]\nwallets: [{ name: main, method: ton, mnemonic: "${TON_MNEMONIC}" }]\ntargets: [{ collection: 19, character: 2, packs: 3, methods: [ton] }]\nbudget: { TON: "10" }'
      : 'accounts: [{ name: carol }]\ntargets: [{ collection: 19, character: 2, packs: 1, methods: [stars] }]\nbudget: { XTR: "100" }';
    const yaml = `
dataDir: ${JSON.stringify(dataDir)}
store: { baseUrl: "http://127.0.0.1:9" }
${accounts}
plugins:
  paths: [${JSON.stringify(file)}]
  shutdownprobe: {}
  ton: { endpoint: "http://127.0.0.1:9/jsonRPC" }
  stars: { apiId: 1, apiHash: "0123456789abcdef0123456789abcdef" }
`;
    const { config } = parseConfig(yaml, { env: ENV, label: 'shutdown.yaml' });
    const events = new RunEvents();
    events.subscribe('test', (e) => void (e.type === 'run.stopped' && (seen.lockAtStopped = lockState(dataDir))));
    const stop = new AbortController();
    if (stopAtOnce) stop.abort();
    const outcome = await runBot({ config, log: pino({ level: 'silent' }), command: 'test', signal: stop.signal, events })
      .then(() => 'ok', (e: unknown) => (e as { code?: string }).code);
    expect(outcome).toBe(stopAtOnce ? 'ok' : 'NO_STORE_LOGIN');
    expect(seen).toEqual({ ledgerRead: 'orders: 0', lockAtClose: 'held', lockAtStopped: 'held' });
    // And once the run has returned, the data dir is free for the next one.
    expect(lockState(dataDir)).toBe('free');
  });
});
