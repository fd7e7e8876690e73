/** The tolerant reader of `GET /api/v1/collection/{id}`. Only what a decision needs is required: the collection's `id`
 *  and `status`, and a `characters` list. Everything else is read leniently, so one odd field cannot blind the watcher
 *  for the whole drop (issue 12): a character without a readable id is skipped, a bad name, title, price, supply, rarity or
 *  stock becomes "unknown" (null) with a note, and fields nobody reads are ignored. Whether the one character the run
 *  targets can be bought is decided on its own entry (`targetStock`): its `left` must be a plausible stock, and a
 *  negative, fractional or absurd one is "unknown", never 0, so the next poll decides. */
import { z } from 'zod';
import { AutomintError } from '../errors.js';
import { AmountError, amountFromJson, type Stars } from '../money.js';
import { readWholeNumber } from './store-numbers.js';

/** More packs left than this is not a stock a store can have: the value is garbage (`1e21`), read as unknown. */
export const MAX_PLAUSIBLE_LEFT = 10_000_000;
/** Longest title or name kept; a longer one is replaced by a made-up name (a 10 kB title is not a title). */
export const MAX_NAME_LENGTH = 500;
/** Longest rarity read: a rarity is a word (`legendary`). */
const MAX_RARITY_LENGTH = 50;
/** Longest status read: a status is a word (`active`), not a page. */
const MAX_STATUS_LENGTH = 50;

export interface Character {
  readonly id: number;
  readonly name: string;
  /** Stock left; null when the store's value is not one (missing, negative, fractional, absurd, not a number). */
  readonly left: number | null;
  /** Stars per pack; null when the store gave none or an unreadable one. */
  readonly priceStars: Stars | null;
  readonly supply: number | null;
  /** The store's rarity word (`common`, `rare`), as given; null when it gave none or something that is not a word.
   *  The reader always sets it; absent only on characters made by hand (read as null). */
  readonly rarity?: string | null;
  /** What was wrong with this entry's fields (`left -5 is not a stock`): empty when nothing. */
  readonly problems: readonly string[];
}

export interface Collection {
  readonly id: number;
  readonly title: string;
  readonly status: string;
  readonly characters: readonly Character[];
  /** Entries skipped and fields read leniently, one line each, for a debug log: never a reason to refuse the answer. */
  readonly notes: readonly string[];
}

/** `GET /collection/{id}`: a 404 means "not published yet", which is an answer, not an error. */
export type CollectionView = { published: false } | ({ published: true } & Collection);

/** What one poll says about the target character. */
export type TargetStock =
  | { readonly kind: 'known'; readonly left: number; readonly character: Character }
  /** Listed, but its stock cannot be read (or two entries disagree): the next poll decides. */
  | { readonly kind: 'unknown'; readonly why: string }
  | { readonly kind: 'missing' };

/** The answer's data: the required fields checked (issues name them), the rest read leniently. */
export const collectionSchema = z.unknown().transform((data, ctx): Collection => {
  const fail = (path: string[], message: string): never => {
    ctx.addIssue({ code: 'custom', path, message });
    return z.NEVER;
  };
  if (!isRecord(data)) return fail([], 'not an object');
  const c = data['collection'];
  if (!isRecord(c)) return fail(['collection'], 'not an object');
  const id = readWholeNumber(c['id']);
  if (id === null || id === 0) return fail(['collection', 'id'], `${shown(c['id'])} is not a collection id`);
  // No default for status: a collection whose state is unknown must not be taken for buyable.
  const status = c['status'];
  if (typeof status !== 'string' || status.length === 0 || status.length > MAX_STATUS_LENGTH) {
    return fail(['collection', 'status'], `${shown(status)} is not a status`);
  }
  const list = data['characters'];
  if (!Array.isArray(list)) return fail(['characters'], `${shown(list)} is not a list`);
  const notes: string[] = [];
  const title = readName(c['title'], `collection ${id}`, 'collection.title', notes);
  const characters: Character[] = [];
  list.forEach((entry: unknown, i) => {
    const character = readCharacter(entry, i, notes);
    if (character !== null) characters.push(character);
  });
  return { id, title, status, characters, notes };
});

