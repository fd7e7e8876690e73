import { describe, expect, it } from 'vitest';
import {
  RESPONSE_TTL_MS,
  ResponseCache,
  ResponseNotCacheable,
  type Fetched,
  type Fetcher,
  type KeptCopy,
  type ResponseKey,
} from '../../../../core/store/response-cache.js';
import type { StoreOperation } from '../../../../core/store/store-error.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** A cache on a clock the test moves by hand. */
function cacheAt(opts: { ttlMs?: Partial<Record<StoreOperation, number>>; maxEntries?: number } = {}) {
  let now = T0;
  const cache = new ResponseCache({ ...opts, now: () => now });
  return { cache, advance: (ms: number) => void (now += ms) };
}

/** Lets every pending promise run (one turn of the event loop). */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const key = (op: StoreOperation, url = '/api/v1/x', scope = 'alice'): ResponseKey => ({ op, scope, url });

/** A fetch whose answers a test hands out one by one; records the copy each call was offered. */
function manualFetch<T>() {
  const offered: (KeptCopy<T> | null)[] = [];
  const pending: ((f: Fetched<T>) => void)[] = [];
  const fetch: Fetcher<T> = ({ kept }) => {
    offered.push(kept);
    return new Promise((resolve) => pending.push(resolve));
  };
  return { fetch, offered, answer: (f: Fetched<T>) => pending.shift()!(f) };
}

/** A fetch answering `answers` in turn (the last one repeats); a function answer sees the offered copy (a 304). */
function scripted<T>(...answers: (Fetched<T> | ((kept: KeptCopy<T> | null) => Fetched<T>))[]) {
  const offered: (KeptCopy<T> | null)[] = [];
  const fetch: Fetcher<T> = async ({ kept }) => {
    offered.push(kept);
    const a = answers[Math.min(offered.length - 1, answers.length - 1)]!;
    return typeof a === 'function' ? a(kept) : a;
  };
  return { fetch, offered };
}

/** The store's "304 Not Modified": the copy the fetch was offered. */
const unchanged = <T>(kept: KeptCopy<T> | null): Fetched<T> => {
  if (kept === null) throw new Error('test bug: 304 without a validator');
  return kept;
};

