/** Cached store answers: a time-to-live per operation (a price for 30 s, a balance for 5 s), conditional reads with
 *  the ETag the store sent (a 304 reuses the parsed body kept beside it), and one shared request for concurrent
 *  identical reads (opossum's `coalesce`). Only reads come here: a call that spends is never cached. The endpoints
 *  actor owns one cache per run; callers reach it through the `ResponseReader` port. */
import { AutomintError } from '../errors.js';

/** How long an answer is served without asking the store again, per operation, in ms. An operation not listed (or
 *  0) is asked every time, conditionally when the store gave an ETag: the watcher's collection polls must see stock
 *  as it is now. */
export const RESPONSE_TTL_MS: Readonly<Record<string, number>> = {
  priceTon: 30_000,
  balance: 5_000,
  settings: 60_000,
};

/** Which answer: the operation, whose answer it is (an account: the store may answer each user differently, so one
 *  account's copy is never served to another), and the URL path with its query. */
export interface ResponseKey {
  readonly op: string;
  readonly scope: string;
  readonly url: string;
}

/** What a fetch brought back: a new answer (with the store's ETag, if any), or "unchanged" (HTTP 304). */
export type Fetched<T> =
  | { readonly kind: 'fresh'; readonly value: T; readonly etag: string | null }
  | { readonly kind: 'unchanged' };

/** Asks the store once. `etag` is the validator to send as If-None-Match (null: ask unconditionally); `signal` aborts
 *  when every caller waiting for this answer has given up. */
export type Fetcher<T> = (request: { readonly etag: string | null; readonly signal: AbortSignal }) => Promise<Fetched<T>>;

/** The port store calls read through. Values are shared between callers: treat them as read-only. */
export interface ResponseReader {
  read<T>(key: ResponseKey, fetch: Fetcher<T>, signal?: AbortSignal): Promise<T>;
}

/** How the cache answered, for reports and tests. */
export interface ResponseCacheCounts {
  /** Served from a copy still within its time-to-live. */
  hits: number;
  /** The store said 304 and the kept copy was served. */
  revalidated: number;
  /** Joined a request already in flight instead of sending another. */
  coalesced: number;
  /** The store sent a new answer. */
  fetched: number;
}

/** A fetch said "unchanged" although no copy was offered for it to compare with: a 304 to an unconditional read. */
export class CachedCopyMissing extends AutomintError {
  constructor(key: ResponseKey) {
    super('CACHED_COPY_MISSING', `the store answered "not modified" to ${key.op} ${key.url} but no copy was kept`, {
      op: key.op, url: key.url,
    });
  }
}

interface Entry {
  readonly value: unknown;
  readonly etag: string | null;
  storedAt: number;
}

interface Flight {
  readonly promise: Promise<unknown>;
  readonly controller: AbortController;
  /** Callers still waiting that could give up (a caller without a signal never does). */
  waiting: number;
  /** A caller without a signal is waiting: the request is never abandoned. */
  pinned: boolean;
}

export interface ResponseCacheOptions {
  /** Time-to-live per operation (ms); RESPONSE_TTL_MS when omitted. */
  readonly ttlMs?: Readonly<Record<string, number>>;
  /** Copies kept at most; the least recently used goes first. */
  readonly maxEntries?: number;
  /** Epoch-ms clock. */
  readonly now?: () => number;
}

export class ResponseCache implements ResponseReader {
  private readonly ttlMs: Readonly<Record<string, number>>;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly tally: ResponseCacheCounts = { hits: 0, revalidated: 0, coalesced: 0, fetched: 0 };

  constructor(opts: ResponseCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? RESPONSE_TTL_MS;
    this.maxEntries = opts.maxEntries ?? 500;
    this.now = opts.now ?? Date.now;
  }

  /** The answer for `key`: a copy within its time-to-live, else the request already in flight for it, else a new
   *  one through `fetch` (conditional when a copy with an ETag is kept). Failures are never cached. */
  read<T>(key: ResponseKey, fetch: Fetcher<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = keyOf(key);
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.storedAt < this.ttlFor(key.op)) {
      this.tally.hits++;
      this.touch(id, entry);
      return Promise.resolve(entry.value as T);
    }
    let flight = this.flights.get(id);
    if (flight) this.tally.coalesced++;
    else flight = this.launch(id, key, entry, fetch as Fetcher<unknown>);
    return this.wait(id, flight, signal) as Promise<T>;
  }

  /** Drops the copy of `key`, or every copy. Requests in flight finish for their callers. */
  forget(key?: ResponseKey): void {
    if (key) this.entries.delete(keyOf(key));
    else this.entries.clear();
  }

  /** How many copies are kept. */
  get size(): number {
    return this.entries.size;
  }

  /** A copy of the counts so far. */
  counts(): ResponseCacheCounts {
    return { ...this.tally };
  }

  private ttlFor(op: string): number {
    return this.ttlMs[op] ?? 0;
  }

  private launch(id: string, key: ResponseKey, prior: Entry | undefined, fetch: Fetcher<unknown>): Flight {
    const controller = new AbortController();
    // The copy offered for comparison is captured now, so a 304 is answered with exactly the body its ETag named.
    const offered = prior?.etag ? prior : undefined;
    let flight: Flight | undefined;
    const run = async (): Promise<unknown> => {
      // One tick first, so the flight is registered before its `finally` can run (a fetch may throw at once).
      await Promise.resolve();
      try {
        const fetched = await fetch({ etag: offered?.etag ?? null, signal: controller.signal });
        if (fetched.kind === 'unchanged') {
          if (!offered) throw new CachedCopyMissing(key);
          this.tally.revalidated++;
          this.remember(id, { value: offered.value, etag: offered.etag, storedAt: this.now() });
          return offered.value;
        }
        this.tally.fetched++;
        if (fetched.etag !== null || this.ttlFor(key.op) > 0) {
          this.remember(id, { value: fetched.value, etag: fetched.etag, storedAt: this.now() });
        } else {
          // A new answer without a validator makes an older copy useless.
          this.entries.delete(id);
        }
        return fetched.value;
      } finally {
        if (this.flights.get(id) === flight) this.flights.delete(id);
      }
    };
    const launched: Flight = { promise: run(), controller, waiting: 0, pinned: false };
    flight = launched;
    // Every caller may have left before it settles; its failure is theirs, not an unhandled rejection.
    launched.promise.catch(() => undefined);
    this.flights.set(id, launched);
    return launched;
  }

  private wait(id: string, flight: Flight, signal: AbortSignal | undefined): Promise<unknown> {
    if (!signal) {
      flight.pinned = true;
      return flight.promise;
    }
    flight.waiting++;
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        flight.waiting--;
        if (flight.waiting === 0 && !flight.pinned) {
          // Nobody wants this answer any more: cancel it, and let the next reader start a fresh request rather than
          // join one that is being torn down.
          if (this.flights.get(id) === flight) this.flights.delete(id);
          flight.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error);
        },
      );
    });
  }

  private remember(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private touch(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }
}

function keyOf(key: ResponseKey): string {
  return `${key.op}\u0000${key.scope}\u0000${key.url}`;
}
