/** Cached store answers: a time-to-live per operation (a price for 30 s), conditional reads with the ETag the store
 *  sent (the fetch is offered the kept copy, so a 304 reuses the parsed body kept beside its ETag), and one shared
 *  request for concurrent identical reads (opossum's `coalesce`). Only reads come here: a call that spends or signs
 *  in is refused. The endpoints actor owns one cache per run; callers reach it through the `ResponseReader` port. */
import { AutomintError } from '../errors.js';
import type { StoreOperation } from './store-error.js';

/** How long an answer is served without asking the store again, per operation, in ms. An operation not listed (or
 *  0) is asked every time, conditionally when the store gave an ETag: the watcher's collection polls must see stock
 *  as it is now. */
export const RESPONSE_TTL_MS: Readonly<Partial<Record<StoreOperation, number>>> = {
  priceTon: 30_000,
  settings: 60_000,
};

/** Operations whose every call must reach the store: never kept, never shared. */
const NEVER_CACHED: ReadonlySet<StoreOperation> = new Set<StoreOperation>(['auth', 'buyTon', 'buyStars']);

/** Which answer: the operation, whose answer it is (an account: the store may answer each user differently, so one
 *  account's copy is never served to another), and the URL path with its query. */
export interface ResponseKey {
  readonly op: StoreOperation;
  readonly scope: string;
  readonly url: string;
}

/** The copy kept for a key, offered to a fetch so it can ask conditionally and answer a 304 with it. */
export interface KeptCopy<T> {
  readonly value: T;
  readonly etag: string;
}

/** What a fetch brought back: the answer (the kept copy's value when the store said "unchanged") and the store's
 *  ETag for it (null: none). */
export interface Fetched<T> {
  readonly value: T;
  readonly etag: string | null;
}

/** Asks the store once. `kept` is the copy to revalidate (send its ETag as If-None-Match; null: ask
 *  unconditionally); `signal` aborts when every caller waiting for this answer has given up. */
export type Fetcher<T> = (request: { readonly kept: KeptCopy<T> | null; readonly signal: AbortSignal }) => Promise<Fetched<T>>;

/** The port store calls read through. Values are shared between callers: treat them as read-only. */
export interface ResponseReader {
  read<T>(key: ResponseKey, fetch: Fetcher<T>, signal?: AbortSignal): Promise<T>;
}

/** A call that spends or signs in was sent to the response cache: it must reach the store every time, so the cache
 *  refuses it without asking the store. A wiring mistake, caught before it can hand one order to two payers. */
export class ResponseNotCacheable extends AutomintError {
  constructor(key: ResponseKey) {
    super('RESPONSE_NOT_CACHEABLE', `${key.op} must reach the store every time; it was sent to the response cache`, { op: key.op });
  }
}

interface Entry {
  readonly value: unknown;
  readonly etag: string | null;
  readonly storedAt: number;
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
  readonly ttlMs?: Readonly<Partial<Record<StoreOperation, number>>>;
  /** Copies kept at most; the least recently used goes first. */
  readonly maxEntries?: number;
  /** Epoch-ms clock. */
  readonly now?: () => number;
}

export class ResponseCache implements ResponseReader {
  private readonly ttlMs: Readonly<Partial<Record<StoreOperation, number>>>;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();

  constructor(opts: ResponseCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? RESPONSE_TTL_MS;
    this.maxEntries = opts.maxEntries ?? 500;
    this.now = opts.now ?? Date.now;
  }

  /** The answer for `key`: a copy within its time-to-live, else the request already in flight for it, else a new
   *  one through `fetch` (offered the kept copy when it has an ETag). Failures are never cached. */
  read<T>(key: ResponseKey, fetch: Fetcher<T>, signal?: AbortSignal): Promise<T> {
    if (NEVER_CACHED.has(key.op)) return Promise.reject(new ResponseNotCacheable(key));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = keyOf(key);
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.storedAt < this.ttlFor(key.op)) {
      this.remember(id, entry);
      return Promise.resolve(entry.value as T);
    }
    const flight = this.flights.get(id) ?? this.launch(id, key, entry, fetch as Fetcher<unknown>);
    return this.wait(id, flight, signal) as Promise<T>;
  }

  private ttlFor(op: StoreOperation): number {
    return this.ttlMs[op] ?? 0;
  }

  private launch(id: string, key: ResponseKey, prior: Entry | undefined, fetch: Fetcher<unknown>): Flight {
    const controller = new AbortController();
    // The copy offered for comparison is captured now, so a 304 is answered with exactly the body its ETag named.
    const kept: KeptCopy<unknown> | null = prior?.etag ? { value: prior.value, etag: prior.etag } : null;
    let flight: Flight | undefined;
    const run = async (): Promise<unknown> => {
      // One tick first, so the flight is registered before its `finally` can run (a fetch may throw at once).
      await Promise.resolve();
      try {
        const fetched = await fetch({ kept, signal: controller.signal });
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

  /** Keeps `entry` as the most recently used copy, dropping the least recently used past maxEntries. */
  private remember(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

function keyOf(key: ResponseKey): string {
  return `${key.op}\u0000${key.scope}\u0000${key.url}`;
}