describe('ResponseCache', () => {
  describe('time to live', () => {
    it(`serves a TON price for ${RESPONSE_TTL_MS.priceTon! / 1000} s without asking the store, then asks again`, async () => {
      const { cache, advance } = cacheAt();
      const { fetch, offered } = scripted<bigint>({ value: 2_500_000_000n, etag: null }, { value: 2_600_000_000n, etag: null });
      expect(await cache.read(key('priceTon'), fetch)).toBe(2_500_000_000n);
      advance(RESPONSE_TTL_MS.priceTon! - 1);
      expect(await cache.read(key('priceTon'), fetch)).toBe(2_500_000_000n);
      expect(offered).toHaveLength(1);
      advance(1);
      expect(await cache.read(key('priceTon'), fetch)).toBe(2_600_000_000n);
      expect(offered).toHaveLength(2);
    });

    it('asks the store on every read of an operation without a time to live', async () => {
      const { cache } = cacheAt();
      const { fetch, offered } = scripted<string>({ value: 'a', etag: null }, { value: 'b', etag: null });
      expect(await cache.read(key('collection'), fetch)).toBe('a');
      expect(await cache.read(key('collection'), fetch)).toBe('b');
      expect(offered).toEqual([null, null]);
    });

    it('keeps the copies of different URLs and different accounts apart', async () => {
      const { cache } = cacheAt();
      let n = 0;
      const fetch: Fetcher<number> = async () => ({ value: ++n, etag: null });
      expect(await cache.read(key('priceTon', '/p?character=1'), fetch)).toBe(1);
      expect(await cache.read(key('priceTon', '/p?character=2'), fetch)).toBe(2);
      expect(await cache.read(key('priceTon', '/p?character=1', 'bob'), fetch)).toBe(3);
      expect(await cache.read(key('priceTon', '/p?character=1'), fetch)).toBe(1);
    });

    it('forgets the least recently used copy past maxEntries', async () => {
      const { cache } = cacheAt({ maxEntries: 2 });
      let n = 0;
      const fetch: Fetcher<number> = async () => ({ value: ++n, etag: null });
      await cache.read(key('priceTon', '/a'), fetch);
      await cache.read(key('priceTon', '/b'), fetch);
      // Reading /a makes /b the least recently used: /c pushes /b out.
      await cache.read(key('priceTon', '/a'), fetch);
      await cache.read(key('priceTon', '/c'), fetch);
      expect(await cache.read(key('priceTon', '/a'), fetch)).toBe(1);
      expect(await cache.read(key('priceTon', '/b'), fetch)).toBe(4);
    });
  });

  describe('ETag revalidation', () => {
    it('offers the kept copy with its ETag, and a 304 serves exactly that body', async () => {
      const { cache } = cacheAt();
      const view = { characters: [{ id: 1, left: 7 }] };
      const { fetch, offered } = scripted<typeof view>({ value: view, etag: '"v1"' }, unchanged, { value: { characters: [] }, etag: '"v2"' }, unchanged);
      expect(await cache.read(key('collection'), fetch)).toBe(view);
      expect(await cache.read(key('collection'), fetch)).toBe(view);
      expect((await cache.read(key('collection'), fetch)).characters).toEqual([]);
      await cache.read(key('collection'), fetch);
      expect(offered.map((k) => k?.etag ?? null)).toEqual([null, '"v1"', '"v1"', '"v2"']);
      expect(offered[1]!.value).toBe(view);
    });

    it('offers no copy once an answer came without an ETag: the older copy is dropped', async () => {
      const { cache } = cacheAt();
      const { fetch, offered } = scripted<string>({ value: 'a', etag: '"v1"' }, { value: 'b', etag: null }, { value: 'c', etag: null });
      await cache.read(key('collection'), fetch);
      expect(await cache.read(key('collection'), fetch)).toBe('b');
      expect(await cache.read(key('collection'), fetch)).toBe('c');
      expect(offered.map((k) => k?.etag ?? null)).toEqual([null, '"v1"', null]);
    });

    it('serves a revalidated copy for a fresh time to live', async () => {
      const { cache, advance } = cacheAt({ ttlMs: { priceTon: 1_000 } });
      const { fetch, offered } = scripted<bigint>({ value: 5n, etag: '"p1"' }, unchanged);
      await cache.read(key('priceTon'), fetch);
      advance(1_000);
      expect(await cache.read(key('priceTon'), fetch)).toBe(5n);
      advance(999);
      expect(await cache.read(key('priceTon'), fetch)).toBe(5n);
      expect(offered).toHaveLength(2);
    });
  });

  describe('coalescing', () => {
    it('shares one request among concurrent identical reads, and not among accounts', async () => {
      const { cache } = cacheAt();
      const { fetch, offered, answer } = manualFetch<string>();
      const reads = [cache.read(key('collection'), fetch), cache.read(key('collection'), fetch), cache.read(key('collection'), fetch)];
      const other = cache.read(key('collection', '/api/v1/x', 'bob'), fetch);
      await settled();
      expect(offered).toHaveLength(2);
      answer({ value: 'for alice', etag: null });
      answer({ value: 'for bob', etag: null });
      expect(await Promise.all(reads)).toEqual(['for alice', 'for alice', 'for alice']);
      expect(await other).toBe('for bob');
    });

    it('caches no failure: every waiter gets it and the next read asks again', async () => {
      const { cache } = cacheAt();
      let calls = 0;
      const fetch: Fetcher<number> = async () => {
        calls++;
        if (calls === 1) throw new Error('store answered 502');
        return { value: 5, etag: null };
      };
      const both = await Promise.allSettled([cache.read(key('priceTon'), fetch), cache.read(key('priceTon'), fetch)]);
      expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(await cache.read(key('priceTon'), fetch)).toBe(5);
      expect(calls).toBe(2);
    });

    it('starts a new request after the shared one ended', async () => {
      const { cache } = cacheAt();
      const { fetch, offered, answer } = manualFetch<string>();
      const first = cache.read(key('collection'), fetch);
      await settled();
      answer({ value: 'one', etag: null });
      expect(await first).toBe('one');
      const second = cache.read(key('collection'), fetch);
      await settled();
      answer({ value: 'two', etag: null });
      expect(await second).toBe('two');
      expect(offered).toHaveLength(2);
    });
  });

  describe('calls that spend', () => {
    for (const op of ['buyTon', 'buyStars', 'auth'] as const) {
      it(`refuses ${op} without asking the store, even with a time to live configured for it`, async () => {
        const { cache } = cacheAt({ ttlMs: { [op]: 60_000 } });
        let calls = 0;
        const fetch: Fetcher<string> = async () => ({ value: `order-${++calls}`, etag: '"o"' });
        for (let i = 0; i < 2; i++) {
          const e = await cache.read(key(op), fetch).then(() => null, (err: unknown) => err);
          expect(e).toBeInstanceOf(ResponseNotCacheable);
          expect(e).toMatchObject({ code: 'RESPONSE_NOT_CACHEABLE' });
        }
        expect(calls).toBe(0);
      });
    }
  });
});
