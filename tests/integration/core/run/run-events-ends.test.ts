/** The run's events on the ways a run ends before it buys: stopped before it starts, and an account that cannot log
 *  in (no pasted token, no Telegram session). No store or chain is reached; the events a caller subscribed to before
 *  the run (RunOptions.events) must still end with `run.stopped`, and the bus must be closed. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../core/config/load.js';
import { runBot } from '../../../../core/run/run-bot.js';
import { RunEvents, RunEventsError } from '../../../../core/events/run-events.js';
import type { RunEvent } from '../../../../core/events/run-event.js';
import { ENV } from '../../../unit/core/config/config-fixture.js';

describe('run events when a run ends before buying', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'automint-run-events-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Runs `yaml`'s config with a subscriber made before the run; returns what it got and how the run ended. */
  async function eventsOf(yaml: string, stopAtOnce: boolean): Promise<{ got: RunEvent[]; events: RunEvents; error: unknown }> {
    const { config } = parseConfig(yaml.replace('DATA_DIR', JSON.stringify(path.join(dir, randomUUID()))), { env: ENV, label: 'events.yaml' });
    const events = new RunEvents();
    const got: RunEvent[] = [];
    events.subscribe('test', (e) => void got.push(e));
    const stopped = new AbortController();
    if (stopAtOnce) stopped.abort();
    let error: unknown = null;
    await runBot({ config, log: pino({ level: 'silent' }), command: 'test', signal: stopped.signal, events }).catch((e: unknown) => (error = e));
    return { got, events, error };
  }

  it('a run stopped before it starts: started, summary, stopped, then the bus is closed', async () => {
    const { got, events } = await eventsOf(`
dataDir: DATA_DIR
store: { baseUrl: "http://127.0.0.1:9" }
accounts: [{ name: a, wallet: main, storeToken: "\${STORE_TOKEN}" }]
wallets: [{ name: main, method: ton, mnemonic: "\${TON_MNEMONIC}" }]
targets: [{ collection: 19, character: 2, packs: 3, methods: [ton] }]
budget: { TON: "10" }
plugins: { ton: { endpoint: "http://127.0.0.1:9/jsonRPC" } }
`, true);
    expect(got.map((e) => e.type)).toEqual(['run.started', 'run.summary', 'run.stopped']);
    expect(got[0]).toMatchObject({ command: 'test', dryRun: false, targets: ['19:2'], accounts: ['a'], methods: ['ton'], snipe: false });
    expect(got[2]).toMatchObject({ outcome: 'stopped', stopReason: 'stopped before the run started' });
    expect(() => events.subscribe('late', () => undefined)).toThrow(RunEventsError);
  });

  it('an account without a login: login.needed names it and says what to do, and the run ends failed', async () => {
    const { got, error } = await eventsOf(`
dataDir: DATA_DIR
store: { baseUrl: "http://127.0.0.1:9" }
accounts: [{ name: carol }]
targets: [{ collection: 19, character: 2, packs: 1, methods: [stars] }]
budget: { XTR: "100" }
plugins: { stars: { apiId: 1, apiHash: "0123456789abcdef0123456789abcdef" } }
`, false);
    expect(error).toMatchObject({ code: 'NO_STORE_LOGIN' });
    expect(got.map((e) => e.type)).toEqual(['run.started', 'login.needed', 'run.stopped']);
    expect(got[1]).toMatchObject({ account: 'carol', code: 'NO_STORE_LOGIN' });
    expect((got[1] as Extract<RunEvent, { type: 'login.needed' }>).reason).toContain('automint login --account carol');
    expect(got[2]).toMatchObject({ outcome: 'failed', errorCode: 'NO_STORE_LOGIN' });
  });
});
