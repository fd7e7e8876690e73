/** The listing watcher of snipe mode: finds collections nobody named. It polls the store's listing
 *  (`GET /collections`) and probes the two ids after the highest it has seen (`GET /collection/{max+1}`, `{max+2}`,
 *  so a collection published before it is listed is seen too), through the filters' accounts in turn, at poll
 *  priority through the limiter like every watcher. Each collection it has not seen is judged once per ledger
 *  (judge-collection.ts, the seen-set in the ledger deciding which process takes it), and each character a filter
 *  takes is armed as a target (`arm`) and sent to the sniper (SNIPE_ARM), which spawns its watcher and purchases as
 *  for a configured target. The first run seeds the seen-set with what the store has then (seed-seen.ts: the listing
 *  and what probing past it finds): never bought, nor any id at or below the highest of them. What a collection's
 *  judging takes counts as taken only once the ledger has it and it is armed, so a failed write or arm is tried again
 *  at the next turn. A restart re-arms what earlier runs matched (the ledger's pack count keeps it from buying twice).
 *  Talks to: the sniper (SNIPE_ARM, SNIPE_PREVIEW out). */
import { fromCallback } from 'xstate';
import type { Logger } from 'pino';
import type { SeenCollections, SeenMatch } from '../ledger/seen-collections.js';
import type { CollectionView } from '../store/collection-answer.js';
import type { StoreClient } from '../store/store-client.js';
import type { RunTarget } from '../actors/sniper.js';
import type { PollPace } from '../actors/watcher.js';
import { judgeCollection, noteMatch, type Chosen } from './judge-collection.js';
import { previewListing } from './dry-run-preview.js';
import { filterName, type SnipeFilter } from './snipe-filter.js';
import { seedSeen, type SeedProgress } from './seed-seen.js';
import type { RunEventSink } from '../events/run-events.js';

/** One account the listing is polled through. */
export interface ListingPoller {
  readonly account: string;
  readonly store: Pick<StoreClient, 'collections' | 'collection' | 'priceTon'>;
}

/** What the run gives snipe mode: its filters, the ledger's seen-set, and how a matched character becomes a target
 *  (the same builder as a configured target's: its seed is the ledger's count of its packs). */
export interface SnipeSetup {
  readonly filters: readonly SnipeFilter[];
  readonly seen: Pick<SeenCollections, 'seededAt' | 'seed' | 'markSeen' | 'list' | 'highWater'>;
  /** Keys (`collection:character`) of the configured targets: a filter never buys one of them. */
  readonly configured: ReadonlySet<string>;
  arm(filter: SnipeFilter, collection: number, character: number): Promise<RunTarget>;
}

export interface ListingWatcherInput extends SnipeSetup {
  readonly pollers: readonly ListingPoller[];
  readonly pollIntervalMs: number;
  readonly pace?: PollPace;
  /** How many pollers share each account's pace, this watcher included (read at every turn; 1 when not given). */
  readonly sharedBy?: (account: string) => number;
  readonly dryRun: boolean;
  readonly log: Logger;
  /** The run's events: each new collection (`collection.published`) and each match armed (`snipe.matched`). */
  readonly events?: RunEventSink;
}

/** What the listing watcher tells the sniper. */
export type ListingReport =
  /** Targets to spawn now, with the matches they came from (filter and why). */
  | { type: 'SNIPE_ARM'; targets: readonly RunTarget[]; matches: readonly Chosen[] }
  /** A dry run's look at what is listed now: what each filter would have bought, and why it is skipped. */
  | { type: 'SNIPE_PREVIEW'; lines: readonly string[] };

/** Calls one turn makes (the listing and two probes): the turn's share of the account's poll pace. */
const CALLS_PER_TURN = 3;
/** How many ids past the highest seen are probed. */
export const PROBE_AHEAD = 2;

export const listingWatcherLogic = fromCallback<{ type: 'NONE' }, ListingWatcherInput>(({ input, sendBack }) => {
  const stop = new AbortController();
  void watchListing(input, (r) => sendBack(r), stop.signal).catch((e: unknown) => {
    if (!stop.signal.aborted) input.log.error({ err: e }, 'snipe: listing watcher stopped');
  });
  return () => stop.abort();
});

