/** The demo drop bought through a proxy that twists the store's answers in ways that do not touch the target (issue
 *  12): a character nobody targets with a negative or absurd stock, a sold-out one with a 10 kB name, a 10 kB title,
 *  stock sent as text, order expiries in microseconds. The tolerant reader reads past each: every pack is bought, each
 *  paid once, nothing blind. */
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK } from '../../cli/failure.js';
import { runExitCode } from '../../cli/run-exit.js';
import type { RunSummary } from '../../core/run/summary.js';
import type { World } from '../../sim/world.js';
import { expectMoneySafe } from '../support/hostile-run.js';
import { buyThroughTwist, collectionData, type Json } from '../support/twisted-run.js';
import type { TwistRule } from '../support/twisting-store.js';

/** The collection's characters, each passed through `each`, and `extra` ones added. */
const characters = (each: (c: Json) => Json, ...extra: Json[]) => collectionData((d) => ({
  ...d, characters: [...(d['characters'] as Json[]).map(each), ...extra],
}));

/** Every pack of the demo bought, each order paid once, nothing blind, exit 0. */
function expectEverythingBought(world: World, summary: RunSummary): void {
  expectMoneySafe(world, summary);
  expect(summary.blind).toEqual([]);
  expect(summary.packs).toBe(25);
  expect(runExitCode(summary)).toBe(EXIT_OK);
}

describe('a store whose collection answer is twisted where the target is not', () => {
  it.each<[string, TwistRule]>([
    ['left -5 on a character nobody targets', characters((c) => c, { id: 99, name: 'Ghost', left: -5, price: 10 })],
    ['an extra sold-out character with a 10 kB name', characters((c) => c, { id: 98, name: 'N'.repeat(10_000), left: 0, price: 10 })],
    ['a 10 kB collection title', collectionData((d) => ({ ...d, collection: { ...(d['collection'] as Json), title: 'T'.repeat(10_000) } }))],
    ['every stock sent as text ("120")', characters((c) => ({ ...c, left: String(c['left']) }))],
    ['left 1e21 on a character nobody targets', characters((c) => c, { id: 97, left: 1e21 })],
  ])('buys every pack through %s', async (_name, rule) => {
    const { world, store, summary, close } = await buyThroughTwist(rule);
    try {
      expect(store.twisted()).toBeGreaterThan(0);
      expectEverythingBought(world, summary);
    } finally {
      await close();
    }
  }, 120_000);

  /** TON order answers with `expires_at` in microseconds. */
  const micro: TwistRule = ({ method, path }) => method === 'POST' && path === '/api/v1/shop/buy/crypto'
    ? { kind: 'data', rewrite: (d) => ({ ...(d as Json), expires_at: Number((d as Json)['expires_at']) * 1_000_000 }) }
    : null;

  it('buys every pack when order expiries come in microseconds, reading them as this year', async () => {
    const { world, store, summary, close } = await buyThroughTwist(micro);
    try {
      expect(store.twisted()).toBeGreaterThan(0);
      expectEverythingBought(world, summary);
    } finally {
      await close();
    }
  }, 120_000);

  it('refuses to pay a TON order whose microsecond expiry is two seconds away, instead of reading it as year 58 000', async () => {
    const { world, summary, close } = await buyThroughTwist(micro, { faults: { tonExpiringOrder: { rate: 1 } } });
    try {
      expectMoneySafe(world, summary);
      const ton = summary.orders.filter((o) => o.method === 'ton');
      expect(ton.length).toBeGreaterThan(0);
      expect(ton.filter((o) => o.state === 'paid')).toEqual([]);
      expect(ton.every((o) => o.reason?.startsWith('EXPIRES_TOO_SOON'))).toBe(true);
      expect(world.store.orders().filter((o) => o.currency === 'TON' && o.state === 'paid')).toEqual([]);
      // The Golden Dogs are bought with TON only.
      expect(summary.targets.find((t) => t.target === '1:2')?.paid).toBe(0);
      expect(runExitCode(summary)).toBe(EXIT_FAILURE);
    } finally {
      await close();
    }
  }, 120_000);
});
