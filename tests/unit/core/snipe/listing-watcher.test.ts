/** The listing watcher against a store in memory and a real (in-memory) ledger: the first start's listing is seeded
 *  and never judged, with what probing past it finds (an empty listing is not seeded); a later listed collection is
 *  judged once, a matching one armed (a configured target left alone); a collection reachable by id before it is listed
 *  is found by probing; a failed ledger write or arm is tried again; a restart re-arms earlier matches; a dry run says
 *  what each filter would buy of what is listed. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { Stars } from '../../../../core/money.js';
import { watchListing, type ListingPoller, type ListingReport, type ListingWatcherInput, type SnipeSetup } from '../../../../core/snipe/listing-watcher.js';
import { SEED_PROBES } from '../../../../core/snipe/seed-seen.js';
import { snipeFilters } from '../../../../core/snipe/snipe-filter.js';
import type { RunTarget } from '../../../../core/actors/sniper.js';
import type { Collection, CollectionView } from '../../../../core/store/collection-answer.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';
const log = pino({ level: 'silent' });

/** A store whose collections are published (by id) and listed as the test says. */
class FakeStore {
  readonly published = new Map<number, Collection>();
  readonly listed = new Set<number>();
  /** Every call, in order: the listing (`list`) or the id asked, with the priority it was asked at. */
  readonly asked: Array<{ what: number | 'list'; priority: string | undefined }> = [];
  publish(id: number, title: string, listed = true): void {
    this.published.set(id, { id, title, status: 'active', notes: [], characters: [
      { id: 1, name: 'One', left: 5, priceStars: 10n as Stars, supply: 5, rarity: 'rare', problems: [] },
      { id: 2, name: 'Two', left: 5, priceStars: 10n as Stars, supply: 50, rarity: 'common', problems: [] },
    ] });
    if (listed) this.listed.add(id);
  }
  poller(account: string): ListingPoller {
    return {
      account,
      store: {
        collections: async (opts?: { priority?: string }) => {
          this.asked.push({ what: 'list', priority: opts?.priority });
          return { collections: [...this.listed].map((id) => ({ id, title: null, status: null })), notes: [] };
        },
        collection: async (id: number, opts?: { priority?: string }): Promise<CollectionView> => {
          this.asked.push({ what: id, priority: opts?.priority });
          const c = this.published.get(id);
          return c ? { published: true, ...c } : { published: false };
        },
        priceTon: async () => { throw new Error('not asked'); },
      },
    };
  }
}

function setup(ledger: Ledger, store: FakeStore, extra: Partial<ListingWatcherInput> = {}) {
  const cfg = parseConfig(YAML.stringify({
    accounts: [{ name: 'alice', storeToken: TOKEN }, { name: 'bob', storeToken: TOKEN }],
    targets: [{ collection: 3, character: 1, packs: 1, methods: ['ton'] }],
    snipe: [{ packs: 2, methods: ['ton'], match: { title: '/dog/', rarity: ['rare'] } }],
  }), { env: {}, label: 'w.yaml' }).config;
  const reports: ListingReport[] = [];
  const input: ListingWatcherInput = {
    filters: snipeFilters(cfg), seen: ledger.seen, configured: new Set(['3:1']),
    arm: async (f, collection, character) => ({ collection, character, packs: f.buying.packs } as unknown as RunTarget),
    pollers: [store.poller('alice'), store.poller('bob')], pollIntervalMs: 5, dryRun: false, log, ...extra,
  };
  const stop = new AbortController();
  const done = watchListing(input, (r) => reports.push(r), stop.signal);
  const armed = (): string[] => reports.flatMap((r) => (r.type === 'SNIPE_ARM' ? r.targets.map((t) => `${t.collection}:${t.character}`) : []));
  return { reports, armed, stop: async () => { stop.abort(); await done; } };
}

