/** The store client's login (`POST /api/v1/auth` with Telegram initData) and Stars buy (`POST /api/v1/shop/buy`)
 *  against the simulated store over real sockets: the store checks the initData's signature itself, so a body changed
 *  in transit cannot pass; answers that are not what the API page describes are typed errors. */
import { randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { webAppToken } from '../../../../core/actors/auth-token.js';
import { endpointResolver, endpointsLogic } from '../../../../core/actors/endpoints.js';
import { limiterGate, limiterLogic } from '../../../../core/actors/limiter.js';
import { PROFILES } from '../../../../core/config/profiles.js';
import type { WebAppLogin } from '../../../../core/plugins/web-app-login.js';
import type { RateGate } from '../../../../core/store/request-gate.js';
import { StoreClient, type TokenProvider } from '../../../../core/store/store-client.js';
import { StoreAuthError, StoreMalformed } from '../../../../core/store/store-error.js';
import { startStore, type Middleware, type Reply, type SimStore } from '../../../../sim/store/index.js';
import type { StoreRequest } from '../../../../sim/store/pipeline.js';
import { signWebAppData, type WebAppUser } from '../../../../sim/web-app-data.js';
import { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const BOT = { username: 'sticker_bot', token: `7000000001:${randomBytes(18).toString('base64url')}` };
/** Names whose `+`, `%`, `&`, spaces and emoji are escaped in initData: decoding or re-encoding the body on the way
 *  changes them. */
const ANN: WebAppUser = { id: 1001, first_name: 'Ann+Bob 100% & Co 🐱', username: 'ann & co+1 100% 🐱_7' };
const SLUG_LINK = /^https:\/\/t\.me\/\$([A-Za-z0-9_-]+)$/;

/** The rejection of `p`, or a failure of the test if `p` resolves. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then((value) => expect.fail(`expected a failure, got ${String(value)}`), (e: unknown) => e);
}

/** The claims of a JWT (its payload, unverified). */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const data = (value: unknown): Reply => ({ status: 200, headers: {}, body: { kind: 'envelope', envelope: { ok: true, data: value } } });

describe('store client login and Stars buy against the simulated store', () => {
  const feed = new MemoryTransferFeed(Date.now);
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let store: SimStore;
  let limiter: Actor<typeof limiterLogic>;
  let endpoints: Actor<typeof endpointsLogic>;

  /** Login requests as the store received them. */
  const logins: StoreRequest[] = [];
  const recordLogins: Middleware = (ctx, next) => {
    if (ctx.request.path === '/api/v1/auth') logins.push(ctx.request);
    return next();
  };
  /** The answer the next requests to `fault.path` get instead of the store's, if any. */
  let fault: { path: string; reply: Reply } | null = null;
  const faults: Middleware = (ctx, next) => (fault && ctx.request.path === fault.path ? Promise.resolve(fault.reply) : next());

  /** A limiter that lets everything through at once, for tests where the limiter is not under test. */
  const open: RateGate = { acquire: async () => ({ settle: () => undefined, release: () => undefined }) };
  /** A token provider that fails the test if asked: the login is made without a token. */
  const noToken: TokenProvider & { invalidated: number } = {
    invalidated: 0,
    current: async () => expect.fail('the login must not ask for the account\'s token'),
    invalidate() {
      this.invalidated += 1;
    },
  };

  let nextAccount = 1;
  const client = (opts: { token?: TokenProvider | (() => Promise<string>); gate?: RateGate } = {}): StoreClient =>
    new StoreClient({
      account: `acct-${nextAccount++}`, token: opts.token ?? noToken, gate: opts.gate ?? open,
      endpoints: endpointResolver(endpoints), dispatcher: agent, userAgent: USER_AGENT, timeoutMs: 10_000,
    });

  let nextUser = 9_000;
  /** A client holding a fresh user's token, for the buys. */
  const buyer = (): { client: StoreClient; userId: number } => {
    const userId = nextUser++;
    const token = store.issueToken(userId);
    return { client: client({ token: async () => token }), userId };
  };

  const initData = (user: WebAppUser = ANN): string =>
    signWebAppData(BOT.token, user, { authDate: Math.floor(Date.now() / 1000), queryId: 'AAHdF6IQAAAAAN0XohDhrOrc' });

  beforeAll(async () => {
    store = await startStore({
      scenario: storeScenario(Date.now() - 1), payments: feed, wallet: STORE_WALLET_RAW, telegramBot: BOT,
      extraMiddlewares: [recordLogins, faults],
    });
    limiter = createActor(limiterLogic, { input: { ...PROFILES.fast, maxWaitMs: 5_000, breakerThreshold: 1_000 } });
    limiter.start();
    endpoints = createActor(endpointsLogic, { input: { primary: store.url, mirrors: [] } });
    endpoints.start();
  });
  afterEach(() => {
    fault = null;
    store.setFaults(null);
  });
  afterAll(async () => {
    limiter.stop();
    endpoints.stop();
    await store.close();
    await agent.close();
  });

  describe('logIn', () => {
    it('sends the initData byte for byte, so its %, + and & arrive unchanged and the store verifies it', async () => {
      const body = initData();
      expect(body).toMatch(/%/);
      expect(body).toMatch(/\+/);
      expect(body.split('&').length).toBeGreaterThan(3);
      const before = logins.length;
      const jwt = await client().logIn(body);
      const seen = logins.slice(before);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.body).toBe(body);
      expect(seen[0]!.method).toBe('POST');
      expect(seen[0]!.headers['content-type']).toBe('text/plain;charset=UTF-8');
      expect(seen[0]!.headers.authorization).toBeUndefined();
      expect(claimsOf(jwt)).toMatchObject({ sub: String(ANN.id) });
      expect(noToken.invalidated).toBe(0);
    });

    it('answers a token the rest of the API takes', async () => {
      const jwt = await client().logIn(initData({ id: 1002, first_name: 'Bo' }));
      expect(await client({ token: async () => jwt }).settings()).toEqual({ cryptoPaymentEnabled: true, cryptoOrdersLimit: 1 });
    });

    it('gets a StoreAuthError for initData the store refuses (401 invalid_init_data), and nothing is repeated', async () => {
      const tampered = initData().replace('%22id%22%3A1001', '%22id%22%3A1');
      const before = { refused: store.stats().auth.refused['bad-hash'], seen: logins.length };
      const e = await failure(client().logIn(tampered));
      expect(e).toBeInstanceOf(StoreAuthError);
      expect(e).toMatchObject({ code: 'STORE_AUTH', status: 401 });
      expect(store.stats().auth.refused['bad-hash']).toBe(before.refused + 1);
      expect(logins.length - before.seen).toBe(1);
      expect(noToken.invalidated).toBe(0);
    });

    it('refuses an answer that is not a JWT as StoreMalformed', async () => {
      for (const answer of ['not-a-jwt', 'a.b.c\r\nx-injected: 1', { token: 'a.b.c' }, 42]) {
        fault = { path: '/api/v1/auth', reply: data(answer) };
        const e = await failure(client().logIn(initData()));
        expect(e).toBeInstanceOf(StoreMalformed);
        expect((e as StoreMalformed).message).not.toContain('a.b.c');
      }
    });

    it('never puts the initData into an error', async () => {
      const body = initData();
      const e = await failure(client().logIn(body.replace('hash=', 'hash=0')));
      expect(JSON.stringify(e)).not.toContain('query_id');
      expect(String((e as Error).message)).not.toContain(body);
    });
  });

  describe('webAppToken over the store client', () => {
    const telegram: WebAppLogin = { id: 'telegram', unavailableFor: async () => null, initData: async () => initData() };

    it('waits out the store\'s 429 with Retry-After, through the limiter, and then gets its token', async () => {
      store.setFaults({ retryAfterStorm: { burst: 1, retryAfterSec: 1 }, routes: ['POST /api/v1/auth'] });
      const before = store.stats().byRoute['POST /api/v1/auth']?.http429 ?? 0;
      const c = client({ gate: limiterGate(limiter) });
      const jwt = await webAppToken(telegram, 'alice', () => c).obtain(AbortSignal.timeout(10_000));
      expect(claimsOf(jwt)).toMatchObject({ sub: String(ANN.id) });
      expect(store.stats().byRoute['POST /api/v1/auth']?.http429).toBe(before + 1);
    });

    it('gives up on a store that refuses every login', async () => {
      store.setFaults({ authRefuse: { rate: 1 } });
      const before = store.stats().auth.refused.injected;
      const e = await failure(webAppToken(telegram, 'alice', () => client()).obtain(AbortSignal.timeout(10_000)));
      expect(e).toBeInstanceOf(StoreAuthError);
      expect(store.stats().auth.refused.injected).toBe(before + 1);
    });
  });

  describe('buyStars', () => {
    it('creates a Stars order for the packs asked and reads its invoice link from url', async () => {
      const { client: c, userId } = buyer();
      const stock = store.stock(10, 1);
      const answer = await c.buyStars({ collection: 10, character: 1, count: 2 });
      const slug = SLUG_LINK.exec(answer.invoiceLink)?.[1];
      expect(slug).toBeDefined();
      expect(store.invoices.find(slug!)).toMatchObject({ amount: 500n, currency: 'XTR', buyerUserId: userId });
      expect(store.stock(10, 1)).toBe(stock - 2);
      expect(Object.keys(answer)).toEqual(['invoiceLink']);
    });

    it('reads the link from invoice_url when the store puts it there', async () => {
      store.setFaults({ starsWrongLinkField: { burst: 1 } });
      const answer = await buyer().client.buyStars({ collection: 10, character: 1, count: 1 });
      expect(answer.invoiceLink).toMatch(SLUG_LINK);
    });

    it('reads the link from payment_url, and prefers url over the others', async () => {
      fault = { path: '/api/v1/shop/buy', reply: data({ payment_url: 'https://t.me/$pay' }) };
      expect(await buyer().client.buyStars({ collection: 10, character: 1, count: 1 })).toEqual({ invoiceLink: 'https://t.me/$pay' });
      fault = { path: '/api/v1/shop/buy', reply: data({ invoice_url: 'https://t.me/$second', url: 'https://t.me/$first' }) };
      expect(await buyer().client.buyStars({ collection: 10, character: 1, count: 1 })).toEqual({ invoiceLink: 'https://t.me/$first' });
    });

    it('refuses an answer without an invoice link as StoreMalformed', async () => {
      for (const answer of [{}, { url: '' }, { url: 17 }, { link: 'https://t.me/$x' }, 'https://t.me/$x']) {
        fault = { path: '/api/v1/shop/buy', reply: data(answer) };
        const e = await failure(buyer().client.buyStars({ collection: 10, character: 1, count: 1 }));
        expect(e).toBeInstanceOf(StoreMalformed);
        expect(e).toMatchObject({ code: 'STORE_MALFORMED' });
      }
    });
  });
});
