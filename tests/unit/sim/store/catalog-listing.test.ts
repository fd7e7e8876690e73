/** What the simulated store's listing (`GET /collections`) shows: a collection from its drop, or from `listedAfterMs`
 *  after it while it is already reachable by id, as snipe mode's next-id probing must find. */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { ManualClock } from '../../../support/manual-clock.js';

const character = { id: 1, name: 'Z', supply: 5, priceStars: 1n, priceTon: '0.1' };

describe('the catalog\'s listing', () => {
  it('lists a collection from its drop, and one with listedAfterMs only that long after it, reachable by id before', () => {
    const clock = new ManualClock();
    const catalog = new Catalog([
      { id: 1, title: 'Now', dropAt: clock.now() + 1_000, characters: [character] },
      { id: 2, title: 'Quiet', dropAt: clock.now() + 1_000, listedAfterMs: 5_000, characters: [character] },
    ], clock.now);
    expect(catalog.listed()).toEqual([]);
    clock.advance(1_000);
    expect(catalog.listed().map((c) => c.id)).toEqual([1]);
    expect(catalog.collection(2).title).toBe('Quiet');
    clock.advance(4_999);
    expect(catalog.listed().map((c) => c.id)).toEqual([1]);
    clock.advance(1);
    expect(catalog.listed().map((c) => c.id)).toEqual([1, 2]);
  });
});
