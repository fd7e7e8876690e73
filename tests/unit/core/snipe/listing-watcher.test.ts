/** The listing watcher against a store in memory and a real (in-memory) ledger: the first start's listing is seeded
 *  and never judged; a later listed collection is judged once, a matching one armed (a configured target left alone);
 *  a collection reachable by id before it is listed is found by probing; a restart re-arms earlier matches; a dry run
 *  says what each filter would buy of what is listed. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { Stars } from '../../../../core/money.js';
import { watchListing, type ListingPoller, type ListingReport, type ListingWatcherInput } from '../../../../core/snipe/listing-watcher.js';
import { snipeFilters } from '../../../../core/snipe/snipe-filter.js';
import type { RunTarget } from '../../../../core/actors/sniper.js';
import type { Collection, CollectionView } from '../../../../core/store/collection-answer.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';
const log = pino({ level: 'silent' });

/** A store whose collections are published (by id) and listed as the test says. */
class FakeStore {
  readonly published = new Map<number, Collection>();
  readonly listed = new Set<number>();
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
        collections: async () => ({ collections: [...this.listed].map((id) => ({ id, title: null, status: null })), notes: [] }),
        collection: async (id: number): Promise<CollectionView> => {
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
