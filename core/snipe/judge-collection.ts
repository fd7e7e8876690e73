/** Judging one newly seen collection: read its TON prices when a filter asks about them, let every filter say what it
 *  takes (match.ts), keep each character once (a configured target, or a character an earlier filter took, is not
 *  bought twice), and say so in the log and the trace with the filter and why. Arming is left to the caller, which
 *  marks the collection seen first (one process takes it). */
import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Nano } from '../money.js';
import type { Collection } from '../store/collection-answer.js';
import type { StoreClient } from '../store/store-client.js';
import { TRACER_NAME, Attr } from '../telemetry/attributes.js';
import { describeMatch, matchCollection, type TonPrices } from './match.js';
import { filterName, type SnipeFilter } from './snipe-filter.js';

/** A character one filter takes, with why in words. */
export interface Chosen {
  readonly filter: number;
  readonly collection: number;
  readonly character: number;
  readonly name: string;
  readonly why: string;
}

/** Span and attribute names of a match (under `automint.`, stable ids and the filter's own words only). */
export const SnipeSpan = {
  match: 'automint.snipe.match',
  filter: 'automint.snipe.filter',
  character: 'automint.snipe.character',
  why: 'automint.snipe.why',
} as const;

/** Every filter's verdict on `collection`, each character kept once; `taken` holds the keys (`c:ch`) no filter may
 *  take again (configured targets, characters already armed), and grows with what is chosen here. */
export async function judgeCollection(
  filters: readonly SnipeFilter[], collection: Collection, store: Pick<StoreClient, 'priceTon'>, taken: Set<string>, log: Logger,
  signal?: AbortSignal,
): Promise<Chosen[]> {
  const tonPrices = filters.some((f) => f.match.price?.TON !== undefined) ? await readTonPrices(collection, store, signal) : new Map();
  const chosen: Chosen[] = [];
  for (const filter of filters) {
    const m = matchCollection(filter, collection, tonPrices);
    if (m.refused.length > 0) log.debug({ filter: filterName(filter), collection: collection.id, refused: m.refused }, 'snipe: not taken');
    for (const c of m.characters) {
      const key = `${collection.id}:${c.id}`;
      if (taken.has(key)) {
        log.info({ filter: filterName(filter), target: key }, 'snipe: matched a character already bought as a target; not bought twice');
        continue;
      }
      taken.add(key);
      chosen.push({ filter: filter.index, collection: collection.id, character: c.id, name: c.name, why: describeMatch(m, c) });
    }
  }
  return chosen;
}

/** Logs and traces a match the run arms (a span per match: filter, collection, character and why). */
export function noteMatch(c: Chosen, log: Logger, dryRun: boolean): void {
  const filter = filterName({ index: c.filter });
  log.info({ filter, target: `${c.collection}:${c.character}`, character: c.name, why: c.why, dryRun }, 'snipe: matched a new collection');
  trace.getTracer(TRACER_NAME).startSpan(SnipeSpan.match, {
    attributes: { [SnipeSpan.filter]: filter, [Attr.collectionId]: c.collection, [SnipeSpan.character]: c.character, [SnipeSpan.why]: c.why },
  }).end();
}

/** The store's TON price of each character (null when it would not say: a filter on it then does not take it). */
async function readTonPrices(collection: Collection, store: Pick<StoreClient, 'priceTon'>, signal?: AbortSignal): Promise<TonPrices> {
  const entries = await Promise.all(collection.characters.map(async (ch): Promise<[number, Nano | null]> => {
    try {
      return [ch.id, await store.priceTon(collection.id, ch.id, signal)];
    } catch {
      return [ch.id, null];
    }
  }));
  return new Map(entries);
}
