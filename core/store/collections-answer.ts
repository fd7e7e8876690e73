/** The tolerant reader of `GET /api/v1/collections`, the store's listing that snipe mode diffs against its seen-set.
 *  Only the list itself is required; each entry needs a readable collection id and nothing else (an entry without one
 *  is skipped with a note). Title and status are read leniently, as in collection-answer.ts: whether a collection is
 *  bought is decided on its own answer (`GET /collection/{id}`), never on the listing, which only says it exists. */
import { z } from 'zod';
import { MAX_NAME_LENGTH } from './collection-answer.js';
import { readWholeNumber } from './store-numbers.js';

/** One listed collection: its id, and what the listing said of it when readable. */
export interface ListedCollection {
  readonly id: number;
  /** Null when the listing gave none or an unreadable one. */
  readonly title: string | null;
  readonly status: string | null;
}

/** The listing: its collections (each id once, in the store's order) and what was skipped or read leniently. */
export interface CollectionListing {
  readonly collections: readonly ListedCollection[];
  readonly notes: readonly string[];
}

const MAX_STATUS_LENGTH = 50;

/** The answer's data: a list (or `{collections: [...]}`, a shape some stores wrap it in), each entry read leniently. */
export const collectionsSchema = z.unknown().transform((data, ctx): CollectionListing => {
  const list = Array.isArray(data) ? data : isRecord(data) && Array.isArray(data['collections']) ? data['collections'] : null;
  if (list === null) {
    ctx.addIssue({ code: 'custom', path: [], message: 'not a list of collections' });
    return z.NEVER;
  }
  const notes: string[] = [];
  const seen = new Set<number>();
  const collections: ListedCollection[] = [];
  list.forEach((entry: unknown, i) => {
    // An entry may be the collection itself or `{collection: {...}, characters}` like the detail answer.
    const c = isRecord(entry) && isRecord(entry['collection']) ? entry['collection'] : entry;
    if (!isRecord(c)) {
      notes.push(`[${i}]: skipped, not an object`);
      return;
    }
    const id = readWholeNumber(c['id']);
    if (id === null || id === 0) {
      notes.push(`[${i}]: skipped, no collection id`);
      return;
    }
    if (seen.has(id)) return;
    seen.add(id);
    collections.push({ id, title: text(c['title'], MAX_NAME_LENGTH), status: text(c['status'], MAX_STATUS_LENGTH) });
  });
  return { collections, notes };
});

function text(v: unknown, max: number): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