/** What the loop keeps between turns. */
interface WatchState {
  /** Collections this process has seen (judged, or seeded). */
  readonly known: Set<number>;
  /** Keys (`c:ch`) no filter may take again: configured targets and what is armed. */
  readonly taken: Set<string>;
  /** The seeding's highest collection id: no id at or below it is judged. */
  highWater: number;
  /** Matches recorded in the ledger whose arming failed: armed again at the next turn. */
  pending: Chosen[];
  readonly seeding: SeedProgress;
}

/** The loop: the start (seed or re-arm), then a turn per account in turn until stopped. */
export async function watchListing(input: ListingWatcherInput, report: (r: ListingReport) => void, signal: AbortSignal): Promise<void> {
  const { pollers, log } = input;
  if (pollers.length === 0) return;
  let turn = 0;
  const nextPoller = (): ListingPoller => pollers[turn++ % pollers.length]!;
  const state: WatchState = {
    known: new Set(), taken: new Set(input.configured), highWater: 0, pending: [], seeding: { found: new Set() },
  };
  const { known } = state;
  const failures = new Failures(log);
  // The account's pace is shared by every poller using it (target watchers and this one).
  const delay = async (p: ListingPoller): Promise<number> => {
    const pace = input.pace ? await input.pace(p.account) : input.pollIntervalMs;
    const shared = Math.max(1, input.sharedBy?.(p.account) ?? 1);
    return Math.max(input.pollIntervalMs, pace * CALLS_PER_TURN * shared) / pollers.length;
  };
  while (!signal.aborted) {
    const poller = nextPoller();
    try {
      await start(input, poller, state, report, signal);
      break;
    } catch (e) {
      failures.note('start', e, signal);
    }
    await sleep(await delay(poller), signal);
  }
  const judging = new Set<number>();
  // A collection not yet seen, judged once by this process (a listing and a probe may meet it in the same turn).
  const judge = async (id: number, how: 'listing' | 'probe', poller: ListingPoller, view?: CollectionView): Promise<void> => {
    if (known.has(id) || judging.has(id)) return;
    if (id <= state.highWater) {
      // The store had it at the first start without listing it then: never bought.
      known.add(id);
      log.info({ collection: id, highWater: state.highWater },
        'snipe: collection existed at the first start (at or below its highest id); never bought');
      return;
    }
    judging.add(id);
    try {
      const detail = view ?? await poller.store.collection(id, { signal });
      // Listed but not answered by id yet: the next turn asks again.
      if (!detail.published) return;
      // Judged against a copy: what it takes is taken only once the ledger has it and it is armed (a failed write is
      // judged again at the next turn).
      const chosen = await judgeCollection(input.filters, detail, poller.store, new Set(state.taken), log, signal);
      const matched: SeenMatch[] = chosen.map((c) => ({ filter: c.filter, character: c.character }));
      const first = await input.seen.markSeen(id, how, matched);
      known.add(id);
      if (!first) return;
      log.info({ collection: id, title: detail.title, how, matched: chosen.length }, 'snipe: new collection');
      input.events?.emit({ type: 'collection.published', collection: id, source: how, title: detail.title });
      await armTaken(input, state, chosen, report, true);
    } finally {
      judging.delete(id);
    }
  };
  while (!signal.aborted) {
    const poller = nextPoller();
    if (state.pending.length > 0) await armTaken(input, state, state.pending.splice(0), report, false);
    const max = Math.max(state.highWater, ...known);
    const listing = (async () => {
      const listed = await poller.store.collections({ signal });
      failures.ok('listing');
      for (const c of listed.collections) if (!known.has(c.id)) await judge(c.id, 'listing', poller);
    })().catch((e: unknown) => failures.note('listing', e, signal));
    const probes = Array.from({ length: PROBE_AHEAD }, (_, i) => max + 1 + i).map((id) => (async () => {
      const view = await poller.store.collection(id, { signal });
      failures.ok('probe');
      if (view.published) await judge(id, 'probe', poller, view);
    })().catch((e: unknown) => failures.note('probe', e, signal)));
    await Promise.all([listing, ...probes]);
    await sleep(await delay(poller), signal);
  }
}

/** The start: a new seen-set is seeded with what the store has now (never bought: seed-seen.ts); an existing one
 *  re-arms what earlier runs matched. A dry run then says what each filter would have bought of what is listed. */