/** The target character's stock in one answer. Two entries for it that disagree make it unknown: which one the store
 *  means cannot be told. */
export function targetStock(view: Collection, characterId: number): TargetStock {
  const entries = view.characters.filter((c) => c.id === characterId);
  const first = entries[0];
  if (first === undefined) return { kind: 'missing' };
  const unreadable = entries.find((c) => c.left === null);
  if (unreadable) return { kind: 'unknown', why: `character ${characterId}: ${unreadable.problems.join('; ') || 'no stock'}` };
  if (entries.some((c) => c.left !== first.left)) {
    return { kind: 'unknown', why: `character ${characterId} is listed ${entries.length} times with left ${entries.map((c) => c.left).join(', ')}` };
  }
  return { kind: 'known', left: first.left!, character: first };
}

/** A poll whose answer says nothing usable about the target: the character is not listed (`why` null), or its stock
 *  cannot be read. The watcher counts it as a failed poll; no purchase is told anything. */
export class TargetUnreadable extends AutomintError {
  constructor(collection: number, character: number, why: string | null) {
    super(
      why === null ? 'TARGET_MISSING' : 'TARGET_STOCK_UNKNOWN',
      why === null ? `character ${character} is not in collection ${collection}` : `stock unknown: ${why}`,
      { collection, character },
    );
  }
}

function readCharacter(entry: unknown, i: number, notes: string[]): Character | null {
  if (!isRecord(entry)) {
    notes.push(`characters[${i}]: skipped, not an object`);
    return null;
  }
  const id = readWholeNumber(entry['id']);
  if (id === null || id === 0) {
    notes.push(`characters[${i}]: skipped, ${shown(entry['id'])} is not a character id`);
    return null;
  }
  const problems: string[] = [];
  const left = readLeft(entry['left'], problems);
  const priceStars = readPrice(entry['price'], problems);
  const supply = entry['supply'] === undefined ? null : readWholeNumber(entry['supply']);
  if (supply === null && entry['supply'] !== undefined) problems.push(`supply ${shown(entry['supply'])} is not a count`);
  const name = readName(entry['name'], `character ${id}`, `characters[${i}].name`, problems);
  const rarity = readRarity(entry['rarity'], problems);
  if (problems.length > 0) notes.push(`character ${id}: ${problems.join('; ')}`);
  return { id, name, left, priceStars, supply, rarity, problems };
}

/** A stock: a whole number (or digit text) from 0 to MAX_PLAUSIBLE_LEFT; anything else is unknown, not 0. */
function readLeft(v: unknown, problems: string[]): number | null {
  const n = readWholeNumber(v);
  if (n !== null && n <= MAX_PLAUSIBLE_LEFT) return n;
  problems.push(v === undefined ? 'no left' : `left ${shown(v)} is not a stock`);
  return null;
}

/** A rarity: short text (a word or two); anything else is unknown, which no snipe filter on rarity takes. */
function readRarity(v: unknown, problems: string[]): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' && v.length > 0 && v.length <= MAX_RARITY_LENGTH) return v;
  problems.push(`rarity ${shown(v)} is not a rarity`);
  return null;
}

function readPrice(v: unknown, problems: string[]): Stars | null {
  if (v === undefined || v === null) return null;
  try {
    return amountFromJson('XTR', v) as Stars;
  } catch (e) {
    if (!(e instanceof AmountError)) throw e;
    problems.push(`price ${shown(v)}: ${e.message}`);
    return null;
  }
}

function readName(v: unknown, fallback: string, where: string, notes: string[]): string {
  if (v === undefined) return fallback;
  if (typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME_LENGTH) return v;
  notes.push(typeof v === 'string' ? `${where}: ${v.length} characters, not kept` : `${where}: ${shown(v)} is not text`);
  return fallback;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value for a message: JSON, cut short (a hostile value may be megabytes). */
function shown(v: unknown): string {
  const text = v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
