/** What a snipe filter takes of a collection, key by key, and the words it gives for each character it takes (what
 *  the run logs and traces). Filters are read from configuration text, as a run reads them. */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import { describeMatch, matchCollection } from '../../../../core/snipe/match.js';
import { snipeFilters, type SnipeFilter } from '../../../../core/snipe/snipe-filter.js';
import { toNano, type Nano, type Stars } from '../../../../core/money.js';
import type { Character, Collection } from '../../../../core/store/collection-answer.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';

/** The filter of a config whose one snipe filter has `match`. */
function filter(match: Record<string, unknown>, extra: Record<string, unknown> = {}): SnipeFilter {
  const text = YAML.stringify({ accounts: [{ name: 'alice', storeToken: TOKEN }], snipe: [{ packs: 2, methods: ['ton'], match, ...extra }] });
  return snipeFilters(parseConfig(text, { env: {}, label: 'match.yaml' }).config)[0]!;
}

const ch = (id: number, name: string, o: Partial<Character> = {}): Character =>
  ({ id, name, left: 10, priceStars: 100n as Stars, supply: 50, rarity: 'common', problems: [], ...o });

const dogs: Collection = {
  id: 12, title: 'Golden Dogs', status: 'active', notes: [],
  characters: [
    ch(1, 'Puppy', { priceStars: 100n as Stars, supply: 500, rarity: 'common' }),
    ch(2, 'Golden Dog', { priceStars: 500n as Stars, supply: 40, rarity: 'rare' }),
    ch(3, 'Ghost Dog', { priceStars: 300n as Stars, supply: 10, rarity: 'Legendary' }),
    ch(4, 'Mystery', { priceStars: null, supply: null, rarity: null }),
  ],
};

const ids = (f: SnipeFilter, c: Collection = dogs, ton?: Map<number, Nano | null>) => matchCollection(f, c, ton).characters.map((x) => x.id);

describe('matching a new collection', () => {
  it('takes every character of every collection with an empty match, saying so', () => {
    const m = matchCollection(filter({}), dogs);
    expect(m.characters.map((c) => c.id)).toEqual([1, 2, 3, 4]);
    expect(describeMatch(m, m.characters[0]!)).toContain('every character');
  });

  it('title: a regular expression or a glob, case ignored; a miss refuses the whole collection with why', () => {
    expect(ids(filter({ title: '/dog/' }))).toEqual([1, 2, 3, 4]);
    expect(ids(filter({ title: 'golden*' }))).toEqual([1, 2, 3, 4]);
    const miss = matchCollection(filter({ title: 'Cats*' }), dogs);
    expect(miss.characters).toEqual([]);
    expect(miss.refused).toEqual(['title "Golden Dogs" does not match Cats*']);
    const hit = matchCollection(filter({ title: '/dog/' }), dogs);
    expect(hit.characters[0]!.why).toEqual([]);
    expect(describeMatch(hit, hit.characters[0]!)).toBe('title "Golden Dogs" matches /dog/');
  });

  it('collections: an id range, either end open', () => {
    expect(ids(filter({ collections: { from: 10, to: 12 } }))).toHaveLength(4);
    expect(ids(filter({ collections: { from: 13 } }))).toEqual([]);
    expect(ids(filter({ collections: { to: 11 } }))).toEqual([]);
    expect(matchCollection(filter({ collections: { from: 13 } }), dogs).refused[0]).toBe('collection id 12 is not within 13 and up');
  });

  it('character: a name pattern, judged per character', () => {
    const m = matchCollection(filter({ character: '*dog' }), dogs);
    expect(m.characters.map((c) => c.id)).toEqual([2, 3]);
    expect(m.characters[0]!.why).toEqual(['name "Golden Dog" matches *dog']);
    expect(m.refused).toContain('character 1 (Puppy): name "Puppy" does not match *dog');
  });

  it('rarity: one of a list, case ignored; an unknown rarity is never taken', () => {
    expect(ids(filter({ rarity: ['rare', 'legendary'] }))).toEqual([2, 3]);
    expect(matchCollection(filter({ rarity: ['rare'] }), dogs).refused).toContain('character 4 (Mystery): rarity unknown');
  });

  it('supply: a range, ends inclusive; an unknown supply is never taken', () => {
    expect(ids(filter({ supply: { max: 40 } }))).toEqual([2, 3]);
    expect(ids(filter({ supply: { min: 40, max: 40 } }))).toEqual([2]);
    expect(ids(filter({ supply: { min: 1 } }))).toEqual([1, 2, 3]);
  });

  it('price: the listed Stars price and the store\'s TON price at most the limits; unknown prices are not taken', () => {
    expect(ids(filter({ price: { XTR: '300' } }))).toEqual([1, 3]);
    const ton = new Map<number, Nano | null>([[1, toNano('1')], [2, toNano('5')], [3, toNano('3')], [4, null]]);
    const m = matchCollection(filter({ price: { TON: '3' } }), dogs, ton);
    expect(m.characters.map((c) => c.id)).toEqual([1, 3]);
    expect(m.characters[1]!.why).toEqual(['3 TON per pack ≤ 3 TON']);
    expect(m.refused).toContain('character 4 (Mystery): TON price unknown');
    expect(ids(filter({ price: { TON: '3' } }))).toEqual([]);
  });

  it('pick: the N cheapest by Stars price or the N rarest by supply, unknowns last, ties to the lower id', () => {
    expect(ids(filter({ pick: { by: 'cheapest', count: 2 } }))).toEqual([1, 3]);
    expect(ids(filter({ pick: { by: 'rarest' } }))).toEqual([3]);
    const rarest = matchCollection(filter({ character: '*dog', pick: { by: 'rarest', count: 1 } }), dogs);
    expect(rarest.characters[0]!.why).toEqual(['name "Ghost Dog" matches *dog', 'among the 1 rarest of the collection (supply 10)']);
    expect(rarest.refused).toContain('character 2 (Golden Dog): not among the 1 rarest (supply 40)');
    const tie: Collection = { ...dogs, characters: [ch(9, 'B', { supply: 5 }), ch(8, 'A', { supply: 5 }), ch(7, 'C', { supply: null })] };
    expect(ids(filter({ pick: { by: 'rarest', count: 3 } }), tie)).toEqual([8, 9, 7]);
  });

  it('keys combine: every key set must hold', () => {
    expect(ids(filter({ title: '/dog/', rarity: ['rare', 'legendary'], supply: { max: 20 } }))).toEqual([3]);
  });

  it('resolves the buying keys like a target\'s: every account when none are named, the split inherited', () => {
    const f = filter({}, { maxPricePerPack: { TON: '3' } });
    expect(f.buying).toMatchObject({ packs: 2, methods: ['ton'], accounts: ['alice'], split: { policy: 'race' }, maxPricePerPack: { TON: toNano('3') } });
  });
});
