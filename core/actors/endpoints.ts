/** The endpoints actor: which base URL serves each store operation, with success and latency stats per URL, and the
 *  run's response caches. Fails over to a mirror only on transport failures or a run of 5xx, never on 4xx/401/429
 *  (those are answers, and a 429 is the limiter's business); a URL that lost its turn gets one call every
 *  RECOVERY_PROBE_MS to show it is back. Reads are served from the caches (a time-to-live per operation, ETag
 *  revalidation, one request for concurrent identical reads). Stats are loaded from the ledger when it starts; while
 *  the run goes on, a URL's run of failures and bench time (what failover needs after a restart) are written at most
 *  once per SAVE_EVERY_MS, and everything (counters, latency) on FLUSH and when it stops. Talks to: every store call,
 *  through `endpointResolver` and `responseReader`; the run, through `flushEndpoints` before it closes the ledger; the
 *  ledger's endpoint stats. */
import { fromCallback, type ActorRef, type EventObject, type Snapshot } from 'xstate';
import type { Logger } from 'pino';
import { AutomintError } from '../errors.js';
import { whenActive } from './active-ref.js';
import { STATE_SAVE_INTERVAL_MS, WriteBehind } from './write-behind.js';
import type { EndpointStatsRepository, SavedEndpointStats } from '../ledger/endpoint-stats.js';
import type { CallOutcome, EndpointResolver } from '../store/request-gate.js';
import { RESPONSE_TTL_MS, ResponseCache, type Fetcher, type ResponseKey, type ResponseReader } from '../store/response-cache.js';
import type { StoreOperation } from '../store/store-error.js';

export interface EndpointsInput {
  readonly primary: string;
  readonly mirrors: readonly string[];
  /** How long answers are served from the cache, per operation (ms); RESPONSE_TTL_MS when omitted. */
  readonly responseTtlMs?: Readonly<Partial<Record<StoreOperation, number>>>;
  /** Where stats persist across runs (the ledger's `endpointStats`); kept in memory only when omitted. */
  readonly saved?: Pick<EndpointStatsRepository, 'load' | 'save'>;
  /** Shortest time between two saves, ms; SAVE_EVERY_MS when omitted. */
  readonly saveEveryMs?: number;
  /** Told when loading or saving stats fails (the run goes on without them). */
  readonly log?: Logger;
}

/** Health of one base URL. */
export interface EndpointStats {
  readonly baseUrl: string;
  ok: number;
  failed: number;
  /** Consecutive transport failures or 5xx answers; resets on any answer below 500. */
  badRun: number;
  /** Exponentially weighted mean latency, ms. */
  latencyMs: number | null;
  /** Epoch ms of the last bad outcome or recovery probe; a benched URL is probed again RECOVERY_PROBE_MS after it. */
  lastBadAt: number | null;
}

export type EndpointsEvent =
  /** From a store call about to go out: which base URL to use. */
  | { type: 'RESOLVE'; op: StoreOperation; reply: (baseUrl: string) => void }
  /** From a store call that finished. */
  | { type: 'OUTCOME'; op: StoreOperation; baseUrl: string; status: number | null; ms: number }
  /** From the sniper at the end of a run: a copy of the stats. */
  | { type: 'REPORT'; reply: (stats: EndpointStats[]) => void }
  /** From a store read: the answer, from the cache, from a request in flight, or from `fetch`. */
  | { type: 'READ'; key: ResponseKey; fetch: Fetcher<unknown>; signal?: AbortSignal; reply: (answer: Promise<unknown>) => void }
  /** From the run before it closes the ledger: `reply` comes once the stats as they are now are written (or the
   *  write failed, which is logged). */
  | { type: 'FLUSH'; reply: () => void };

/** How many bad outcomes in a row make a URL lose its turn. */
export const FAILOVER_AFTER = 5;
/** How long a URL that lost its turn waits before one call is sent to it again. */
export const RECOVERY_PROBE_MS = 30_000;
/** Stats are written at most this often while the run goes on (see STATE_SAVE_INTERVAL_MS), and once more on FLUSH and
 *  stop. */
export const SAVE_EVERY_MS = STATE_SAVE_INTERVAL_MS;

export const endpointsLogic = fromCallback<EndpointsEvent, EndpointsInput>(({ input, receive }) => {
  const stats = new Map<string, EndpointStats>();
  for (const baseUrl of [input.primary, ...input.mirrors]) {
    stats.set(baseUrl, { baseUrl, ok: 0, failed: 0, badRun: 0, latencyMs: null, lastBadAt: null });
  }
  const responses = new ResponseCache({ ttlMs: input.responseTtlMs ?? RESPONSE_TTL_MS });
  const persistence = persistStats(stats, input);
  const choose = (now: number): string => {
    for (const s of stats.values()) {
      if (s.badRun < FAILOVER_AFTER) return s.baseUrl;
      // Nothing else would ever send it a call again, so nothing could show it recovered: probe it, one call at a time.
      if (s.lastBadAt !== null && now - s.lastBadAt >= RECOVERY_PROBE_MS) {
        s.lastBadAt = now;
        return s.baseUrl;
      }
    }
    // Every URL is failing: keep trying the primary rather than guessing.
    return input.primary;
  };
  receive((event) => {
    switch (event.type) {
      case 'RESOLVE':
        event.reply(choose(Date.now()));
        return;
      case 'OUTCOME': {
        const s = stats.get(event.baseUrl);
        if (!s) return;
        const bad = event.status === null || event.status >= 500;
        if (bad) {
          s.failed++;
          s.badRun++;
          s.lastBadAt = Date.now();
        } else {
          s.ok++;
          s.badRun = 0;
          s.latencyMs = s.latencyMs === null ? event.ms : s.latencyMs * 0.8 + event.ms * 0.2;
        }
        persistence.changed();
        return;
      }
      case 'REPORT':
        event.reply([...stats.values()].map((s) => ({ ...s })));
        return;
      case 'READ':
        event.reply(responses.read(event.key, event.fetch, event.signal));
        return;
      case 'FLUSH':
        void persistence.flush().then(event.reply);
        return;
    }
  });
  return () => void persistence.stop();
});

