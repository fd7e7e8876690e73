import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { PoolSnapshot } from '../../../../core/ledger/limiter-state.js';
import { tempFolder } from './ledger-fixtures.js';

const NOW = 1_735_732_800_000;

const snapshot = (pool: string, overrides: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  pool,
  tokens: 3.25,
  blockedUntil: NOW + 60_000,
  breakerState: 'open',
  breakerOpenedAt: NOW - 1_000,
  breakerFailures: 3,
  learnedLimit: 20,
  learnedWindowMs: 1_000,
  updatedAt: NOW,
  ...overrides,
});

describe('limiter state repository', () => {
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

  it('loads what it saved, field for field', async () => {
    const ledger = await open();
    const saved = [snapshot('account:alice'), snapshot('ip:direct', { breakerState: 'closed', breakerOpenedAt: null, learnedLimit: null, learnedWindowMs: null })];
    await ledger.limiter.save(saved);
    const loaded = await ledger.limiter.load();
    expect(loaded.sort((a, b) => a.pool.localeCompare(b.pool))).toEqual(saved);
  });

  it('keeps one row per pool: a later save replaces the earlier one', async () => {
    const ledger = await open();
    await ledger.limiter.save([snapshot('account:alice')]);
    await ledger.limiter.save([snapshot('account:alice', { tokens: 9, blockedUntil: 0, breakerState: 'closed', breakerOpenedAt: null })]);
    await ledger.limiter.save([snapshot('account:alice', { tokens: 7 })]);
    const rows = await ledger.limiter.load();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pool: 'account:alice', tokens: 7 });
  });

  it('keeps the state across closing and reopening the file', async () => {
    const { dir, remove } = tempFolder();
    folders.push(remove);
    const path = join(dir, 'automint.db');
    const first = await open(path);
    await first.limiter.save([snapshot('account:alice')]);
    await first.close();
    const again = await open(path);
    expect(await again.limiter.load()).toEqual([snapshot('account:alice')]);
  });

  it('refuses a snapshot it cannot hold faithfully, saving none of the batch', async () => {
    const ledger = await open();
    for (const bad of [
      snapshot('account:alice', { tokens: Number.NaN }),
      snapshot('account:alice', { blockedUntil: -1 }),
      snapshot('account:alice', { breakerOpenedAt: null }),
      snapshot('account:alice', { learnedLimit: 0 }),
      snapshot('', {}),
    ]) {
      await expect(ledger.limiter.save([snapshot('ip:direct'), bad])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(await ledger.limiter.load()).toEqual([]);
  });
});
