import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { authMachine, configuredToken, jwtExpiry, tokenProvider, type TokenSource } from '../../../../core/actors/auth.js';
import { endpointResolver, endpointsLogic, responseReader } from '../../../../core/actors/endpoints.js';
import type { RateGate } from '../../../../core/store/request-gate.js';
import { StoreClient } from '../../../../core/store/store-client.js';
import {
  StoreAuthError,
  StoreHttpError,
  StoreTokenUnavailable,
  StoreTransportError,
} from '../../../../core/store/store-error.js';
import { startStore, type Middleware, type Reply, type SimStore } from '../../../../sim/store/index.js';
import { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
/** Short enough that a refresh happens within a test, long enough that a call never meets an expiring token. */
const TOKEN_TTL_SEC = 3;

/** What the store saw of one request that passed its own token check. */
interface Seen {
  method: string;
  path: string;
  status: number;
  ifNoneMatch: string | undefined;
  token: string;
}

/** The rejection of `p`, or a failure of the test if `p` resolves. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (value) => {
      throw new Error(`expected a failure, got ${String(value)}`);
    },
    (e: unknown) => e,
  );
}

/** Polls `done` until it holds, or fails after `timeoutMs`. */
async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('store client auth and response caches against the simulated store', () => {
  const feed = new MemoryTransferFeed(Date.now);
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let store: SimStore;
  let endpoints: Actor<typeof endpointsLogic>;
  const auths: Actor<typeof authMachine>[] = [];
  const seen: Seen[] = [];
  /** Tokens the store now refuses with 401 invalid_auth_token, as if revoked or expired on its clock. */
  const revoked = new Set<string>();
  let gateCalls = 0;

  const bearer = (header: string | string[] | undefined): string => (typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : '');
  const record: Middleware = async (ctx, next) => {
    const reply = await next();
    const h = ctx.request.headers;
    seen.push({
      method: ctx.request.method, path: ctx.request.path, status: reply.status,
      ifNoneMatch: typeof h['if-none-match'] === 'string' ? h['if-none-match'] : undefined, token: bearer(h.authorization),
    });
    return reply;
  };
  /** The answer the next requests to `fault.path` get instead of the store's, if any. */
  let fault: { path: string; reply: Reply } | null = null;
  const faults: Middleware = (ctx, next) =>
    fault && ctx.request.path === fault.path ? Promise.resolve(fault.reply) : next();
  const refusal = (status: number, errorCode: string): Reply => ({
    status, headers: {}, body: { kind: 'envelope', envelope: { ok: false, errorCode } },
  });
  const revocation: Middleware = (ctx, next) =>
    revoked.has(bearer(ctx.request.headers.authorization))
      ? Promise.resolve({ status: 401, headers: {}, body: { kind: 'envelope', envelope: { ok: false, errorCode: 'invalid_auth_token' } } })
      : next();
  /** A limiter that lets everything through at once: the limiter is not under test here. */
  const gate: RateGate = {
    acquire: async () => {
      gateCalls++;
      return { settle: () => undefined, release: () => undefined };
    },
  };

  let nextUser = 7_000;
  /** A token source that mints a new store token on every call, as initData → POST /auth does. */
  const minting = (): TokenSource & { issued: string[] } => {
    const user = nextUser++;
    const issued: string[] = [];
    return {
      kind: 'telegram',
      issued,
      obtain: async () => {
        // The store signs the same claims into the same token: a second within the same second lives a second
        // longer, so each one is new, as a fresh login's would be.
        const t = store.issueToken(user, TOKEN_TTL_SEC + issued.length);
        issued.push(t);
        return t;
      },
    };
  };
  const authFor = (source: TokenSource, account: string) => {
    const auth = createActor(authMachine, { input: { account, source } });
    auth.start();
    auths.push(auth);
    return tokenProvider(auth);
  };
  let nextAccount = 1;
  const client = (source: TokenSource, opts: { cached?: boolean; gate?: RateGate } = {}): StoreClient => {
    const account = `acct-${nextAccount++}`;
    return new StoreClient({
      account, token: authFor(source, account), gate: opts.gate ?? gate, endpoints: endpointResolver(endpoints),
      responses: opts.cached === false ? undefined : responseReader(endpoints),
      dispatcher: agent, userAgent: USER_AGENT, timeoutMs: 10_000,
    });
  };
  const requestsTo = (path: string): Seen[] => seen.filter((s) => s.path === path);

  beforeAll(async () => {
    store = await startStore({
      scenario: storeScenario(Date.now() - 1, { tokenTtlSec: TOKEN_TTL_SEC, cryptoOrdersLimit: 5, maxCountPerOrder: 5 }),
      payments: feed,
      wallet: STORE_WALLET_RAW,
      extraMiddlewares: [record, revocation, faults],
    });
    endpoints = createActor(endpointsLogic, { input: { primary: store.url, mirrors: [] } });
    endpoints.start();
  });
  afterEach(() => {
    seen.length = 0;
    revoked.clear();
    fault = null;
    for (const a of auths.splice(0)) a.stop();
  });
  afterAll(async () => {
    endpoints.stop();
    await store.close();
    await agent.close();
  });

  describe('tokens', () => {
    it('replaces a token the store refuses and repeats the read once, with the new token', async () => {
      const source = minting();
      const c = client(source, { cached: false });
      expect(await c.settings()).toMatchObject({ cryptoOrdersLimit: 5 });
      const [first] = source.issued;
      revoked.add(first!);
      seen.length = 0;
      gateCalls = 0;
      expect(await c.settings()).toMatchObject({ cryptoOrdersLimit: 5 });
      expect(seen.map((s) => [s.status, s.token === first])).toEqual([[401, true], [200, false]]);
      expect(source.issued).toHaveLength(2);
      expect(seen[1]!.token).toBe(source.issued[1]);
      // The repeat asked the limiter again: it is a second request.
      expect(gateCalls).toBe(2);
    });

    it('repeats a refused create-order once and creates exactly one order', async () => {
      const source = minting();
      const c = client(source);
      await c.settings();
      revoked.add(source.issued[0]!);
      const before = store.orders().length;
      const order = await c.buyTon({ collection: 10, character: 1, count: 1 });
      expect(store.orders()).toHaveLength(before + 1);
      expect(store.orders().at(-1)!.id).toBe(order.orderId);
      expect(requestsTo('/api/v1/shop/buy/crypto').map((s) => s.status)).toEqual([401, 200]);
    });

    it('marks the send of a refused-then-repeated create-order once, on the first exchange', async () => {
      const source = minting();
      const c = client(source);
      await c.settings();
      revoked.add(source.issued[0]!);
      let sent = 0;
      await c.buyTon({ collection: 10, character: 1, count: 1 }, { onSent: () => sent++ });
      expect(requestsTo('/api/v1/shop/buy/crypto')).toHaveLength(2);
      expect(sent).toBe(1);
    });

    for (const [status, errorCode] of [[502, 'auth_service_timeout'], [503, 'token_store_down'], [429, 'token_rate_limited']] as const) {
      it(`sends a create-order once when a ${status} carries the auth errorCode ${errorCode}, and keeps the token`, async () => {
        const source = minting();
        const c = client(source);
        await c.settings();
        fault = { path: '/api/v1/shop/buy/crypto', reply: refusal(status, errorCode) };
        const e = await failure(c.buyTon({ collection: 10, character: 1, count: 1 }));
        expect(e).toBeInstanceOf(StoreHttpError);
        expect(e).toMatchObject({ code: 'STORE_HTTP', status });
        expect(requestsTo('/api/v1/shop/buy/crypto').map((s) => s.status)).toEqual([status]);
        // The token was not refused: nothing new was asked for.
        expect(source.issued).toHaveLength(1);
      });
    }

    it('repeats a create-order only after a literal 401/403: an auth errorCode on a 400 is the answer', async () => {
      const source = minting();
      const c = client(source);
      await c.settings();
      fault = { path: '/api/v1/shop/buy/crypto', reply: refusal(400, 'invalid_auth_token') };
      const e = await failure(c.buyTon({ collection: 10, character: 1, count: 1 }));
      expect(e).toBeInstanceOf(StoreAuthError);
      expect(e).toMatchObject({ status: 400 });
      expect(requestsTo('/api/v1/shop/buy/crypto')).toHaveLength(1);
    });

    it('repeats a read once after an auth errorCode on a 400, with a new token', async () => {
      const source = minting();
      const c = client(source, { cached: false });
      await c.settings();
      fault = { path: '/api/v1/shop/price/crypto', reply: refusal(400, 'invalid_auth_token') };
      expect(await failure(c.priceTon(10, 1))).toBeInstanceOf(StoreAuthError);
      expect(requestsTo('/api/v1/shop/price/crypto').map((s) => s.token)).toEqual([source.issued[0], source.issued[1]]);
    });

    it('repeats only once: a second refusal is the answer', async () => {
      const source = minting();
      const c = client(source, { cached: false });
      await c.settings();
      // The store refuses every token of this account from now on.
      revoked.add(source.issued[0]!);
      const originalObtain = source.obtain.bind(source);
      source.obtain = async (signal) => {
        const t = await originalObtain(signal);
        revoked.add(t);
        return t;
      };
      seen.length = 0;
      const e = await failure(c.settings());
      expect(e).toBeInstanceOf(StoreAuthError);
      expect(e).toMatchObject({ code: 'STORE_AUTH', status: 401 });
      expect(seen.map((s) => s.status)).toEqual([401, 401]);
    });

    it('fails with STORE_TOKEN_REFUSED, asking for a fresh pasted token, when the store refuses the configured one', async () => {
      const jwt = store.issueToken(nextUser++, 3_600);
      const c = client(configuredToken(jwt));
      revoked.add(jwt);
      store.scheduleDrop(10, Date.now() + 60_000);
      try {
        const e = await failure(c.collection(10));
        expect(e).toBeInstanceOf(StoreTokenUnavailable);
        expect(e).toMatchObject({ code: 'STORE_TOKEN_REFUSED' });
        expect((e as Error).message).toMatch(/paste a fresh token into accounts\[\]\.storeToken/);
        expect((e as Error).message + JSON.stringify(e)).not.toContain(jwt);
      } finally {
        store.scheduleDrop(10, Date.now() - 1);
      }
      // One request: the same refused token is never sent twice.
      expect(requestsTo('/api/v1/collection/10')).toHaveLength(1);
    });

    it('fails with STORE_TOKEN_EXPIRED without sending anything when the configured token has expired', async () => {
      const jwt = store.issueToken(nextUser++, -10);
      const c = client(configuredToken(jwt));
      expect(await failure(c.priceTon(10, 1))).toMatchObject({ code: 'STORE_TOKEN_EXPIRED' });
      expect(seen).toHaveLength(0);
    });

    it(`renews a ${TOKEN_TTL_SEC}-second token before it expires, and calls go on with the new one`, async () => {
      const source = minting();
      const c = client(source, { cached: false });
      await c.settings();
      const first = source.issued[0]!;
      expect(jwtExpiry(first)! - Date.now()).toBeLessThanOrEqual(TOKEN_TTL_SEC * 1000);
      await waitFor(() => source.issued.length >= 2);
      // Wait until the first token is dead at the store: a call with it now would be refused.
      await waitFor(() => Date.now() >= jwtExpiry(first)! + 1_000);
      seen.length = 0;
      expect(await c.settings()).toMatchObject({ cryptoOrdersLimit: 5 });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.status).toBe(200);
      expect(seen[0]!.token).not.toBe(first);
    });
  });

  describe('giving up', () => {
    /** A token source that never answers. */
    const silent: TokenSource = { kind: 'telegram', obtain: () => new Promise<string>(() => undefined) };

    for (const cached of [false, true]) {
      it(`fails with STORE_ABORTED, nothing applied, when the caller gives up waiting for a token (${cached ? 'cached' : 'uncached'} client)`, async () => {
        const c = client(silent, { cached });
        for (const call of [
          (signal: AbortSignal) => c.settings(signal),
          (signal: AbortSignal) => c.buyTon({ collection: 10, character: 1, count: 1 }, { signal }),
        ]) {
          const abort = new AbortController();
          const pending = failure(call(abort.signal));
          abort.abort(new Error('purchase stopped'));
          const e = await pending;
          expect(e).toBeInstanceOf(StoreTransportError);
          expect(e).toMatchObject({ code: 'STORE_ABORTED', maybeApplied: false });
        }
        expect(seen).toHaveLength(0);
      });
    }

    it('fails with STORE_ABORTED, nothing applied, when the caller gives up waiting for the limiter', async () => {
      let waiting = 0;
      const holding: RateGate = {
        acquire: ({ signal }) => new Promise((_resolve, reject) => {
          waiting++;
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      };
      const c = client(minting(), { cached: false, gate: holding });
      const abort = new AbortController();
      const pending = failure(c.buyTon({ collection: 10, character: 1, count: 1 }, { signal: abort.signal }));
      await waitFor(() => waiting === 1);
      abort.abort();
      const e = await pending;
      expect(e).toBeInstanceOf(StoreTransportError);
      expect(e).toMatchObject({ code: 'STORE_ABORTED', maybeApplied: false });
      expect(seen).toHaveLength(0);
    });
  });

  describe('caches', () => {
    it('revalidates a collection with its ETag: a 304 serves the kept collection, never "not published"', async () => {
      const c = client(minting());
      const first = await c.collection(10);
      const second = await c.collection(10);
      expect(first).toMatchObject({ published: true, id: 10 });
      expect(second).toEqual(first);
      const polls = requestsTo('/api/v1/collection/10');
      expect(polls.map((s) => s.status)).toEqual([200, 304]);
      expect(polls[0]!.ifNoneMatch).toBeUndefined();
      expect(polls[1]!.ifNoneMatch).toMatch(/^"/);
    });

    it('sees stock move: a changed collection comes back whole with a new ETag', async () => {
      const c = client(minting());
      const before = await c.collection(10);
      await c.buyTon({ collection: 10, character: 2, count: 1 });
      const after = await c.collection(10);
      if (!before.published || !after.published) throw new Error('collection 10 should be published');
      const left = (v: typeof before, id: number): number | null => v.characters.find((ch) => ch.id === id)!.left;
      expect(left(after, 2)).toBe(left(before, 2)! - 1);
      expect(left(after, 2)).toBe(store.stock(10, 2));
      expect(requestsTo('/api/v1/collection/10').map((s) => s.status)).toEqual([200, 200]);
    });

    it('answers "not published" for a 404 and the collection once it drops, whatever was cached', async () => {
      const c = client(minting());
      await c.collection(10);
      store.scheduleDrop(10, Date.now() + 60_000);
      try {
        expect(await c.collection(10)).toEqual({ published: false });
      } finally {
        store.scheduleDrop(10, Date.now() - 1);
      }
      expect(await c.collection(10)).toMatchObject({ published: true });
    });

    it('serves the TON price from the cache for 30 s: one request for many quotes', async () => {
      const c = client(minting());
      const quotes = [await c.priceTon(10, 1), await c.priceTon(10, 1), await c.priceTon(10, 1)];
      expect(quotes).toEqual([2_500_000_000n, 2_500_000_000n, 2_500_000_000n]);
      expect(requestsTo('/api/v1/shop/price/crypto')).toHaveLength(1);
      // Another character is another answer.
      expect(await c.priceTon(10, 2)).toBe(1_000_000_000n);
      expect(requestsTo('/api/v1/shop/price/crypto')).toHaveLength(2);
    });

    it('sends one request for concurrent identical reads', async () => {
      const c = client(minting());
      const views = await Promise.all(Array.from({ length: 5 }, () => c.collection(10)));
      expect(new Set(views.map((v) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)))).size).toBe(1);
      expect(requestsTo('/api/v1/collection/10')).toHaveLength(1);
    });

    it('never caches a call that spends: every create-order reaches the store', async () => {
      const c = client(minting());
      const a = await c.buyTon({ collection: 10, character: 1, count: 1 });
      const b = await c.buyTon({ collection: 10, character: 1, count: 1 });
      expect(a.orderId).not.toBe(b.orderId);
      expect(requestsTo('/api/v1/shop/buy/crypto').map((s) => s.status)).toEqual([200, 200]);
    });

    it('keeps one account\'s answers from another account', async () => {
      const a = client(minting());
      const b = client(minting());
      await a.settings();
      await b.settings();
      await a.settings();
      expect(requestsTo('/api/v1/shop/settings').map((s) => s.token)).toHaveLength(2);
    });
  });
});
