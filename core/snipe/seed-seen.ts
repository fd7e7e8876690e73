/** The first start's seeding of snipe mode's seen-set: everything the store has at that moment is recorded as never
 *  to be bought by a filter. The listing alone cannot be trusted to be all of it (a store may list one page, or only
 *  the collections still on sale), so the ids past the highest listed are probed, through the limiter at poll
 *  priority, until PROBE_AHEAD ids in a row are not published — the very ids the listing watcher's later probes look
 *  at — and what they find is seeded too; the highest id is kept as the high-water mark, at or below which no id is
 *  ever judged new. An empty listing is a failure, not a store with nothing: seeding it would leave every existing
 *  collection to be judged new by the probes. A failed attempt writes nothing; the next turn tries again, probing on
 *  from what the earlier attempts found. */
import { AutomintError } from '../errors.js';
import type { SeenCollections } from '../ledger/seen-collections.js';
import type { StoreClient } from '../store/store-client.js';

/** Most ids probed past the listing in one attempt; the next attempt goes on from the highest published one found. */
export const SEED_PROBES = 50;

/** Why an attempt at seeding wrote nothing (the next turn tries again). */
export class SnipeSeedFailed extends AutomintError {
  constructor(code: 'EMPTY_LISTING' | 'PROBE_LIMIT', message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
  }
}

/** What seeding attempts have found past the listing so far (kept between attempts of one run). */
export interface SeedProgress {
  readonly found: Set<number>;
}

/** One attempt: reads the listing, probes past it, and seeds the set. Returns the listed ids and whether this process
 *  seeded the set (false: another one did first). Throws SnipeSeedFailed, writing nothing, when the listing is empty
 *  or the probes ran out before PROBE_AHEAD unpublished ids in a row. */
export async function seedSeen(
  seen: Pick<SeenCollections, 'seed'>, store: Pick<StoreClient, 'collections' | 'collection'>, progress: SeedProgress,
  probeAhead: number, signal?: AbortSignal,
): Promise<{ listed: number[]; seeded: boolean; ids: number[] }> {
  const listed = (await store.collections({ signal, priority: 'poll' })).collections.map((c) => c.id);
  if (listed.length === 0) {
    throw new SnipeSeedFailed('EMPTY_LISTING',
      'the store listed no collection at the first start: not seeded (every existing collection would look new)');
  }
  let id = Math.max(...listed, ...progress.found);
  let misses = 0;
  for (let probes = 0; misses < probeAhead; probes += 1) {
    if (probes >= SEED_PROBES) {
      throw new SnipeSeedFailed('PROBE_LIMIT', `${SEED_PROBES} ids past the listing are all published: not seeded yet`, { upTo: id });
    }
    id += 1;
    const view = await store.collection(id, { signal, priority: 'poll' });
    if (view.published) {
      progress.found.add(id);
      misses = 0;
    } else {
      misses += 1;
    }
  }
  const ids = [...new Set([...listed, ...progress.found])].sort((a, b) => a - b);
  return { listed, ids, seeded: await seen.seed(ids) };
}
