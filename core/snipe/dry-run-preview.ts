/** What a dry run says about snipe mode at its start: for each collection the store lists now, what each filter
 *  would buy and why, and whether it would be skipped (there at this ledger's first start, or at or below the highest
 *  id then: never bought; already judged by an earlier run) or bought (not seen yet). Read-only: it marks nothing seen
 *  and arms nothing. */
import type { SeenCollection } from '../ledger/seen-collections.js';
import { judgeCollection } from './judge-collection.js';
import type { ListingPoller, ListingWatcherInput } from './listing-watcher.js';
import { filterName } from './snipe-filter.js';

/** One line per listed collection and character a filter would take (or per collection none takes). */
export async function previewListing(
  input: Pick<ListingWatcherInput, 'filters' | 'configured' | 'log'>, poller: ListingPoller, seen: readonly SeenCollection[],
  listed: readonly number[] | null, highWater: number, signal?: AbortSignal,
): Promise<string[]> {
  const ids = listed ?? (await poller.store.collections({ signal })).collections.map((c) => c.id);
  const seenBy = new Map(seen.map((s) => [s.collection, s]));
  const lines: string[] = [];
  // A fresh copy: the preview must not keep the run from taking a character.
  const taken = new Set(input.configured);
  for (const id of ids) {
    const view = await poller.store.collection(id, { signal });
    if (!view.published) {
      lines.push(`snipe dry run: collection ${id} is listed but not answered by id yet`);
      continue;
    }
    const chosen = await judgeCollection(input.filters, view, poller.store, taken, input.log, signal);
    const s = seenBy.get(id);
    const belowMark = 'skipped: at or below the highest id the store had at this ledger\'s first run, so never bought by a filter';
    const fate = s === undefined ? (id > highWater ? 'new: bought once judged' : belowMark)
      : s.how === 'start' ? 'skipped: listed when this ledger\'s first run started, so never bought by a filter'
        : 'skipped: already judged by an earlier run';
    if (chosen.length === 0) lines.push(`snipe dry run: collection ${id} "${view.title}": no filter takes it`);
    for (const c of chosen) {
      lines.push(`snipe dry run: ${filterName({ index: c.filter })} would buy ${c.collection}:${c.character} "${c.name}" of "${view.title}" (${c.why}); ${fate}`);
    }
  }
  if (ids.length === 0) lines.push('snipe dry run: the store lists no collection now');
  return lines;
}