/** Loads saved stats into `stats` at once; writes them after changes, paced (WriteBehind); `flush` and `stop` write
 *  what is left. */
function persistStats(
  stats: Map<string, EndpointStats>, input: EndpointsInput,
): { changed(): void; flush(): Promise<void>; stop(): Promise<void> } {
  const saved = input.saved;
  if (!saved) return { changed: () => undefined, flush: () => Promise.resolve(), stop: () => Promise.resolve() };
  /** What failover needs after a restart, as last written: a look that finds it unchanged writes nothing until the
   *  flush (counters and latency change with every call and only describe). */
  let lastWritten: string | null = null;
  const durablePart = (rows: readonly Pick<SavedEndpointStats, 'baseUrl' | 'badRun' | 'lastBadAt'>[]): string =>
    JSON.stringify(rows.map((s) => [s.baseUrl, s.badRun, s.lastBadAt]));
  const saver = new WriteBehind({
    minIntervalMs: input.saveEveryMs ?? SAVE_EVERY_MS,
    write: async (final) => {
      const durable = durablePart([...stats.values()]);
      if (!final && durable === lastWritten) return false;
      await saved.save([...stats.values()].map((s) => ({ ...s })));
      lastWritten = durable;
      return true;
    },
    onError: (err) => input.log?.warn({ err }, 'endpoint stats not saved'),
  });
  // Nothing is saved until the load is in: a save first would overwrite what the last run left.
  saved.load([...stats.keys()]).then(
    (rows) => {
      for (const row of rows) restore(stats.get(row.baseUrl), row);
      // What the ledger holds now, a URL without a row as a fresh one: a run that saw nothing new writes nothing, and
      // one whose failure run differs from the saved one writes it at once.
      lastWritten = durablePart([...stats.keys()].map((baseUrl) => rows.find((r) => r.baseUrl === baseUrl) ?? { baseUrl, badRun: 0, lastBadAt: null }));
      saver.loaded();
    },
    (err: unknown) => {
      input.log?.warn({ err }, 'endpoint stats not loaded; starting from none');
      saver.loaded();
    },
  );
  return { changed: () => saver.changed(), flush: () => saver.flush(), stop: () => saver.stop() };
}

/** Adds a saved record to the live one. What this run has already seen about the URL's current run of failures
 *  wins over the saved run. */
function restore(live: EndpointStats | undefined, row: SavedEndpointStats): void {
  if (!live) return;
  const seenThisRun = live.ok + live.failed > 0;
  live.ok += row.ok;
  live.failed += row.failed;
  live.latencyMs ??= row.latencyMs;
  if (!seenThisRun) {
    live.badRun = row.badRun;
    live.lastBadAt = row.lastBadAt;
  }
}

/** A store call asked for a base URL or a cached answer after the endpoints actor stopped (the run is ending):
 *  nothing was sent. */
export class EndpointsStopped extends AutomintError {
  constructor(op: string) {
    super('ENDPOINTS_STOPPED', `no endpoint for ${op}: the endpoints actor has stopped`, { op });
  }
}

type EndpointsRef = ActorRef<Snapshot<unknown>, EndpointsEvent, EventObject>;

/** The EndpointResolver port over a running endpoints actor. */
export function endpointResolver(endpoints: EndpointsRef): EndpointResolver {
  // A stopped actor drops events silently: an ask it would drop is answered here instead of left waiting.
  const send = whenActive(endpoints, () => undefined);
  return {
    resolve: (op) => new Promise((resolve, reject) => {
      if (!send({ type: 'RESOLVE', op, reply: resolve })) reject(new EndpointsStopped(op));
    }),
    report: ({ op, baseUrl, outcome }: { op: StoreOperation; baseUrl: string; outcome: CallOutcome }) =>
      void send({ type: 'OUTCOME', op, baseUrl, status: outcome.status, ms: outcome.ms }),
  };
}

/** The ResponseReader port over a running endpoints actor: store reads go through its caches. */
export function responseReader(endpoints: EndpointsRef): ResponseReader {
  const send = whenActive(endpoints, () => undefined);
  return {
    read: <T>(key: ResponseKey, fetch: Fetcher<T>, signal?: AbortSignal) => new Promise<T>((resolve, reject) => {
      const delivered = send({
        // The cache offers `fetch` only the copy kept for this key, which a fetch for this key produced: a T.
        type: 'READ', key, fetch: fetch as Fetcher<unknown>, signal,
        // The cache hands back the value `fetch` produced for this key, so it is a T.
        reply: (answer) => (answer as Promise<T>).then(resolve, reject),
      });
      if (!delivered) reject(new EndpointsStopped(key.op));
    }),
  };
}

/** Writes the endpoint stats to the ledger and resolves once the write has ended; it never rejects (a failed write is
 *  logged by the actor). The run awaits it, with the limiter's flush, before the ledger closes; a stopped actor
 *  resolves at once. */
export function flushEndpoints(endpoints: EndpointsRef): Promise<void> {
  return new Promise((resolve) => void whenActive(endpoints, () => resolve())({ type: 'FLUSH', reply: resolve }));
}