async function start(
  input: ListingWatcherInput, poller: ListingPoller, state: WatchState, report: (r: ListingReport) => void, signal: AbortSignal,
): Promise<void> {
  const { log } = input;
  let listed: readonly number[] | null = null;
  if ((await input.seen.seededAt()) === null) {
    const seeding = await seedSeen(input.seen, poller.store, state.seeding, PROBE_AHEAD, signal);
    listed = seeding.listed;
    if (seeding.seeded) {
      const probed = seeding.ids.length - seeding.listed.length;
      log.info({ collections: seeding.ids, probed }, `snipe: first run; the ${seeding.ids.length} collection(s) the store `
        + `has now (${probed} found past its listing) are never bought by a filter`);
    }
  }
  state.highWater = await input.seen.highWater();
  const seen = await input.seen.list();
  for (const s of seen) state.known.add(s.collection);
  const again: Chosen[] = [];
  const keys = new Set<string>();
  for (const s of seen) {
    for (const m of s.matched) {
      const key = `${s.collection}:${m.character}`;
      if (input.filters[m.filter] === undefined) {
        log.warn({ filter: filterName({ index: m.filter }), target: key }, 'snipe: a filter that matched in an earlier run is no longer configured; not re-armed');
      } else if (!state.taken.has(key) && !keys.has(key)) {
        keys.add(key);
        again.push({ filter: m.filter, collection: s.collection, character: m.character, name: `character ${m.character}`, why: 'matched in an earlier run' });
      }
    }
  }
  if (again.length > 0) log.info({ targets: again.map((c) => `${c.collection}:${c.character}`) }, 'snipe: re-arming what earlier runs matched');
  // Taken only once armed: a failed arm fails the start, which is tried again at the next turn.
  await armChosen(input, again, report, false);
  for (const key of keys) state.taken.add(key);
  if (input.dryRun) {
    const lines = await previewListing(input, poller, seen, listed, state.highWater, signal);
    for (const line of lines) log.info(line);
    report({ type: 'SNIPE_PREVIEW', lines });
  }
}

/** Arms what a judging took (recorded in the ledger), and only then counts it as taken; an arm that fails is kept
 *  for the next turn. */
async function armTaken(
  input: ListingWatcherInput, state: WatchState, chosen: readonly Chosen[], report: (r: ListingReport) => void, note: boolean,
): Promise<void> {
  try {
    await armChosen(input, chosen, report, note);
  } catch (e) {
    const targets = chosen.map((c) => `${c.collection}:${c.character}`);
    input.log.warn({ err: e, targets }, 'snipe: arming a match failed; trying again at the next turn');
    state.pending.push(...chosen);
    return;
  }
  for (const c of chosen) state.taken.add(`${c.collection}:${c.character}`);
}

async function armChosen(input: ListingWatcherInput, chosen: readonly Chosen[], report: (r: ListingReport) => void, note = true): Promise<void> {
  if (chosen.length === 0) return;
  if (note) for (const c of chosen) noteMatch(c, input.log, input.dryRun);
  const targets = await Promise.all(chosen.map((c) => input.arm(input.filters[c.filter]!, c.collection, c.character)));
  report({ type: 'SNIPE_ARM', targets, matches: chosen });
  // Told once armed, and only for new matches (a restart re-arming an earlier run's match is no news).
  if (note) {
    for (const c of chosen) {
      input.events?.emit({
        type: 'snipe.matched', target: `${c.collection}:${c.character}`, collection: c.collection, character: c.character,
        filter: filterName({ index: c.filter }), why: c.why, dryRun: input.dryRun,
      });
    }
  }
}

/** The first failure of each kind of poll is a warning, the next ones debug until one works again. */
class Failures {
  private readonly failing = new Set<string>();
  constructor(private readonly log: Logger) {}
  note(kind: string, e: unknown, signal: AbortSignal): void {
    if (signal.aborted) return;
    const message = kind === 'start' ? 'snipe: start failed; trying again at the next turn' : 'snipe: poll failed';
    if (this.failing.has(kind)) this.log.debug({ err: e, kind }, message);
    else this.log.warn({ err: e, kind }, message);
    this.failing.add(kind);
  }
  ok(kind: string): void {
    this.failing.delete(kind);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
