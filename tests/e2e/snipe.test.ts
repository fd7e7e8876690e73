/** Snipe mode against the simulated world over real sockets: a bot with no targets, only a `/dog/` filter on rare
 *  characters, buys what the store publishes after its first start and matches — found in the listing, or by
 *  probing the next id before the listing shows it — and nothing else: not the collection listed before it started,
 *  not one the filter does not take, not a common character. A bought target's watcher stops once its purchases end.
 *  Restarted on the same ledger, it buys nothing again. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadDemoConfig } from '../../cli/demo.js';
import { parseConfig } from '../../core/config/load.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { openLedger } from '../../core/ledger/database.js';
import { ledgerPath, runBot, type BotSummary } from '../../core/run/run-bot.js';
import { scenarioByName } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';
import { expectMoneySafe } from '../support/hostile-run.js';

const PACKS = 2;

/** The demo config with its targets replaced by one snipe filter: `/dog/` titles, rare characters, TON only. */
async function snipeConfig(world: World, dataDir: string): Promise<AutomintConfig> {
  const demo = await loadDemoConfig(world, dataDir);
  const { config: filters } = parseConfig(YAML.stringify({
    accounts: demo.accounts.map((a) => ({ name: a.name })),
    snipe: [{ match: { title: '/dog/', rarity: ['rare'] }, packs: PACKS, methods: ['ton'], maxPricePerPack: { TON: '6' } }],
  }), { env: {}, label: 'snipe.yaml' });
  return { ...demo, targets: [], snipe: filters.snipe };
}

/** Packs the store has paid per `collection:character`. */
function paidPacks(world: World): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of world.store.orders().filter((x) => x.state === 'paid')) {
    const key = `${o.collectionId}:${o.characterId}`;
    out[key] = (out[key] ?? 0) + o.count;
  }
  return out;
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a run (its log lines kept in `lines` when given); `stop` ends it (as Ctrl-C would) and gives its summary. */
function startRun(config: AutomintConfig, lines?: string[]): { stop: () => Promise<BotSummary>; done: Promise<BotSummary> } {
  const abort = new AbortController();
  const log = lines ? pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) : pino({ level: 'silent' });
  const done = runBot({ config, log, command: 'test', signal: abort.signal });
  return { done, stop: async () => { abort.abort(); return done; } };
}

/** Polls of a collection the store answered (200, or 304 unchanged) since `from`: a target watcher's; the listing
 *  watcher's probes of the next ids are answered 404 and do not count. */
const answeredById = (world: World, from: number): number => world.store.requests()
  .filter((r) => r.route === 'GET /api/v1/collection/:id' && (r.status === 200 || r.status === 304) && r.startedAt >= from).length;

describe('snipe mode', () => {
  let world: World;
  let dataDir: string;
  let config: AutomintConfig;
  let first: BotSummary;
  let stoppedWatchers: string[] = [];
  let answeredAfterStop = -1;

  beforeAll(async () => {
    world = await startWorld({ scenario: scenarioByName('snipe'), blockIntervalMs: 300 });
    // The new collections wait until the bot has read the listing once (its seen-set seeded), then drop at once.
    for (const id of [2, 3, 4]) world.store.scheduleDrop(id, Date.now() + 3_600_000);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-snipe-'));
    config = await snipeConfig(world, dataDir);
    const lines: string[] = [];
    const run = startRun(config, lines);
    const listed = (): boolean => world.store.requests().some((r) => r.route === 'GET /api/v1/collections' && r.status === 200);
    // Seeding probes past the listing until two ids in a row are not published (2 and 3 here, not dropped yet).
    const probed = (): boolean => world.store.requests().filter((r) => r.route === 'GET /api/v1/collection/:id' && r.status === 404).length >= 2;
    await until('the first listing read and the ids past it probed', () => listed() && probed(), 60_000);
    // The seeding write follows the probes' answers at once; a little slack so it is in the ledger first.
    await new Promise((r) => setTimeout(r, 500));
    for (const id of [2, 3, 4]) world.store.scheduleDrop(id, Date.now());
    await until('both matched targets paid', () => paidPacks(world)['2:1'] === PACKS && paidPacks(world)['4:1'] === PACKS, 90_000);
    // Their purchases end (target reached), and with them their watchers.
    const stopped = (): string[] => lines.map((l) => JSON.parse(l) as { msg: string; watcher?: string })
      .filter((l) => l.msg === 'target ended: its watcher stopped').map((l) => l.watcher ?? '').sort();
    await until('both bought targets\' watchers stopped', () => stopped().length >= 2, 30_000).catch(() => undefined);
    stoppedWatchers = stopped();
    const stoppedAt = Date.now();
    // A few more turns of the listing watcher: nothing else may be bought, and no stopped watcher polls again.
    await new Promise((r) => setTimeout(r, 3_000));
    answeredAfterStop = answeredById(world, stoppedAt);
    first = await run.stop();
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('buys a matching collection listed after the start, and one found by probing the next id before it is listed', () => {
    expect(paidPacks(world)).toEqual({ '2:1': PACKS, '4:1': PACKS });
    expect(world.store.requests().some((r) => r.route === 'GET /api/v1/collection/:id' && r.status === 200)).toBe(true);
    expectMoneySafe(world, first);
    // The summary counts the sniped targets like configured ones.
    expect(first.targets.map((t) => [t.target, t.paid, t.packs])).toEqual(expect.arrayContaining([['2:1', PACKS, PACKS], ['4:1', PACKS, PACKS]]));
    expect(first.stopReason).toBe('signal');
  });

  it('stops a bought target\'s watcher once its purchases have ended (a snipe run goes on until stopped)', () => {
    expect(stoppedWatchers).toEqual(['watcher:2:1', 'watcher:4:1']);
    expect(answeredAfterStop).toBe(0);
  });

  it('never buys the collection listed before the start, one the filter does not match, or a character it refuses', () => {
    const bought = new Set(world.store.orders().map((o) => `${o.collectionId}:${o.characterId}`));
    expect(bought.has('1:1')).toBe(false);
    expect(bought.has('3:1')).toBe(false);
    expect(bought.has('2:2')).toBe(false);
  });

  it('keeps the seen-set in the ledger: the start\'s listing seeded, the probed collection found by id', async () => {
    const ledger = await openLedger(ledgerPath(config), { mustExist: true });
    try {
      const seen = new Map((await ledger.seen.list()).map((s) => [s.collection, s]));
      expect(seen.get(1)?.how).toBe('start');
      expect(seen.get(4)?.how).toBe('probe');
      expect(seen.get(2)?.matched).toEqual([{ filter: 0, character: 1 }]);
      expect(seen.get(3)?.matched).toEqual([]);
    } finally {
      await ledger.close();
    }
  });

  it('buys nothing again after a restart on the same ledger', async () => {
    const ordersBefore = world.store.orders().length;
    const since = Date.now();
    const run = startRun(config);
    // Several listing and probe turns of the restarted run.
    await until('the restarted run polls the listing', () => world.store.requests().some((r) => r.route === 'GET /api/v1/collections' && r.startedAt > since), 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const again = await run.stop();
    expect(world.store.orders()).toHaveLength(ordersBefore);
    expect(paidPacks(world)).toEqual({ '2:1': PACKS, '4:1': PACKS });
    // Re-armed from the ledger, and reached at once: its packs are the ledger's count.
    expect(again.targets.map((t) => t.target).sort()).toEqual(['2:1', '4:1']);
    for (const t of again.targets) expect(t.short).toBe(0);
  }, 120_000);
});
