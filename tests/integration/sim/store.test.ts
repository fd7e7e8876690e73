import { Address } from '@ton/core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStore, type SimStore, type TonOrder } from '../../../sim/store/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryTransferFeed } from '../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../support/store-scenario.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { ok: boolean; data?: unknown; errorCode?: string };
}

async function call(store: SimStore, method: 'GET' | 'POST', path: string, token?: string): Promise<Answer> {
  const res = await request(store.url + path, {
    method,
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: JSON.parse(text) as Answer['json'] };
}

async function waitFor<T>(probe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; last value ${String(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const buy = (count: number | string, character = 2) =>
  `/api/v1/shop/buy/crypto?collection=10&character=${character}&currency=TON&count=${count}`;

describe('simulated store over HTTP (manual clock)', () => {
  const clock = new ManualClock();
  const feed = new MemoryTransferFeed(clock.now);
  const dropAt = clock.now() + 30_000;
  let store: SimStore;
  let token: string;

  beforeAll(async () => {
    store = await startStore({
      scenario: storeScenario(dropAt, { orderTtlSec: 60, cryptoOrdersLimit: 1 }),
      payments: feed,
      wallet: STORE_WALLET_RAW,
      clock: clock.now,
    });
    token = store.issueToken(1001);
  });
  afterAll(async () => {
    await store.close();
    expect(feed.listenerCount()).toBe(0);
  });

  it('listens on loopback on a free port', () => {
    expect(store.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 401 invalid_auth_token without a token, with an expired one and with a forged one', async () => {
    const foreign = await startStore({ scenario: storeScenario(0), payments: feed, wallet: STORE_WALLET_RAW, clock: clock.now });
    const forged = foreign.issueToken(1001);
    await foreign.close();
    for (const t of [undefined, store.issueToken(1001, 0), forged, 'not.a.jwt']) {
      const a = await call(store, 'GET', '/api/v1/shop/settings', t);
      expect(a.status).toBe(401);
      expect(a.json).toEqual({ ok: false, errorCode: 'invalid_auth_token' });
    }
  });

  it('refuses a token once it outlives its lifetime', async () => {
    const short = store.issueToken(1001, 10);
    expect((await call(store, 'GET', '/api/v1/shop/settings', short)).status).toBe(200);
    clock.advance(10_000);
    expect((await call(store, 'GET', '/api/v1/shop/settings', short)).status).toBe(401);
  });

  it('serves the shop settings with the crypto orders limit', async () => {
    const a = await call(store, 'GET', '/api/v1/shop/settings', token);
    expect(a.json).toEqual({
      ok: true,
      data: { is_crypto_payment_enabled: true, is_transfer_enabled: true, is_market_enabled: true, crypto_orders_limit: 1 },
    });
    expect(Number(a.headers['x-ratelimit-remaining'])).toBeGreaterThanOrEqual(0);
    expect(Number(a.headers['x-ratelimit-reset'])).toBeGreaterThan(clock.now() / 1000);
  });

  it('answers 404 collection_not_found before the drop, then the collection from the drop on', async () => {
    const before = await call(store, 'GET', '/api/v1/collection/10', token);
    expect([before.status, before.json]).toEqual([404, { ok: false, errorCode: 'collection_not_found' }]);
    expect((await call(store, 'GET', '/api/v1/collections', token)).json).toEqual({ ok: true, data: [] });
    expect((await call(store, 'POST', buy(1), token)).json.errorCode).toBe('collection_not_found');
    clock.set(dropAt);
    const after = await call(store, 'GET', '/api/v1/collection/10', token);
    expect(after.status).toBe(200);
    expect(after.json.data).toEqual({
      collection: { id: 10, title: 'Blue Cats', status: 'active' },
      characters: [
        { id: 1, name: 'Tom', left: 20, price: 250, supply: 20, rarity: 'rare' },
        { id: 2, name: 'Kit', left: 3, price: 100, supply: 3, rarity: 'common' },
      ],
    });
    expect((await call(store, 'GET', '/api/v1/collections', token)).json.data).toEqual([
      { id: 10, title: 'Blue Cats', status: 'active' },
    ]);
  });

  it('quotes the TON price per pack as a JSON number', async () => {
    const a = await call(store, 'GET', '/api/v1/shop/price/crypto?collection=10&character=1', token);
    expect(a.text).toContain('"price":2.5');
    expect(a.json.data).toEqual([{ token_symbol: 'TON', price: 2.5 }]);
  });

  it('refuses malformed parameters with invalid_params or invalid_count', async () => {
    const cases: Array<[string, number, string]> = [
      ['/api/v1/shop/buy/crypto?character=1&currency=TON&count=1', 400, 'invalid_params'],
      ['/api/v1/shop/buy/crypto?collection=abc&character=1&currency=TON&count=1', 400, 'invalid_params'],
      ['/api/v1/shop/buy/crypto?collection=10&character=1.5&currency=TON&count=1', 400, 'invalid_params'],
      ['/api/v1/shop/buy/crypto?collection=10&collection=11&character=1&currency=TON&count=1', 400, 'invalid_params'],
      ['/api/v1/shop/buy/crypto?collection=10&character=1&currency=BTC&count=1', 400, 'invalid_params'],
      ['/api/v1/shop/buy/crypto?collection=10&character=1&count=1', 400, 'invalid_params'],
      [buy('two'), 400, 'invalid_params'],
      [buy(0), 400, 'invalid_count'],
      [buy(6), 400, 'invalid_count'],
      ['/api/v1/shop/buy/crypto?collection=10&character=9&currency=TON&count=1', 404, 'character_not_found'],
      ['/api/v1/shop/buy/crypto?collection=99&character=1&currency=TON&count=1', 404, 'collection_not_found'],
    ];
    for (const [path, status, errorCode] of cases) {
      const a = await call(store, 'POST', path, token);
      expect([path, a.status, a.json]).toEqual([path, status, { ok: false, errorCode }]);
    }
    expect(store.orders()).toEqual([]);
    expect(store.stock(10, 1)).toBe(20);
  });

  it('creates a TON order, reserves its stock and refuses a second unpaid one', async () => {
    const a = await call(store, 'POST', buy(2), token);
    expect(a.status).toBe(200);
    const data = a.json.data as Record<string, unknown>;
    expect(a.text).toContain('"total_amount":2000000000,');
    expect(data).toEqual({
      order_id: expect.stringMatching(/^[0-9a-f]{24}$/),
      total_amount: 2_000_000_000,
      wallet: new Address(0, Buffer.alloc(32, 0x5d)).toString({ urlSafe: true, bounceable: false }),
      currency: 'TON',
      expires_at: Math.ceil(clock.now() / 1000) + 60,
    });
    const chars = ((await call(store, 'GET', '/api/v1/collection/10', token)).json.data as { characters: Array<{ left: number }> })
      .characters;
    expect(chars[1]!.left).toBe(1);
    const second = await call(store, 'POST', buy(1), token);
    expect([second.status, second.json]).toEqual([409, { ok: false, errorCode: 'too_many_unpaid_orders' }]);
    const other = await call(store, 'POST', buy(2), store.issueToken(1002));
    expect([other.status, other.json]).toEqual([409, { ok: false, errorCode: 'not_enough_stock' }]);
  });

  it('refuses a payment of the wrong amount and confirms one of the right amount and comment', async () => {
    const order = store.orders().find((o): o is TonOrder => o.currency === 'TON' && o.userId === 1001 && o.state === 'created')!;
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount + 250_000_000n, comment: order.id });
    expect(store.orders().find((o) => o.id === order.id)!.state).toBe('created');
    feed.deliver({ to: order.wallet, amount: order.totalAmount, comment: order.id });
    const paid = store.orders().find((o) => o.id === order.id)!;
    expect(paid.state).toBe('paid');
    expect(paid.payments.map((p) => p.verdict)).toEqual(['mismatch', 'paid']);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    expect(store.orders().find((o) => o.id === order.id)!.payments.filter((p) => p.verdict === 'duplicate')).toHaveLength(1);
    const admin = (await call(store, 'GET', '/admin/orders')).json.data as Array<Record<string, unknown>>;
    expect(admin.find((o) => o['id'] === order.id)).toMatchObject({ state: 'paid', totalAmount: '2000000000' });
    expect(store.stock(10, 2)).toBe(1);
  });

  it('sells out, then releases the stock of an order that expires unpaid', async () => {
    const a = await call(store, 'POST', buy(1), store.issueToken(1003));
    expect(a.status).toBe(200);
    const soldOut = await call(store, 'POST', buy(1), store.issueToken(1004));
    expect([soldOut.status, soldOut.json]).toEqual([409, { ok: false, errorCode: 'sold_out' }]);
    const expiresAt = (a.json.data as { expires_at: number }).expires_at;
    clock.set(expiresAt * 1000 + 1);
    const stock = (await call(store, 'GET', '/admin/stock')).json.data as Array<{ characterId: number; left: number }>;
    expect(stock.find((l) => l.characterId === 2)!.left).toBe(1);
    const id = (a.json.data as { order_id: string }).order_id;
    expect(store.orders().find((o) => o.id === id)!.state).toBe('expired');
  });

  it('answers unknown routes 404 not_found and wrong methods 405', async () => {
    const missing = await call(store, 'GET', '/api/v1/nope', token);
    expect([missing.status, missing.json]).toEqual([404, { ok: false, errorCode: 'not_found' }]);
    const wrong = await call(store, 'GET', buy(1), token);
    expect([wrong.status, wrong.json, wrong.headers['allow']]).toEqual([405, { ok: false, errorCode: 'method_not_allowed' }, 'POST']);
    expect((await call(store, 'GET', '/elsewhere')).status).toBe(404);
  });

  it('lets tests steer it through the admin API: tokens and drops', async () => {
    const minted = (await call(store, 'POST', '/admin/token?user=2001')).json.data as { token: string };
    expect((await call(store, 'GET', '/api/v1/shop/settings', minted.token)).status).toBe(200);
    const moved = await call(store, 'POST', `/admin/drop?collection=10&at=${clock.now() + 1000}`);
    expect(moved.json).toEqual({ ok: true, data: { collection: 10, dropAt: clock.now() + 1000 } });
    expect((await call(store, 'GET', '/api/v1/collection/10', token)).status).toBe(404);
    store.scheduleDrop(10, clock.now());
    expect((await call(store, 'GET', '/api/v1/collection/10', token)).status).toBe(200);
    expect((await call(store, 'POST', '/admin/drop?collection=77&at=0')).json.errorCode).toBe('collection_not_found');
    expect((await call(store, 'POST', '/admin/drop?collection=10')).json.errorCode).toBe('invalid_params');
  });
});

describe('simulated store competitors (wall clock)', () => {
  const feed = new MemoryTransferFeed();
  let store: SimStore;

  beforeAll(async () => {
    store = await startStore({
      scenario: storeScenario(Date.now(), { competitors: { packsPerSecond: 20 } }),
      payments: feed,
      wallet: STORE_WALLET_RAW,
    });
  });
  afterAll(() => store.close());

  it('drains stock after the drop down to zero and no further', async () => {
    const token = store.issueToken(1);
    const left = async () =>
      ((await call(store, 'GET', '/api/v1/collection/10', token)).json.data as { characters: Array<{ left: number }> }).characters.reduce(
        (sum, c) => sum + c.left,
        0,
      );
    await waitFor(left, (n) => n < 23);
    await waitFor(left, (n) => n === 0);
    expect(store.stock(10, 1)).toBe(0);
    expect(store.stock(10, 2)).toBe(0);
    const a = await call(store, 'POST', buy(1, 1), token);
    expect(a.json.errorCode).toBe('sold_out');
  });
});

describe('simulated store startup', () => {
  it('refuses a wallet that is not a TON address', async () => {
    await expect(
      startStore({ scenario: storeScenario(0), payments: new MemoryTransferFeed(), wallet: 'nope' }),
    ).rejects.toMatchObject({ code: 'STORE_SETUP_INVALID' });
  });

  it('takes in transfers the feed already holds at start', async () => {
    const feed = new MemoryTransferFeed();
    feed.deliver({ to: STORE_WALLET_RAW, amount: 1n, comment: 'before-start' });
    const store = await startStore({ scenario: storeScenario(0), payments: feed, wallet: STORE_WALLET_RAW });
    try {
      expect(store.unmatchedTransfers().map((t) => t.comment)).toEqual(['before-start']);
      expect((await call(store, 'GET', '/admin/unmatched')).json.data).toMatchObject([{ comment: 'before-start', amount: '1' }]);
    } finally {
      await store.close();
    }
  });
});
