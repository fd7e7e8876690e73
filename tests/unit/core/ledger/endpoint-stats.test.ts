import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { SavedEndpointStats } from '../../../../core/ledger/endpoint-stats.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { tempFolder } from './ledger-fixtures.js';

const NOW = 1_735_732_800_000;
const PRIMARY = 'https://api.stickerdom.store';
const MIRROR = 'https://mirror-1.example';

const stats = (baseUrl: string, overrides: Partial<SavedEndpointStats> = {}): SavedEndpointStats => ({
  baseUrl, ok: 120, failed: 7, badRun: 2, latencyMs: 83.25, lastBadAt: NOW - 4_000, ...overrides,
});

const byUrl = (rows: SavedEndpointStats[]): SavedEndpointStats[] => [...rows].sort((a, b) => a.baseUrl.localeCompare(b.baseUrl));

describe('endpoint stats repository', () => {
  const opened: Ledger[] = [];
  const folders: (() => void)[] = [];
  const open = async (path: string | ':memory:' = ':memory:'): Promise<Ledger> => {
    const l = await openLedger(path);
    opened.push(l);
    return l;
  };

  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    for (const remove of folders.splice(0)) remove();
  });

  it('loads what it saved, field for field, including a URL never answered', async () => {
    const ledger = await open();
    const saved = [stats(PRIMARY), stats(MIRROR, { ok: 0, failed: 0, badRun: 0, latencyMs: null, lastBadAt: null })];
    await ledger.endpointStats.save(saved);
    expect(byUrl(await ledger.endpointStats.load())).toEqual(byUrl(saved));
  });

  it('keeps one row per URL however many times it is saved', async () => {
    const ledger = await open();
    for (let i = 1; i <= 50; i++) {
      await ledger.endpointStats.save([stats(PRIMARY, { ok: i }), stats(MIRROR, { failed: i })]);
    }
    const rows = byUrl(await ledger.endpointStats.load());
    expect(rows).toHaveLength(2);
    expect(rows).toMatchObject([{ baseUrl: PRIMARY, ok: 50 }, { baseUrl: MIRROR, failed: 50 }]);
    const count = await ledger.db.withTables<{ endpoint_stats: { base_url: string } }>()
      .selectFrom('endpoint_stats').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });

  it('loads only the URLs asked for, and nothing for none', async () => {
    const ledger = await open();
    await ledger.endpointStats.save([stats(PRIMARY), stats(MIRROR)]);
    expect(await ledger.endpointStats.load([MIRROR])).toEqual([stats(MIRROR)]);
    expect(await ledger.endpointStats.load(['https://unknown.example'])).toEqual([]);
    expect(await ledger.endpointStats.load([])).toEqual([]);
  });

  it('keeps the stats across closing and reopening the file', async () => {
    const { dir, remove } = tempFolder();
    folders.push(remove);
    const path = join(dir, 'automint.db');
    const first = await open(path);
    await first.endpointStats.save([stats(PRIMARY)]);
    await first.close();
    opened.splice(opened.indexOf(first), 1);
    const second = await open(path);
    expect(await second.endpointStats.load()).toEqual([stats(PRIMARY)]);
  });

  it('refuses stats it cannot store faithfully, saving nothing', async () => {
    const ledger = await open();
    const good = stats(PRIMARY);
    for (const bad of [{ ok: -1 }, { failed: 1.5 }, { badRun: Number.MAX_SAFE_INTEGER + 1 }, { latencyMs: Number.NaN }, { latencyMs: -1 }, { lastBadAt: Number.POSITIVE_INFINITY }]) {
      const e = await ledger.endpointStats.save([good, stats(MIRROR, bad)]).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(LedgerError);
      expect(e).toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(await ledger.endpointStats.load()).toEqual([]);
  });
});
