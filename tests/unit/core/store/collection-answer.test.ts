import { describe, expect, it } from 'vitest';
import { collectionSchema, MAX_PLAUSIBLE_LEFT, targetStock, type Collection } from '../../../../core/store/collection-answer.js';

// Written as JSON text and parsed as the client does, so numbers reach the reader exactly as from the wire.
const wire = (json: string): unknown => JSON.parse(json);
const read = (json: string): Collection => collectionSchema.parse(wire(json));
const refusal = (value: unknown): string => {
  const r = collectionSchema.safeParse(value);
  expect(r.success).toBe(false);
  return (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};
/** Collection 7, active, with these characters (JSON text). */
const withCharacters = (...characters: string[]): Collection =>
  read(`{"collection":{"id":7,"status":"active"},"characters":[${characters.join(',')}]}`);

describe('collectionSchema, the tolerant reader', () => {
  it('reads a collection with its characters, stars prices exact and made-up names where none is given', () => {
    const c = read(`{
      "collection": {"id": 10, "title": "Blue Cats", "status": "active", "banner": "x.png"},
      "characters": [
        {"id": 1, "name": "Tom", "left": 17, "price": 250, "supply": 20, "rarity": "rare"},
        {"id": 2, "left": 0, "price": "100"}
      ]
    }`);
    expect(c).toEqual({
      id: 10, title: 'Blue Cats', status: 'active', notes: [],
      characters: [
        { id: 1, name: 'Tom', left: 17, priceStars: 250n, supply: 20, rarity: 'rare', problems: [] },
        { id: 2, name: 'character 2', left: 0, priceStars: 100n, supply: null, rarity: null, problems: [] },
      ],
    });
  });

  it('reads a rarity leniently: a word is kept, anything else is unknown with a note, never a refusal', () => {
    const c = withCharacters('{"id":1,"left":3,"rarity":"legendary"}', '{"id":2,"left":3,"rarity":7}', `{"id":3,"left":3,"rarity":"${'x'.repeat(60)}"}`);
    expect(c.characters.map((ch) => ch.rarity)).toEqual(['legendary', null, null]);
    expect(c.notes.join('\n')).toContain('rarity 7 is not a rarity');
    expect(targetStock(c, 2)).toMatchObject({ kind: 'known', left: 3 });
  });

  it('reads ids, stock and supply sent as digit text like JSON numbers', () => {
    const c = read('{"collection":{"id":"7","status":"active"},"characters":[{"id":"3","left":"120","supply":"200"}]}');
    expect(c.id).toBe(7);
    expect(c.characters[0]).toMatchObject({ id: 3, left: 120, supply: 200 });
  });

  it('refuses an answer without a readable collection id or status: nothing can be decided without them', () => {
    expect(refusal(wire('{"collection":{"id":7},"characters":[]}'))).toMatch(/^collection\.status: /);
    expect(refusal(wire('{"collection":{"id":7,"status":""},"characters":[]}'))).toMatch(/^collection\.status: /);
    expect(refusal(wire('{"collection":{"id":7,"status":null},"characters":[]}'))).toMatch(/^collection\.status: /);
    expect(refusal({ collection: { id: 7, status: 'x'.repeat(51) }, characters: [] })).toMatch(/^collection\.status: /);
    expect(refusal(wire('{"collection":{"id":0,"status":"active"},"characters":[]}'))).toMatch(/^collection\.id: /);
    expect(refusal(wire('{"collection":{"id":-7,"status":"active"},"characters":[]}'))).toMatch(/^collection\.id: /);
    expect(refusal(wire('{"characters":[]}'))).toMatch(/^collection: /);
    expect(refusal(null)).toMatch(/not an object/);
  });

  it('refuses an answer whose characters are not a list', () => {
    expect(refusal(wire('{"collection":{"id":7,"status":"active"}}'))).toMatch(/^characters: /);
    expect(refusal(wire('{"collection":{"id":7,"status":"active"},"characters":{"1":{}}}'))).toMatch(/^characters: /);
  });

  it('keeps a 10 kB title out and reads the rest, with a note', () => {
    const c = collectionSchema.parse({ collection: { id: 7, status: 'active', title: 'T'.repeat(10_000) }, characters: [{ id: 1, left: 5 }] });
    expect(c.title).toBe('collection 7');
    expect(c.characters[0]?.left).toBe(5);
    expect(c.notes).toEqual(['collection.title: 10000 characters, not kept']);
  });

  it('reads every other character whatever is wrong with one of them', () => {
    const c = collectionSchema.parse({
      collection: { id: 7, status: 'active' },
      characters: [
        { id: 9, left: -5 }, { id: 8, name: 'N'.repeat(10_000), left: 0 }, { id: 'x', left: 3 }, 'junk', { id: 6, left: 1e21, price: 2.5 },
        { id: 1, left: 4, price: 250, mood: { deep: [1, 2] } },
      ],
    });
    expect(targetStock(c, 1)).toMatchObject({ kind: 'known', left: 4 });
    expect(c.characters.map((ch) => ch.id)).toEqual([9, 8, 6, 1]);
    expect(c.notes).toHaveLength(5);
    expect(c.notes.join('\n')).toMatch(/characters\[2\]: skipped/);
    expect(c.notes.join('\n')).toMatch(/characters\[3\]: skipped/);
  });

  it('reads a negative, fractional, absurd or missing left as unknown, never as 0', () => {
    for (const bad of ['-5', '1.5', '1e21', `${MAX_PLAUSIBLE_LEFT + 1}`, '"5 "', '"-1"', 'null', 'true', '[5]']) {
      const c = withCharacters(`{"id":3,"left":${bad}}`);
      expect(c.characters[0]?.left, bad).toBeNull();
      expect(targetStock(c, 3), bad).toMatchObject({ kind: 'unknown' });
    }
    expect(targetStock(withCharacters('{"id":3}'), 3)).toEqual({ kind: 'unknown', why: 'character 3: no left' });
    expect(withCharacters(`{"id":3,"left":${MAX_PLAUSIBLE_LEFT}}`).characters[0]?.left).toBe(MAX_PLAUSIBLE_LEFT);
  });

  it('names the unreadable value in what it says about the target', () => {
    expect(targetStock(withCharacters('{"id":3,"left":-5}'), 3)).toEqual({ kind: 'unknown', why: 'character 3: left -5 is not a stock' });
  });

  it('keeps a character with an unreadable price, as having no stars price', () => {
    for (const bad of ['2.5', '1e21', '"-3"', '{"v":1}']) {
      const c = withCharacters(`{"id":3,"left":5,"price":${bad}}`);
      expect(c.characters[0]?.priceStars, bad).toBeNull();
      expect(c.characters[0]?.left, bad).toBe(5);
    }
    expect(withCharacters('{"id":3,"left":5}').characters[0]?.priceStars).toBeNull();
  });

  it('reads a long list of characters whole', () => {
    const many = { collection: { id: 7, status: 'active' }, characters: Array.from({ length: 20_000 }, (_, i) => ({ id: i + 1, left: 1 })) };
    expect(targetStock(collectionSchema.parse(many), 20_000)).toMatchObject({ kind: 'known', left: 1 });
  });
});

describe('targetStock', () => {
  it('is missing when the character is not listed', () => {
    expect(targetStock(withCharacters('{"id":2,"left":5}'), 3)).toEqual({ kind: 'missing' });
  });

  it('is unknown when the character is listed twice with different stock, and known when the entries agree', () => {
    expect(targetStock(withCharacters('{"id":3,"left":5}', '{"id":3,"left":0}'), 3)).toMatchObject({ kind: 'unknown' });
    expect(targetStock(withCharacters('{"id":3,"left":5}', '{"id":3,"left":"5"}'), 3)).toMatchObject({ kind: 'known', left: 5 });
  });
});
