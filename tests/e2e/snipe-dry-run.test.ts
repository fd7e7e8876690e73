/** `run --dry-run` with a snipe filter against the simulated world: it says what the filter would buy of what the
 *  store lists, that those would be skipped as listed at the first start, and orders nothing. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadDemoConfig } from '../../cli/demo.js';
import { parseConfig } from '../../core/config/load.js';
import { runBot } from '../../core/run/run-bot.js';
import { scenarioByName } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';

describe('snipe mode in a dry run', () => {
  let world: World | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await world?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('previews what the filter would buy of the listed collections, each skipped as listed at the first start', async () => {
    world = await startWorld({ scenario: scenarioByName('snipe'), blockIntervalMs: 300 });
    for (const id of [2, 3, 4]) world.store.scheduleDrop(id, Date.now() + 3_600_000);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-snipe-dry-'));
    const demo = await loadDemoConfig(world, dataDir);
    const { config: filters } = parseConfig(YAML.stringify({
      accounts: demo.accounts.map((a) => ({ name: a.name })),
      snipe: [{ match: { title: '/dog/' }, packs: 1, methods: ['ton'] }],
    }), { env: {}, label: 'snipe.yaml' });
    const abort = new AbortController();
    const run = runBot({ config: { ...demo, dryRun: true, targets: [], snipe: filters.snipe }, log: pino({ level: 'silent' }), command: 'test', signal: abort.signal });
    const end = Date.now() + 60_000;
    // The preview reads the listing, then each listed collection by id.
    while (!world.store.requests().some((r) => r.route === 'GET /api/v1/collection/:id' && r.status === 200) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    abort.abort();
    const summary = await run;
    expect(summary.snipePreview.join('\n')).toContain('snipe[0] would buy 1:1 "Old Dog" of "Old Dogs" (title "Old Dogs" matches /dog/)');
    expect(summary.snipePreview.join('\n')).toContain('skipped: listed when this ledger\'s first run started, so never bought by a filter');
    expect(world.store.orders()).toEqual([]);
  }, 120_000);
});
