import { createServer } from 'node:net';
import { Address } from '@ton/core';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { endpointResolver, endpointsLogic, FAILOVER_AFTER, type EndpointStats } from '../../../../core/actors/endpoints.js';
import { limiterGate, limiterLogic } from '../../../../core/actors/limiter.js';
import { PROFILES } from '../../../../core/config/profiles.js';
import type { EndpointResolver } from '../../../../core/store/request-gate.js';
import { StoreClient, STORE_ORIGIN } from '../../../../core/store/store-client.js';
import {
  StoreAuthError,
  StoreHttpError,
  StoreMalformed,
  StoreRateLimited,
  StoreRejected,
  StoreTransportError,
} from '../../../../core/store/store-error.js';
import { startStore, type Middleware, type Reply, type SimStore } from '../../../../sim/store/index.js';
import type { StoreRequest } from '../../../../sim/store/pipeline.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const MAX_WAIT_MS = 5_000;
/** A readable expiry for hand-made orders whose other fields are under test. */
const EXPIRES_AT = 1_735_734_000;

/** The rejection of `p`, or a failure of the test if `p` resolves. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (value) => {
      throw new Error(`expected a failure, got ${String(value)}`);
    },
    (e: unknown) => e,
  );
}

const raw = (status: number, text: string, contentType: string, headers: Record<string, string> = {}): Reply => ({
  status,
  headers,
  body: { kind: 'raw', text, contentType },
});
const data = (value: unknown, status = 200): Reply => ({ status, headers: {}, body: { kind: 'envelope', envelope: { ok: true, data: value } } });
const refusal = (errorCode: string, status: number, headers: Record<string, string> = {}): Reply => ({
  status,
  headers,
  body: { kind: 'envelope', envelope: { ok: false, errorCode } },
});

const HTML_502 = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

describe('StoreClient against the simulated store', () => {
  const clock = new ManualClock(Date.now());
  const feed = new MemoryTransferFeed(clock.now);
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let store: SimStore;
  let limiter: Actor<typeof limiterLogic>;
  let endpoints: Actor<typeof endpointsLogic>;
  const extraActors: Actor<typeof endpointsLogic>[] = [];

  /** The fault the next requests meet, if any: a real server misbehaving over a real socket. */
  let fault: Middleware | null = null;
  const faults: Middleware = (ctx, next) => (fault ? fault(ctx, next) : next());
  /** Requests a fault is holding without an answer; released after each test. */
  const held: (() => void)[] = [];
  const hold = (): Promise<void> => new Promise((release) => held.push(release));

  let nextUser = 5_000;
  let nextAccount = 1;

  /** A client for a fresh user (fresh limiter pool), over the shared limiter and endpoints actors. */
  const client = (
    opts: { token?: string; timeoutMs?: number; maxBodyBytes?: number; endpoints?: EndpointResolver; account?: string } = {},
  ): StoreClient => {
    const token = opts.token ?? store.issueToken(nextUser++);
    return new StoreClient({
      account: opts.account ?? `acct-${nextAccount++}`,
      token: async () => token,
      gate: limiterGate(limiter),
      endpoints: opts.endpoints ?? endpointResolver(endpoints),
      dispatcher: agent,
      userAgent: USER_AGENT,
      timeoutMs: opts.timeoutMs ?? 10_000,
      maxBodyBytes: opts.maxBodyBytes,
    });
  };

  const onPath = (path: string, reply: (req: StoreRequest) => Reply | Promise<Reply>): Middleware => (ctx, next) =>
    ctx.request.path === path ? Promise.resolve(reply(ctx.request)) : next();

  beforeAll(async () => {
    store = await startStore({
      scenario: storeScenario(clock.now() - 1, { cryptoOrdersLimit: 1, maxCountPerOrder: 5 }),
      payments: feed,
      wallet: STORE_WALLET_RAW,
      clock: clock.now,
      extraMiddlewares: [faults],
    });
    // Every client here shares the ip:direct pool: a high breaker threshold keeps the transport-fault tests independent.
    limiter = createActor(limiterLogic, { input: { ...PROFILES.fast, maxWaitMs: MAX_WAIT_MS, breakerThreshold: 1_000 } });
    limiter.start();
    endpoints = createActor(endpointsLogic, { input: { primary: store.url, mirrors: [] } });
    endpoints.start();
  });
  afterEach(() => {
    fault = null;
    for (const release of held.splice(0)) release();
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    for (const a of extraActors) a.stop();
    limiter.stop();
    endpoints.stop();
    await store.close();
    await agent.close();
  });

  describe('answers', () => {
    it('reads the shop settings', async () => {
      expect(await client().settings()).toEqual({ cryptoPaymentEnabled: true, cryptoOrdersLimit: 1 });
    });

    it('answers {published:false} while the collection has not dropped, and the collection once it has', async () => {
      const c = client();
      store.scheduleDrop(10, clock.now() + 60_000);
      try {
        expect(await c.collection(10)).toEqual({ published: false });
      } finally {
        store.scheduleDrop(10, clock.now());
      }
      const view = await c.collection(10);
      expect(view).toMatchObject({ published: true, id: 10, title: 'Blue Cats', status: 'active' });
      if (!view.published) throw new Error('unreachable');
      expect(view.characters.map((ch) => [ch.id, ch.name, ch.priceStars, ch.supply])).toEqual([
        [1, 'Tom', 250n, 20],
        [2, 'Kit', 100n, 3],
      ]);
      for (const ch of view.characters) expect(ch.left).toBe(store.stock(10, ch.id));
    });

    it('answers {published:false} for a collection the store does not have', async () => {
      expect(await client().collection(999)).toEqual({ published: false });
    });

    it('quotes the TON price as exact nanotons', async () => {
      const c = client();
      expect(await c.priceTon(10, 1)).toBe(2_500_000_000n);
      expect(await c.priceTon(10, 2)).toBe(1_000_000_000n);
    });

    it('creates a TON order for exactly price × count, payable to the store wallet', async () => {
      const order = await client().buyTon({ collection: 10, character: 1, count: 2 });
      expect(order.amount).toBe(5_000_000_000n);
      expect(Address.parse(order.destination).equals(Address.parse(STORE_WALLET_RAW))).toBe(true);
      const kept = store.orders().find((o) => o.id === order.orderId);
      expect(kept).toMatchObject({ count: 2, totalAmount: 5_000_000_000n, state: 'created' });
      expect(order.expiresAt).toBe(kept!.expiresAt * 1000);
    });

    it('sends the bearer token and browser-like headers, with the purchase in the query and an empty body', async () => {
      const token = store.issueToken(nextUser++);
      const seen: StoreRequest[] = [];
      fault = (ctx, next) => {
        seen.push(ctx.request);
        return next();
      };
      let sentAt: number | null = null;
      await client({ token }).buyTon({ collection: 10, character: 1, count: 1 }, { onSent: () => (sentAt = Date.now()) });
      expect(sentAt).not.toBeNull();
      const [req] = seen;
      expect(req).toMatchObject({ method: 'POST', path: '/api/v1/shop/buy/crypto', body: '' });
      expect(Object.fromEntries(req!.query)).toEqual({ collection: '10', character: '1', currency: 'TON', count: '1' });
      expect(req!.headers).toMatchObject({
        authorization: `Bearer ${token}`,
        origin: STORE_ORIGIN,
        referer: `${STORE_ORIGIN}/`,
        accept: 'application/json',
        'user-agent': USER_AGENT,
      });
    });
  });

  describe('refusals', () => {
    it('throws StoreRejected sold_out when another buyer holds the last packs', async () => {
      await client().buyTon({ collection: 10, character: 2, count: 3 });
      const e = await failure(client().buyTon({ collection: 10, character: 2, count: 1 }));
      expect(e).toBeInstanceOf(StoreRejected);
      expect(e).toMatchObject({ code: 'STORE_REJECTED', errorCode: 'sold_out', status: 409 });
    });

    it('throws StoreRejected invalid_count for a count the store does not sell', async () => {
      for (const count of [0, 6]) {
        const e = await failure(client().buyTon({ collection: 10, character: 1, count }));
        expect(e).toBeInstanceOf(StoreRejected);
        expect(e).toMatchObject({ errorCode: 'invalid_count', status: 400 });
      }
    });

    it('throws StoreRejected too_many_unpaid_orders for a second unpaid order', async () => {
      const c = client();
      await c.buyTon({ collection: 10, character: 1, count: 1 });
      const e = await failure(c.buyTon({ collection: 10, character: 1, count: 1 }));
      expect(e).toBeInstanceOf(StoreRejected);
      expect(e).toMatchObject({ errorCode: 'too_many_unpaid_orders', status: 409 });
    });
  });

  describe('auth failures', () => {
    it('throws StoreAuthError without a token, never "not published"', async () => {
      const c = client({ token: '' });
      store.scheduleDrop(10, clock.now() + 60_000);
      try {
        for (const call of [() => c.collection(10), () => c.settings(), () => c.buyTon({ collection: 10, character: 1, count: 1 })]) {
          const e = await failure(call());
          expect(e).toBeInstanceOf(StoreAuthError);
          expect(e).toMatchObject({ code: 'STORE_AUTH', status: 401 });
        }
      } finally {
        store.scheduleDrop(10, clock.now());
      }
    });

    it('throws StoreAuthError for an expired token, even for a collection that has not dropped', async () => {
      const c = client({ token: store.issueToken(nextUser++, 0) });
      store.scheduleDrop(10, clock.now() + 60_000);
      try {
        expect(await failure(c.collection(10))).toBeInstanceOf(StoreAuthError);
      } finally {
        store.scheduleDrop(10, clock.now());
      }
      expect(await failure(c.priceTon(10, 1))).toBeInstanceOf(StoreAuthError);
    });

    it('throws StoreAuthError when a 404 carries an auth errorCode, instead of reading "not published"', async () => {
      fault = onPath('/api/v1/collection/10', () => refusal('invalid_auth_token', 404));
      expect(await failure(client().collection(10))).toBeInstanceOf(StoreAuthError);
    });

    it('throws StoreAuthError on a 403, whatever its body', async () => {
      fault = onPath('/api/v1/shop/settings', () => raw(403, '<html><body>Forbidden</body></html>', 'text/html'));
      expect(await failure(client().settings())).toMatchObject({ code: 'STORE_AUTH', status: 403 });
    });

    it('never puts the token in the error', async () => {
      const token = store.issueToken(nextUser++, 0);
      const e = await failure(client({ token }).settings());
      expect(JSON.stringify(e)).not.toContain(token);
      expect(String((e as Error).message)).not.toContain(token);
    });
  });

  describe('malformed answers', () => {
    const expectMalformed = (e: unknown, reason: RegExp): void => {
      expect(e).toBeInstanceOf(StoreMalformed);
      expect(e).toMatchObject({ code: 'STORE_MALFORMED' });
      expect((e as Error).message).toMatch(reason);
    };

    it('throws StoreMalformed for a body that is not JSON', async () => {
      fault = onPath('/api/v1/shop/settings', () => raw(200, 'OK', 'text/plain'));
      expectMalformed(await failure(client().settings()), /not a JSON envelope/);
    });

    it('throws StoreMalformed for an HTML page answered with 200', async () => {
      fault = onPath('/api/v1/shop/price/crypto', () => raw(200, '<html><body>Checking your browser…</body></html>', 'text/html'));
      expectMalformed(await failure(client().priceTon(10, 1)), /not a JSON envelope/);
    });

    it('throws StoreMalformed for JSON that is not the envelope', async () => {
      fault = onPath('/api/v1/shop/price/crypto', () => raw(200, '[{"token_symbol":"TON","price":"2.5"}]', 'application/json'));
      expectMalformed(await failure(client().priceTon(10, 1)), /envelope/);
    });

    it('throws StoreMalformed for data of the wrong shape', async () => {
      fault = onPath('/api/v1/shop/price/crypto', () => data({ token_symbol: 'TON', price: '2.5' }));
      expectMalformed(await failure(client().priceTon(10, 1)), /priceTon/);
      fault = onPath('/api/v1/collection/10', () => data({ collection: { id: 10, status: 'active' }, characters: { 1: { left: 3 } } }));
      expectMalformed(await failure(client().collection(10)), /characters/);
    });

    it('reads a collection with an unreadable stock leniently: that stock is unknown, the rest is read', async () => {
      fault = onPath('/api/v1/collection/10', () => data({ collection: { id: 10, status: 'active' }, characters: [{ id: 1, left: -3 }, { id: 2, left: '4' }] }));
      const view = await client().collection(10);
      expect(view.published && view.characters.map((c) => c.left)).toEqual([null, 4]);
    });

    it('throws StoreMalformed for an answer about another collection than the one asked', async () => {
      fault = onPath('/api/v1/collection/10', () => data({ collection: { id: 11, status: 'active' }, characters: [{ id: 1, left: 3 }] }));
      expectMalformed(await failure(client().collection(10)), /answered collection 11, asked 10/);
    });

    it('throws StoreMalformed, not an amount error, for a price or an order amount it cannot read exactly', async () => {
      fault = onPath('/api/v1/shop/price/crypto', () => data([{ token_symbol: 'TON', price: '2.5e0' }]));
      expectMalformed(await failure(client().priceTon(10, 1)), /0\.price/);
      fault = onPath('/api/v1/shop/buy/crypto', () =>
        data({ order_id: 'a1', total_amount: '2.5', wallet: STORE_WALLET_RAW, currency: 'TON', expires_at: EXPIRES_AT }),
      );
      expectMalformed(await failure(client().buyTon({ collection: 10, character: 1, count: 1 })), /total_amount/);
    });

    it('throws StoreMalformed for an order in another currency or with a control character in its id', async () => {
      fault = onPath('/api/v1/shop/buy/crypto', () => data({ order_id: 'a1', total_amount: 5, wallet: STORE_WALLET_RAW, currency: 'USDT', expires_at: EXPIRES_AT }));
      expectMalformed(await failure(client().buyTon({ collection: 10, character: 1, count: 1 })), /currency/);
      fault = onPath('/api/v1/shop/buy/crypto', () => data({ order_id: 'a1\nb2', total_amount: 5, wallet: STORE_WALLET_RAW, expires_at: EXPIRES_AT }));
      expectMalformed(await failure(client().buyTon({ collection: 10, character: 1, count: 1 })), /order_id/);
    });

    it('throws StoreMalformed for an order without a readable expiry, and for a collection without a status', async () => {
      fault = onPath('/api/v1/shop/buy/crypto', () => data({ order_id: 'a1', total_amount: 5, wallet: STORE_WALLET_RAW, currency: 'TON' }));
      expectMalformed(await failure(client().buyTon({ collection: 10, character: 1, count: 1 })), /expires_at/);
      fault = onPath('/api/v1/shop/buy/crypto', () => data({ order_id: 'a1', total_amount: 5, wallet: STORE_WALLET_RAW, expires_at: 'later' }));
      expectMalformed(await failure(client().buyTon({ collection: 10, character: 1, count: 1 })), /expires_at/);
      fault = onPath('/api/v1/collection/10', () => data({ collection: { id: 10 }, characters: [{ id: 1, left: 3 }] }));
      expectMalformed(await failure(client().collection(10)), /collection\.status/);
    });

    it('throws StoreMalformed for a body over maxBodyBytes, and the next call still works', async () => {
      fault = onPath('/api/v1/shop/settings', () => data({ is_crypto_payment_enabled: true, padding: 'x'.repeat(50_000) }));
      const c = client({ maxBodyBytes: 4_096 });
      expectMalformed(await failure(c.settings()), /larger than 4096 bytes/);
      fault = null;
      expect(await c.settings()).toEqual({ cryptoPaymentEnabled: true, cryptoOrdersLimit: 1 });
    });
  });

  describe('transport failures', () => {
    it('throws StoreTransportError timeout with maybeApplied for an order the store created but never answered', async () => {
      fault = async (ctx, next) => {
        const reply = await next();
        if (ctx.request.method === 'POST') await hold();
        return reply;
      };
      const before = store.orders().length;
      const e = await failure(client({ timeoutMs: 300 }).buyTon({ collection: 10, character: 1, count: 1 }));
      expect(e).toBeInstanceOf(StoreTransportError);
      expect(e).toMatchObject({ code: 'STORE_TIMEOUT', maybeApplied: true });
      // Which is why it must never be retried blindly: the order exists.
      expect(store.orders()).toHaveLength(before + 1);
    });

    it('throws StoreTransportError timeout without maybeApplied for a read', async () => {
      fault = async (_ctx, next) => {
        await hold();
        return next();
      };
      const c = client({ timeoutMs: 300 });
      for (const call of [() => c.priceTon(10, 1), () => c.collection(10), () => c.settings()]) {
        const e = await failure(call());
        expect(e).toBeInstanceOf(StoreTransportError);
        expect(e).toMatchObject({ code: 'STORE_TIMEOUT', maybeApplied: false });
      }
    });

    it('throws StoreTransportError aborted when the caller gives up, and does not count it against the endpoint', async () => {
      fault = async (_ctx, next) => {
        await hold();
        return next();
      };
      const own = createActor(endpointsLogic, { input: { primary: store.url, mirrors: ['http://127.0.0.1:9'] } });
      own.start();
      extraActors.push(own);
      const c = client({ endpoints: endpointResolver(own) });
      for (let i = 0; i < FAILOVER_AFTER; i++) {
        const abort = new AbortController();
        const pending = failure(c.buyTon({ collection: 10, character: 1, count: 1 }, { signal: abort.signal }));
        await waitFor(() => held.length > i);
        abort.abort(new Error('purchase stopped'));
        expect(await pending).toMatchObject({ code: 'STORE_ABORTED', maybeApplied: true });
      }
      const stats = await new Promise<EndpointStats[]>((reply) => own.send({ type: 'REPORT', reply }));
      expect(stats[0]).toMatchObject({ baseUrl: store.url, failed: 0, badRun: 0 });
    });

    it('throws StoreTransportError connection when nothing listens, maybeApplied only for a purchase', async () => {
      const dead = await deadUrl();
      const own = createActor(endpointsLogic, { input: { primary: dead, mirrors: [] } });
      own.start();
      extraActors.push(own);
      const c = client({ endpoints: endpointResolver(own) });
      expect(await failure(c.priceTon(10, 1))).toMatchObject({ code: 'STORE_CONNECTION', maybeApplied: false });
      expect(await failure(c.buyTon({ collection: 10, character: 1, count: 1 }))).toMatchObject({ code: 'STORE_CONNECTION', maybeApplied: true });
    });

    it(`fails over to the mirror after ${FAILOVER_AFTER} connection failures on the primary`, async () => {
      const own = createActor(endpointsLogic, { input: { primary: await deadUrl(), mirrors: [store.url] } });
      own.start();
      extraActors.push(own);
      const c = client({ endpoints: endpointResolver(own) });
      for (let i = 0; i < FAILOVER_AFTER; i++) {
        expect(await failure(c.settings())).toBeInstanceOf(StoreTransportError);
      }
      expect(await c.settings()).toEqual({ cryptoPaymentEnabled: true, cryptoOrdersLimit: 1 });
    });
  });

  describe('HTTP errors', () => {
    it('throws StoreHttpError for a 500, even when it carries an {ok:false} envelope as the store sends', async () => {
      fault = onPath('/api/v1/shop/buy/crypto', () => refusal('internal_error', 500));
      const e = await failure(client().buyTon({ collection: 10, character: 1, count: 1 }));
      expect(e).toBeInstanceOf(StoreHttpError);
      expect(e).toMatchObject({ code: 'STORE_HTTP', status: 500 });
    });

    it('throws StoreHttpError for a 502 HTML page and a 503 with Retry-After', async () => {
      fault = onPath('/api/v1/collection/10', () => raw(502, HTML_502, 'text/html'));
      expect(await failure(client().collection(10))).toMatchObject({ code: 'STORE_HTTP', status: 502 });
      fault = onPath('/api/v1/shop/price/crypto', () => raw(503, 'Service Unavailable', 'text/plain', { 'retry-after': '7' }));
      const e = await failure(client().priceTon(10, 1));
      expect(e).toBeInstanceOf(StoreHttpError);
      expect(e).toMatchObject({ status: 503, retryAfterMs: 7_000 });
    });

    it('throws StoreHttpError for a 429 with its Retry-After, and the limiter then holds the account back', async () => {
      fault = onPath('/api/v1/shop/price/crypto', () => refusal('too_many_requests', 429, { 'retry-after': '30' }));
      const c = client();
      const e = await failure(c.priceTon(10, 1));
      expect(e).toBeInstanceOf(StoreHttpError);
      expect(e).toMatchObject({ status: 429, retryAfterMs: 30_000 });
      fault = null;
      // Retry-After (30 s) is capped at the 5 s the profile allows, and the bucket refills only after it: beyond 5 s.
      const denied = await failure(c.buyTon({ collection: 10, character: 1, count: 1 }));
      expect(denied).toBeInstanceOf(StoreRateLimited);
      expect((denied as StoreRateLimited).retryAt).toBeGreaterThan(Date.now());
      // Another account's pool is not held.
      expect(await client().priceTon(10, 1)).toBe(2_500_000_000n);
    });
  });
});

/** A URL on loopback where nothing listens. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Polls `done` until it holds, or fails after `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
