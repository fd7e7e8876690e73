/** Snipe mode's seen-set in the ledger (migration 005): which collections have been seen and judged, so a collection
 *  is matched against the filters once per ledger, whatever restarts and processes come between. The first run seeds
 *  it with everything the store had then (`seed`: what it listed and what probing past the listing found), with the
 *  highest of those ids as the high-water mark: those, and every id at or below the mark, are never bought by a
 *  filter. Every step that decides
 *  "new or not" is one BEGIN IMMEDIATE transaction, so two processes sharing a ledger never both take a collection
 *  as new. */
import type { Kysely } from 'kysely';
import type { LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { LedgerSchema } from './schema.js';

/** How a collection came to be seen: listed at the first start (never bought), in a later listing, by probing its id. */
export type SeenHow = 'start' | 'listing' | 'probe';

/** One character a filter matched in a collection, kept so a restart re-arms it (its packs are the ledger's count). */
export interface SeenMatch {
  /** Index of the filter in `snipe`. */
  readonly filter: number;
  readonly character: number;
}

/** A seen collection. */
export interface SeenCollection {
  readonly collection: number;
  readonly seenAt: number;
  readonly how: SeenHow;
  /** What the filters matched in it (empty when nothing, or not judged: seeded at the start). */
  readonly matched: readonly SeenMatch[];
}

/** The tables as kysely sees them (migration 005). */
export interface SnipeSeenTable {
  collection: number;
  seen_at: number;
  how: SeenHow;
  /** JSON list of SeenMatch, or null. */
  matched: string | null;
}
export interface SnipeStateTable {
  id: number;
  seeded_at: number;
  /** The highest collection id at seeding: no id at or below it is judged new. */
  high_water: number;
}

type Db = Kysely<LedgerSchema & { snipe_seen: SnipeSeenTable; snipe_state: SnipeStateTable }>;

export class SeenCollections {
  private readonly db: Db;

  constructor(private readonly conn: LedgerConnection) {
    this.db = conn.db.withTables<{ snipe_seen: SnipeSeenTable; snipe_state: SnipeStateTable }>();
  }

  /** When the set was seeded (epoch ms), or null on a ledger whose first run has not read the listing yet. */
  async seededAt(): Promise<number | null> {
    const row = await this.db.selectFrom('snipe_state').select('seeded_at').where('id', '=', 1).executeTakeFirst();
    return row?.seeded_at ?? null;
  }

  /** The highest collection id at seeding (0 on a ledger not seeded yet): no id at or below it is judged new. */
  async highWater(): Promise<number> {
    const row = await this.db.selectFrom('snipe_state').select('high_water').where('id', '=', 1).executeTakeFirst();
    return row?.high_water ?? 0;
  }

  /** The first run's seeding: `ids` (what the store has now) are seen, as `start`, and the set is marked seeded with
   *  the highest of them as the high-water mark, in one transaction. An empty `ids` is refused (a store with nothing
   *  would leave every existing id to be judged new). Returns false, writing nothing, when the set was already seeded
   *  (another process, or an earlier run did it first). */
  async seed(ids: readonly number[]): Promise<boolean> {
    ids.forEach(checkId);
    if (ids.length === 0) throw new LedgerError('INVALID_INPUT', 'the seen-set cannot be seeded with no collection');
    const highWater = Math.max(...ids);
    const now = this.conn.now();
    return this.conn.immediate((tx) => {
      if (tx.first(this.db.selectFrom('snipe_state').select('id').where('id', '=', 1)) !== undefined) return false;
      tx.all(this.db.insertInto('snipe_state').values({ id: 1, seeded_at: now, high_water: highWater })
        .returning('id'));
      for (const collection of new Set(ids)) {
        tx.all(this.db.insertInto('snipe_seen').values({ collection, seen_at: now, how: 'start', matched: null })
          .onConflict((oc) => oc.column('collection').doNothing()).returning('collection'));
      }
      return true;
    });
  }

  /** Marks `collection` seen with what the filters matched in it, in one write; true when it was not seen before (the
   *  caller then arms the matches), false when it was (another process, or an earlier run, took it: nothing written). */
  async markSeen(collection: number, how: Exclude<SeenHow, 'start'>, matched: readonly SeenMatch[] = []): Promise<boolean> {
    checkId(collection);
    const now = this.conn.now();
    const text = matched.length === 0 ? null : matchesJson(matched);
    return this.conn.immediate((tx) => {
      const inserted = tx.all(this.db.insertInto('snipe_seen').values({ collection, seen_at: now, how, matched: text })
        .onConflict((oc) => oc.column('collection').doNothing()).returning('collection'));
      return inserted.length > 0;
    });
  }

  /** Records what the filters matched in a seen collection (replacing what was recorded). */
  async recordMatches(collection: number, matched: readonly SeenMatch[]): Promise<void> {
    checkId(collection);
    const text = matchesJson(matched);
    await this.conn.immediate((tx) => {
      const updated = tx.all(this.db.updateTable('snipe_seen').set({ matched: text }).where('collection', '=', collection).returning('collection'));
      if (updated.length === 0) throw new LedgerError('INVALID_INPUT', `collection ${collection} was never marked seen`, { collection });
    });
  }

  /** Every seen collection, in id order. */
  async list(): Promise<SeenCollection[]> {
    const rows = await this.db.selectFrom('snipe_seen').selectAll().orderBy('collection').execute();
    return rows.map((r) => ({ collection: r.collection, seenAt: r.seen_at, how: r.how, matched: r.matched === null ? [] : (JSON.parse(r.matched) as SeenMatch[]) }));
  }

  /** The highest collection id seen (0 when none): where probing for the next id starts. */
  async maxSeen(): Promise<number> {
    const row = await this.db.selectFrom('snipe_seen').select((eb) => eb.fn.max('collection').as('max')).executeTakeFirst();
    return row?.max ?? 0;
  }
}

function matchesJson(matched: readonly SeenMatch[]): string {
  return JSON.stringify(matched.map((m) => ({ filter: m.filter, character: m.character })));
}

function checkId(collection: number): void {
  if (!Number.isSafeInteger(collection) || collection <= 0) {
    throw new LedgerError('INVALID_INPUT', `collection id must be a positive integer (got ${collection})`, { collection });
  }
}