async function until(ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 5_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the listing watcher', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await openLedger(':memory:');
  });
  afterEach(() => ledger.close());

  it('never takes what was listed at the first start, arms a later matching collection once, skips the rest', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    const w = setup(ledger, store);
    await until(async () => (await ledger.seen.seededAt()) !== null);
    store.publish(2, 'New Dogs');
    store.publish(5, 'Birds');
    store.publish(3, 'Configured Dogs');
    await until(async () => (await ledger.seen.list()).length === 4);
    await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    // Character 1 is rare, 2 common; 3:1 is a configured target.
    expect(w.armed()).toEqual(['2:1']);
    const seen = new Map((await ledger.seen.list()).map((s) => [s.collection, s]));
    expect(seen.get(1)?.how).toBe('start');
    expect(seen.get(5)?.matched).toEqual([]);
    const arm = w.reports.find((r) => r.type === 'SNIPE_ARM');
    expect(arm?.type === 'SNIPE_ARM' && arm.matches[0]!.why).toBe('title "New Dogs" matches /dog/; rarity rare is one of [rare]');
  });

  it('finds a collection published but not listed by probing the ids after the highest seen', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    const w = setup(ledger, store);
    await until(async () => (await ledger.seen.seededAt()) !== null);
    store.publish(2, 'Hidden Dogs', false);
    await until(() => w.armed().length > 0);
    await w.stop();
    expect(w.armed()).toEqual(['2:1']);
    expect((await ledger.seen.list()).find((s) => s.collection === 2)?.how).toBe('probe');
  });

  it('re-arms at a restart what earlier runs matched, and takes nothing new from what they saw', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    const first = setup(ledger, store);
    await until(async () => (await ledger.seen.seededAt()) !== null);
    store.publish(2, 'New Dogs');
    await until(() => first.armed().length > 0);
    await first.stop();
    const again = setup(ledger, store);
    await until(() => again.armed().length > 0);
    await new Promise((r) => setTimeout(r, 50));
    await again.stop();
    expect(again.armed()).toEqual(['2:1']);
    const arm = again.reports.find((r) => r.type === 'SNIPE_ARM');
    expect(arm?.type === 'SNIPE_ARM' && arm.matches[0]!.why).toBe('matched in an earlier run');
  });

  it('does not seed from an empty listing but tries again, and never buys what the store had before it listed it', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs', false);
    store.publish(2, 'Older Dogs', false);
    const w = setup(ledger, store);
    await until(() => store.asked.filter((a) => a.what === 'list').length >= 3);
    expect(await ledger.seen.seededAt()).toBeNull();
    expect(await ledger.seen.list()).toEqual([]);
    store.listed.add(1);
    await until(async () => (await ledger.seen.seededAt()) !== null);
    expect((await ledger.seen.list()).map((s) => [s.collection, s.how])).toEqual([[1, 'start'], [2, 'start']]);
    expect(await ledger.seen.highWater()).toBe(2);
    // 3:1 is a configured target: the next new one is 4.
    store.publish(4, 'New Dogs');
    await until(() => w.armed().length > 0);
    await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    expect(w.armed()).toEqual(['4:1']);
  });

  it('seeds what a partial listing leaves out by probing past it, and never judges an id at or below the highest then', async () => {
    const store = new FakeStore();
    // Listed: 1 and 2 only (one page, or the ones still on sale); 3-5 and 7 exist too, 6 is a gap.
    for (const id of [1, 2]) store.publish(id, `Listed Dogs ${id}`);
    for (const id of [3, 4, 5, 7]) store.publish(id, `Unlisted Dogs ${id}`, false);
    const w = setup(ledger, store);
    await until(async () => (await ledger.seen.seededAt()) !== null);
    expect((await ledger.seen.list()).map((s) => [s.collection, s.how])).toEqual([[1, 'start'], [2, 'start'], [3, 'start'], [4, 'start'], [5, 'start'], [7, 'start']]);
    expect(await ledger.seen.highWater()).toBe(7);
    // The seeding's probes went past the gap up to two unpublished ids in a row, at poll priority.
    const seedingProbes = store.asked.filter((a) => typeof a.what === 'number');
    expect(seedingProbes.slice(0, 7)).toEqual([3, 4, 5, 6, 7, 8, 9].map((what) => ({ what, priority: 'poll' })));
    // Listed later: one the store had at the start, and the gap filled; then a new one past the mark.
    store.listed.add(4);
    store.publish(6, 'Gap Dogs');
    store.publish(8, 'New Dogs');
    await until(() => w.armed().length > 0);
    await until(async () => (await ledger.seen.list()).some((s) => s.collection === 8));
    await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    expect(w.armed()).toEqual(['8:1']);
    expect((await ledger.seen.list()).map((s) => s.collection)).not.toContain(6);
  });

  it(`goes on probing at the next attempt when ${SEED_PROBES} ids past the listing are all published, seeding nothing before`, async () => {
    const store = new FakeStore();
    store.publish(1, 'Listed Dogs');
    const hidden = SEED_PROBES + 10;
    for (let id = 2; id <= 1 + hidden; id += 1) store.publish(id, `Unlisted Dogs ${id}`, false);
    const w = setup(ledger, store);
    await until(async () => (await ledger.seen.seededAt()) !== null);
    // Two attempts: the first stopped at its bound (nothing written), the second went on from there.
    expect(store.asked.filter((a) => a.what === 'list').length).toBeGreaterThanOrEqual(2);
    expect(await ledger.seen.list()).toHaveLength(1 + hidden);
    expect(await ledger.seen.highWater()).toBe(1 + hidden);
    store.publish(2 + hidden, 'New Dogs', false);
    await until(() => w.armed().length > 0);
    await w.stop();
    expect(w.armed()).toEqual([`${2 + hidden}:1`]);
  });

  it('judges a collection again when the ledger write failed, and arms its match then', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    let failures = 1;
    const seen: SnipeSetup['seen'] = {
      seededAt: () => ledger.seen.seededAt(), seed: (ids) => ledger.seen.seed(ids), list: () => ledger.seen.list(),
      highWater: () => ledger.seen.highWater(),
      markSeen: async (id, how, matched) => {
        if (failures-- > 0) throw new Error('SQLITE_IOERR: disk I/O error');
        return ledger.seen.markSeen(id, how, matched);
      },
    };
    const w = setup(ledger, store, { seen });
    await until(async () => (await ledger.seen.seededAt()) !== null);
    store.publish(2, 'New Dogs');
    await until(() => w.armed().length > 0);
    await w.stop();
    expect(failures).toBeLessThan(0);
    expect(w.armed()).toEqual(['2:1']);
    expect((await ledger.seen.list()).find((s) => s.collection === 2)?.matched).toEqual([{ filter: 0, character: 1 }]);
  });

  it('arms a match again at the next turn when arming it failed', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    let failures = 1;
    const w = setup(ledger, store, {
      arm: async (f, collection, character) => {
        if (failures-- > 0) throw new Error('database is locked');
        return { collection, character, packs: f.buying.packs } as unknown as RunTarget;
      },
    });
    await until(async () => (await ledger.seen.seededAt()) !== null);
    store.publish(2, 'New Dogs');
    await until(() => w.armed().length > 0);
    await w.stop();
    expect(w.armed()).toEqual(['2:1']);
    const arm = w.reports.find((r) => r.type === 'SNIPE_ARM');
    expect(arm?.type === 'SNIPE_ARM' && arm.matches[0]!.why).toBe('title "New Dogs" matches /dog/; rarity rare is one of [rare]');
  });

  it('re-arms at a restart what earlier runs matched even when the first arm failed', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    store.publish(2, 'New Dogs');
    await ledger.seen.seed([1]);
    await ledger.seen.markSeen(2, 'listing', [{ filter: 0, character: 1 }]);
    let failures = 1;
    const w = setup(ledger, store, {
      arm: async (f, collection, character) => {
        if (failures-- > 0) throw new Error('database is locked');
        return { collection, character, packs: f.buying.packs } as unknown as RunTarget;
      },
    });
    await until(() => w.armed().length > 0);
    await w.stop();
    expect(w.armed()).toEqual(['2:1']);
  });

  it('in a dry run, says what each filter would buy of what is listed, and that the first start\'s listing is skipped', async () => {
    const store = new FakeStore();
    store.publish(1, 'Old Dogs');
    store.publish(4, 'Birds');
    const w = setup(ledger, store, { dryRun: true });
    await until(() => w.reports.some((r) => r.type === 'SNIPE_PREVIEW'));
    await w.stop();
    const preview = w.reports.find((r) => r.type === 'SNIPE_PREVIEW');
    const lines = preview?.type === 'SNIPE_PREVIEW' ? preview.lines : [];
    expect(lines[0]).toContain('snipe[0] would buy 1:1 "One" of "Old Dogs"');
    expect(lines[0]).toContain('skipped: listed when this ledger\'s first run started');
    expect(lines[1]).toBe('snipe dry run: collection 4 "Birds": no filter takes it');
  });
});
