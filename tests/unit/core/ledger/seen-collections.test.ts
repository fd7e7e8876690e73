/** Snipe mode's seen-set: seeded once per ledger with what the store had at the first start (never with nothing), its
 *  highest id kept as the high-water mark, each later collection
 *  taken as new exactly once (across reopening and between two connections), matches kept for a restart. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import { tempFolder } from './ledger-fixtures.js';

describe('the seen-set of snipe mode', () => {
  const opened: Ledger[] = [];
  const folders: (() => void)[] = [];
  const open = async (path: string | ':memory:' = ':memory:'): Promise<Ledger> => {
    const l = await openLedger(path);
    opened.push(l);
    return l;
  };
  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    for (const f of folders.splice(0)) f();
  });

  it('is seeded once, with what was listed at the first start; a second seeding writes nothing', async () => {
    const ledger = await open();
    expect(await ledger.seen.seededAt()).toBeNull();
    expect(await ledger.seen.seed([3, 1, 3])).toBe(true);
    expect(await ledger.seen.seededAt()).not.toBeNull();
    expect(await ledger.seen.seed([7])).toBe(false);
    expect((await ledger.seen.list()).map((s) => [s.collection, s.how])).toEqual([[1, 'start'], [3, 'start']]);
    expect(await ledger.seen.maxSeen()).toBe(3);
    expect(await ledger.seen.highWater()).toBe(3);
  });

  it('takes a collection as new once: listed or probed, whichever came first', async () => {
    const ledger = await open();
    await ledger.seen.seed([1]);
    expect(await ledger.seen.markSeen(1, 'listing')).toBe(false);
    expect(await ledger.seen.markSeen(2, 'probe')).toBe(true);
    expect(await ledger.seen.markSeen(2, 'listing')).toBe(false);
    expect((await ledger.seen.list()).find((s) => s.collection === 2)?.how).toBe('probe');
    expect(await ledger.seen.maxSeen()).toBe(2);
    expect(await ledger.seen.markSeen(4, 'listing', [{ filter: 1, character: 2 }])).toBe(true);
    expect(await ledger.seen.markSeen(4, 'probe', [{ filter: 0, character: 9 }])).toBe(false);
    expect((await ledger.seen.list()).find((s) => s.collection === 4)?.matched).toEqual([{ filter: 1, character: 2 }]);
  });

  it('is empty with maxSeen 0 on a new ledger, and refuses ids that are not collection ids', async () => {
    const ledger = await open();
    expect(await ledger.seen.maxSeen()).toBe(0);
    expect(await ledger.seen.highWater()).toBe(0);
    await expect(ledger.seen.markSeen(0, 'probe')).rejects.toBeInstanceOf(LedgerError);
    await expect(ledger.seen.seed([1.5])).rejects.toBeInstanceOf(LedgerError);
    await expect(ledger.seen.recordMatches(9, [])).rejects.toThrow(/never marked seen/);
  });

  it('refuses to be seeded with no collection, writing nothing (every existing id would then look new)', async () => {
    const ledger = await open();
    await expect(ledger.seen.seed([])).rejects.toThrow(/no collection/);
    expect(await ledger.seen.seededAt()).toBeNull();
    expect(await ledger.seen.seed([2])).toBe(true);
  });

  it('survives reopening the ledger, matches included, and two connections never both take one collection as new', async () => {
    const { dir, remove } = tempFolder();
    folders.push(remove);
    const file = join(dir, 'automint.db');
    const first = await open(file);
    await first.seen.seed([1]);
    expect(await first.seen.markSeen(2, 'listing')).toBe(true);
    await first.seen.recordMatches(2, [{ filter: 0, character: 3 }]);
    await first.close();
    const again = await open(file);
    const other = await open(file);
    expect(await again.seen.seed([1, 2, 5])).toBe(false);
    expect(await again.seen.highWater()).toBe(1);
    expect((await again.seen.list()).find((s) => s.collection === 2)?.matched).toEqual([{ filter: 0, character: 3 }]);
    const takers = await Promise.all([again.seen.markSeen(5, 'listing'), other.seen.markSeen(5, 'probe')]);
    expect(takers.filter(Boolean)).toHaveLength(1);
  });
});
