/** The run's word at start about a fleet whose first orders at a drop do not fit what one IP may send: the run is
 *  stopped before it starts (no store, no chain reached), so only arming is seen. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../core/config/load.js';
import { runBot } from '../../../../core/run/run-bot.js';
import { ENV } from '../../../unit/core/config/config-fixture.js';

describe('a fleet over what one IP may send', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'automint-ip-wave-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The warnings of a run of three accounts buying with TON, stopped before it starts. */
  async function warnings(perIp: string): Promise<Record<string, unknown>[]> {
    const yaml = `
dataDir: ${JSON.stringify(path.join(dir, randomUUID()))}
store: { baseUrl: "http://127.0.0.1:9", perIp: ${perIp} }
accounts:
${['a', 'b', 'c'].map((n) => `  - { name: ${n}, wallet: main, storeToken: "\${STORE_TOKEN}" }`).join('\n')}
wallets: [{ name: main, method: ton, mnemonic: "\${TON_MNEMONIC}" }]
targets: [{ collection: 19, character: 2, packs: 3, methods: [ton] }]
budget: { TON: "10" }
plugins: { ton: { endpoint: "http://127.0.0.1:9/jsonRPC" } }
`;
    const { config } = parseConfig(yaml, { env: ENV, label: 'fleet.yaml' });
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const stopped = new AbortController();
    stopped.abort();
    await runBot({ config, log, command: 'test', signal: stopped.signal });
    return lines.filter((l) => String(l['msg']).includes('first orders at a drop'));
  }

  it('says at start that three first orders leave through an IP allowed two at once, and when the last one leaves', async () => {
    const said = await warnings('{ burst: 2, perSec: 4 }');
    expect(said).toHaveLength(1);
    expect(said[0]!['msg']).toContain('3 first orders at a drop (accounts × methods) leave through one IP whose limit is store.perIp.burst 2 at 4/s: the last leaves about 0.3 s after the first');
  });

  it('says nothing when they fit', async () => {
    expect(await warnings('{ burst: 3 }')).toEqual([]);
  });
});
