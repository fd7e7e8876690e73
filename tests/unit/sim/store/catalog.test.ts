import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { NotInScenario, StoreRefusal } from '../../../../sim/store/refusal.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { storeScenario } from '../../../support/store-scenario.js';

function refusalOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreRefusal) return e.errorCode;
    throw e;
  }
  return 'none';
}

function setup(opts: { dropInMs?: number; status?: 'active' | 'inactive' } = {}) {
  const clock = new ManualClock();
  const scenario = storeScenario(clock.now() + (opts.dropInMs ?? 0));
  if (opts.status) scenario.collections[0]!.status = opts.status;
  scenario.collections.push({
    id: 11,
    title: 'Later',
    dropAt: clock.now() + 3_600_000,
    characters: [{ id: 1, name: 'Z', supply: 5, left: 2, priceStars: 1n, priceTon: '0.1' }],
  });
  return { clock, catalog: new Catalog(scenario.collections, clock.now) };
}

describe('catalog and stock', () => {
  it('hides a collection until its drop time, then shows it with prices in exact units', () => {
    const { clock, catalog } = setup({ dropInMs: 5_000 });
    expect(refusalOf(() => catalog.collection(10))).toBe('collection_not_found');
    expect(catalog.published()).toEqual([]);
    clock.advance(4_999);
    expect(refusalOf(() => catalog.collection(10))).toBe('collection_not_found');
    clock.advance(1);
    const c = catalog.collection(10);
    expect(c).toMatchObject({ id: 10, title: 'Blue Cats', status: 'active' });
    expect(c.characters.map((ch) => [ch.id, ch.left, ch.supply, ch.priceTon, ch.priceStars, ch.rarity])).toEqual([
      [1, 20, 20, 2_500_000_000n, 250n, 'rare'],
      [2, 3, 3, 1_000_000_000n, 100n, 'common'],
    ]);
  });

  it('lists only published collections and answers not found for unknown ids and characters', () => {
    const { catalog } = setup();
    expect(catalog.published().map((c) => c.id)).toEqual([10]);
    expect(refusalOf(() => catalog.collection(99))).toBe('collection_not_found');
    expect(refusalOf(() => catalog.character(11, 1))).toBe('collection_not_found');
    expect(refusalOf(() => catalog.character(10, 9))).toBe('character_not_found');
  });

  it('moves a drop when rescheduled', () => {
    const { clock, catalog } = setup();
    catalog.scheduleDrop(11, clock.now());
    expect(catalog.published().map((c) => c.id)).toEqual([10, 11]);
    catalog.scheduleDrop(10, clock.now() + 1);
    expect(refusalOf(() => catalog.collection(10))).toBe('collection_not_found');
    expect(() => catalog.scheduleDrop(99, 0)).toThrow(NotInScenario);
  });

  it('reserves stock for an order and refuses more than is left, or anything once sold out', () => {
    const { catalog } = setup();
    expect(catalog.reserve(10, 2, 2).left).toBe(1);
    expect(refusalOf(() => catalog.reserve(10, 2, 2))).toBe('not_enough_stock');
    expect(catalog.stock(10, 2)).toBe(1);
    catalog.reserve(10, 2, 1);
    expect(refusalOf(() => catalog.reserve(10, 2, 1))).toBe('sold_out');
  });

  it('refuses to sell from an inactive collection even though it is visible', () => {
    const { catalog } = setup({ status: 'inactive' });
    expect(catalog.collection(10).status).toBe('inactive');
    expect(refusalOf(() => catalog.reserve(10, 1, 1))).toBe('collection_inactive');
    expect(catalog.stock(10, 1)).toBe(20);
  });

  it('starts from the scenario left when given, and never releases above supply', () => {
    const { catalog } = setup();
    expect(catalog.stock(11, 1)).toBe(2);
    catalog.release(11, 1, 10);
    expect(catalog.stock(11, 1)).toBe(5);
  });

  it('keeps 0 ≤ left ≤ supply through any mix of reservations, releases and drains', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('reserve', 'release', 'drain'), fc.integer({ min: 0, max: 8 })), { maxLength: 60 }),
        (ops) => {
          const { catalog } = setup();
          for (const [op, n] of ops) {
            if (op === 'reserve') refusalOf(() => catalog.reserve(10, 2, Math.max(1, n)));
            else if (op === 'release') catalog.release(10, 2, n);
            else catalog.drain(10, 2, n);
            const left = catalog.stock(10, 2);
            if (left < 0 || left > 3) return false;
          }
          return true;
        },
      ),
    );
  });

  it('lets a drain take only what is left', () => {
    const { catalog } = setup();
    expect(catalog.drain(10, 2, 10)).toBe(3);
    expect(catalog.drain(10, 2, 1)).toBe(0);
    expect(catalog.stock(10, 2)).toBe(0);
  });
});
