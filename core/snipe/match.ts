/** Whether a snipe filter takes a collection, and which of its characters, each with why in words: pure, so every
 *  key can be tested without a store, and the words are what the run logs and traces when it buys. The collection's
 *  keys (title, id range) are judged first; then each character on its own (name, rarity, supply, listed prices);
 *  then `pick` keeps all of those, or the N cheapest (Stars price) or N rarest (lowest supply). A value the store did
 *  not give (null) never satisfies a key that asks about it: a filter buys what it can see, not what it guesses. */
import { formatAmount, type Nano } from '../money.js';
import type { Character, Collection } from '../store/collection-answer.js';
import type { SnipeFilter } from './snipe-filter.js';

/** A character the filter takes, and why (one phrase per key that held, the pick last). */
export interface MatchedCharacter {
  readonly id: number;
  readonly name: string;
  readonly why: readonly string[];
}

/** What a filter makes of one collection. */
export interface CollectionMatch {
  readonly filter: number;
  readonly collection: number;
  readonly title: string;
  /** The collection's keys that held (title, id range). */
  readonly why: readonly string[];
  /** The characters taken (empty: nothing bought). */
  readonly characters: readonly MatchedCharacter[];
  /** Why the rest were not: the collection's own refusal, or one line per character. */
  readonly refused: readonly string[];
}

/** TON price per pack of the collection's characters, by id (null: the store would not say); asked of the store only
 *  for filters with `match.price.TON`. */
export type TonPrices = ReadonlyMap<number, Nano | null>;

type Verdict = { ok: true; why: string } | { ok: false; why: string };

/** The filter's verdict on `collection` and its characters. */
export function matchCollection(filter: SnipeFilter, collection: Collection, tonPrices: TonPrices = new Map()): CollectionMatch {
  const base = { filter: filter.index, collection: collection.id, title: collection.title };
  const whole = collectionVerdicts(filter, collection);
  const failed = whole.find((v) => !v.ok);
  if (failed) return { ...base, why: [], characters: [], refused: [failed.why] };
  const refused: string[] = [];
  const taken: Array<{ character: Character; why: string[] }> = [];
  for (const character of collection.characters) {
    const verdicts = characterVerdicts(filter, character, tonPrices);
    const no = verdicts.find((v) => !v.ok);
    if (no) refused.push(`character ${character.id} (${character.name}): ${no.why}`);
    else taken.push({ character, why: verdicts.map((v) => v.why) });
  }
  return { ...base, why: whole.map((v) => v.why), characters: picked(filter, taken, refused), refused };
}

/** One line saying why a character was taken: the collection's reasons, then its own (`title "Dogs" matches /dog/; rarity rare is one of [rare]`). */
export function describeMatch(m: CollectionMatch, c: MatchedCharacter): string {
  return [...m.why, ...c.why].join('; ') || 'the filter takes every character of every new collection';
}

function collectionVerdicts(filter: SnipeFilter, c: Collection): Verdict[] {
  const m = filter.match;
  const out: Verdict[] = [];
  if (m.title) {
    const ok = m.title.test(c.title);
    out.push({ ok, why: `title "${c.title}" ${ok ? 'matches' : 'does not match'} ${m.title.source}` });
  }
  if (m.collections) {
    const { from, to } = m.collections;
    const ok = (from === undefined || c.id >= from) && (to === undefined || c.id <= to);
    out.push({ ok, why: `collection id ${c.id} ${ok ? 'is' : 'is not'} within ${range(from, to)}` });
  }
  return out;
}

function characterVerdicts(filter: SnipeFilter, ch: Character, tonPrices: TonPrices): Verdict[] {
  const m = filter.match;
  const out: Verdict[] = [];
  if (m.character) {
    const ok = m.character.test(ch.name);
    out.push({ ok, why: `name "${ch.name}" ${ok ? 'matches' : 'does not match'} ${m.character.source}` });
  }
  if (m.rarity) {
    const rarity = ch.rarity ?? null;
    const ok = rarity !== null && m.rarity.includes(rarity.toLowerCase());
    out.push({ ok, why: rarity === null ? 'rarity unknown' : `rarity ${rarity} ${ok ? 'is' : 'is not'} one of [${m.rarity.join(', ')}]` });
  }
  if (m.supply) {
    const { min, max } = m.supply;
    const ok = ch.supply !== null && (min === undefined || ch.supply >= min) && (max === undefined || ch.supply <= max);
    out.push({ ok, why: ch.supply === null ? 'supply unknown' : `supply ${ch.supply} ${ok ? 'is' : 'is not'} within ${range(min, max)}` });
  }
  if (m.price?.XTR !== undefined) {
    const price = ch.priceStars;
    const ok = price !== null && price <= m.price.XTR;
    out.push({ ok, why: price === null ? 'Stars price unknown' : `${price} XTR per pack ${ok ? '≤' : '>'} ${m.price.XTR} XTR` });
  }
  if (m.price?.TON !== undefined) {
    const price = tonPrices.get(ch.id) ?? null;
    const ok = price !== null && price <= m.price.TON;
    const limit = formatAmount('TON', m.price.TON);
    out.push({ ok, why: price === null ? 'TON price unknown' : `${formatAmount('TON', price)} TON per pack ${ok ? '≤' : '>'} ${limit} TON` });
  }
  return out;
}

/** `pick`: all, or the `count` cheapest / rarest; the others are refused with their rank's reason. */
function picked(filter: SnipeFilter, taken: Array<{ character: Character; why: string[] }>, refused: string[]): MatchedCharacter[] {
  const { by, count } = filter.match.pick;
  const as = (t: { character: Character; why: string[] }, extra: string[] = []): MatchedCharacter =>
    ({ id: t.character.id, name: t.character.name, why: [...t.why, ...extra] });
  if (by === 'all') return taken.map((t) => as(t));
  const key = (c: Character): bigint | null => (by === 'cheapest' ? c.priceStars : c.supply === null ? null : BigInt(c.supply));
  // Unknown last, then ascending, ties to the lower id: the same order every time for the same answer.
  const ranked = [...taken].sort((a, b) => {
    const ka = key(a.character);
    const kb = key(b.character);
    if (ka === null || kb === null) return ka === kb ? a.character.id - b.character.id : ka === null ? 1 : -1;
    return ka === kb ? a.character.id - b.character.id : ka < kb ? -1 : 1;
  });
  const word = by === 'cheapest' ? 'cheapest' : 'rarest';
  const measure = (c: Character): string =>
    by === 'cheapest' ? (c.priceStars === null ? 'Stars price unknown' : `${c.priceStars} XTR`) : (c.supply === null ? 'supply unknown' : `supply ${c.supply}`);
  ranked.slice(count).forEach((t) => refused.push(`character ${t.character.id} (${t.character.name}): not among the ${count} ${word} (${measure(t.character)})`));
  return ranked.slice(0, count).map((t) => as(t, [`among the ${count} ${word} of the collection (${measure(t.character)})`]));
}

function range(from: number | undefined, to: number | undefined): string {
  if (from !== undefined && to !== undefined) return `${from}–${to}`;
  return from !== undefined ? `${from} and up` : `up to ${to}`;
}
