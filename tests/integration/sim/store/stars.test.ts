/** Stars orders at the simulated store over real HTTP: the buy answers an invoice link whose slug the invoice desk
 *  knows; paying the invoice confirms the order once; expiry releases the stock; the hostile twists of the fault plan
 *  change the answer or the invoice; the store's own record of payments stays readable by the demo's world verdict. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { worldVerdict } from '../../../../cli/demo.js';
import type { FaultPlan, SimStore, StarsOrder } from '../../../../sim/store/index.js';
import type { ManualClock } from '../../../support/manual-clock.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';
import type { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { call, envelope, startTestStore, type HttpAnswer } from '../store-http.js';

const SLUG_LINK = /^https:\/\/t\.me\/\$([A-Za-z0-9_-]{22})$/;

const buyStars = (character: number, count?: number): string =>
  `/api/v1/shop/buy?collection=10&character=${character}${count === undefined ? '' : `&count=${count}`}`;

/** The slug of a Stars buy answer `{url}`; fails the test for anything else. */
function slugOf(answer: HttpAnswer): string {
  expect(answer.status).toBe(200);
  const data = envelope(answer).data as Record<string, unknown>;
  expect(Object.keys(data)).toEqual(['url']);
  const match = SLUG_LINK.exec(String(data['url']));
  expect(match).not.toBeNull();
  return match![1]!;
}

function starsOrder(store: SimStore, id: string): StarsOrder {
  const order = store.orders().find((o) => o.id === id);
  if (order?.currency !== 'XTR') expect.unreachable(`no Stars order ${id}`);
  return order;
}

describe('Stars orders over HTTP', () => {
  let store: SimStore;
  let nextUser = 5000;
  const freshUser = (): { userId: number; token: string } => {
    const userId = nextUser++;
    return { userId, token: store.issueToken(userId) };
  };
  beforeAll(async () => {
    ({ store } = await startTestStore((now) => storeScenario(now - 1)));
  });
  afterEach(() => store.setFaults(null));
  afterAll(() => store.close());

  it('answers a buy with only an invoice link whose slug finds the invoice: price × count, order id, buyer', async () => {
    const { userId, token } = freshUser();
    const stockBefore = store.stock(10, 1);
    const slug = slugOf(await call(store, 'POST', buyStars(1, 3), { token }));
    const invoice = store.invoices.find(slug);
    expect(invoice).toMatchObject({ slug, botUsername: store.telegramBot.username, amount: 750n, currency: 'XTR', buyerUserId: userId });
    const order = starsOrder(store, invoice!.payload);
    expect(order).toMatchObject({ userId, count: 3, totalAmount: 750n, invoiceSlug: slug, state: 'created' });
    expect(invoice!.expiresAt).toBe(order.expiresAt * 1000);
    expect(store.stock(10, 1)).toBe(stockBefore - 3);
  });

  it('takes one pack when count is absent, and refuses counts outside 1..5 and unknown characters', async () => {
    const { token } = freshUser();
    const one = store.invoices.find(slugOf(await call(store, 'POST', buyStars(2), { token })))!;
    expect(one.amount).toBe(100n);
    const bad = freshUser().token;
    for (const [path, code] of [
      [buyStars(1, 6), 'invalid_count'],
      [buyStars(1, 0), 'invalid_count'],
      [buyStars(9, 1), 'character_not_found'],
    ] as const) {
      expect(envelope(await call(store, 'POST', path, { token: bad }))).toEqual({ ok: false, errorCode: code });
    }
  });

  it('wants a bearer token like every other buy', async () => {
    const answer = await call(store, 'POST', buyStars(1, 1));
    expect([answer.status, envelope(answer)]).toEqual([401, { ok: false, errorCode: 'invalid_auth_token' }]);
  });

  it('confirms the order when its invoice is paid, and answers already-paid to a second payment', async () => {
    const { userId, token } = freshUser();
    const slug = slugOf(await call(store, 'POST', buyStars(1, 2), { token }));
    const stock = store.stock(10, 1);
    expect(store.invoices.pay(slug, userId, 'charge-a')).toBe('paid');
    expect(store.invoices.pay(slug, userId, 'charge-b')).toBe('already-paid');
    const order = starsOrder(store, store.invoices.find(slug)!.payload);
    expect(order.state).toBe('paid');
    expect(order.paidBy).toMatchObject({ chargeId: 'charge-a', payerUserId: userId, amount: 500n, verdict: 'paid' });
    expect(store.stock(10, 1)).toBe(stock);
    expect(store.invoices.pay('AAAAAAAAAAAAAAAAAAAAAA', userId, 'charge-c')).toBe('unknown');
  });

  it('holds each user to the unpaid-order limit for Stars orders, counted apart from TON orders', async () => {
    const { token } = freshUser();
    const ton = await call(store, 'POST', '/api/v1/shop/buy/crypto?collection=10&character=1&currency=TON&count=1', { token });
    expect(ton.status).toBe(200);
    slugOf(await call(store, 'POST', buyStars(1, 1), { token }));
    const second = await call(store, 'POST', buyStars(1, 1), { token });
    expect([second.status, envelope(second)]).toEqual([409, { ok: false, errorCode: 'too_many_unpaid_orders' }]);
  });

  it('lists both kinds of orders and the invoices in the admin API, amounts as decimal strings', async () => {
    const { userId, token } = freshUser();
    const slug = slugOf(await call(store, 'POST', buyStars(1, 1), { token }));
    store.invoices.pay(slug, userId, 'charge-admin');
    const orders = envelope(await call(store, 'GET', '/admin/orders')).data as Array<Record<string, unknown>>;
    const stars = orders.find((o) => o['invoiceSlug'] === slug);
    expect(stars).toMatchObject({ currency: 'XTR', totalAmount: '250', state: 'paid', paidBy: { chargeId: 'charge-admin', amount: '250' } });
    expect(orders.some((o) => o['currency'] === 'TON' && typeof o['wallet'] === 'string')).toBe(true);
    const invoices = envelope(await call(store, 'GET', '/admin/invoices')).data as Array<Record<string, unknown>>;
    expect(invoices.find((i) => i['slug'] === slug)).toMatchObject({ amount: '250', currency: 'XTR', payload: stars!['id'] });
    const counts = (envelope(await call(store, 'GET', '/admin/stats')).data as { orders: { XTR: { paid: number } } }).orders.XTR;
    expect(counts.paid).toBe(store.stats().orders.XTR.paid);
    expect(counts.paid).toBeGreaterThanOrEqual(2);
  });

  it('keeps the world verdict right with Stars orders in the book: paid once, no mismatch', () => {
    const verdict = worldVerdict(store.orders());
    expect(verdict.doublePaid).toBe(0);
    expect(verdict.mismatched).toBe(0);
    expect(verdict.storePaid).toBe(store.orders().filter((o) => o.state === 'paid').length);
    expect(store.unmatchedTransfers()).toEqual([]);
  });

  describe('hostile twists', () => {
    const postFaults = (plan: FaultPlan): Promise<HttpAnswer> => call(store, 'POST', '/admin/faults', { body: JSON.stringify(plan) });

    it('links to the bot without a slug, still taking the order', async () => {
      await postFaults({ starsLinkWithoutSlug: { burst: 1 } });
      const { userId, token } = freshUser();
      const answer = await call(store, 'POST', buyStars(1, 1), { token });
      expect(envelope(answer)).toEqual({ ok: true, data: { url: `https://t.me/${store.telegramBot.username}` } });
      expect(store.orders().filter((o) => o.userId === userId && o.currency === 'XTR')).toHaveLength(1);
      expect(store.faultState().injected).toEqual({ starsLinkWithoutSlug: 1 });
      slugOf(await call(store, 'POST', buyStars(1, 1), { token: freshUser().token }));
    });

    it('issues an invoice for twice the price; paying it is a mismatch the world verdict sees', async () => {
      store.setFaults({ starsOverprice: { burst: 1 } });
      const { userId, token } = freshUser();
      const slug = slugOf(await call(store, 'POST', buyStars(1, 2), { token }));
      const invoice = store.invoices.find(slug)!;
      const order = starsOrder(store, invoice.payload);
      expect([invoice.amount, order.totalAmount]).toEqual([1000n, 500n]);
      expect(store.invoices.pay(slug, userId, 'charge-over')).toBe('paid');
      expect(starsOrder(store, order.id).paidBy).toMatchObject({ amount: 1000n, verdict: 'mismatch' });
      expect(worldVerdict(store.orders()).mismatched).toBe(1);
    });

    it('issues an invoice in another currency', async () => {
      store.setFaults({ starsForeignCurrency: { rate: 1 } });
      const slug = slugOf(await call(store, 'POST', buyStars(1, 1), { token: freshUser().token }));
      expect(store.invoices.find(slug)).toMatchObject({ currency: 'USD', amount: 250n });
    });

    it('answers the link under invoice_url instead of url', async () => {
      store.setFaults({ starsWrongLinkField: { burst: 1 } });
      const answer = await call(store, 'POST', buyStars(1, 1), { token: freshUser().token });
      const data = envelope(answer).data as Record<string, unknown>;
      expect(Object.keys(data)).toEqual(['invoice_url']);
      expect(String(data['invoice_url'])).toMatch(SLUG_LINK);
    });

    it('uses up no burst on a buy the store refused', async () => {
      store.setFaults({ starsOverprice: { burst: 1 } });
      await call(store, 'POST', buyStars(1, 9), { token: freshUser().token });
      expect(store.faultState().burstsLeft).toEqual({ starsOverprice: 1 });
    });
  });
});

describe('Stars order expiry', () => {
  let store: SimStore;
  let clock: ManualClock;
  let feed: MemoryTransferFeed;
  beforeAll(async () => {
    ({ store, clock, feed } = await startTestStore((now) =>
      storeScenario(now - 1, { starsOrderTtlSec: 120, faults: { starsForeignCurrency: { burst: 1 } } }),
    ));
  });
  afterAll(() => store.close());

  it('applies Stars faults planned in the scenario from the start', async () => {
    const slug = slugOf(await call(store, 'POST', buyStars(1, 1), { token: store.issueToken(7001) }));
    expect(store.invoices.find(slug)!.currency).toBe('USD');
  });

  it('releases the stock of an unpaid Stars order at its expiry, then answers expired to its payment', async () => {
    const slug = slugOf(await call(store, 'POST', buyStars(2, 3), { token: store.issueToken(7002) }));
    expect(store.stock(10, 2)).toBe(0);
    clock.advance(120_000);
    expect(store.stock(10, 2)).toBe(0);
    clock.advance(1_000);
    expect(store.stock(10, 2)).toBe(3);
    expect(store.invoices.pay(slug, 7002, 'late-charge')).toBe('expired');
    const order = starsOrder(store, store.invoices.find(slug)!.payload);
    expect([order.state, order.payments.map((p) => p.verdict)]).toEqual(['expired', ['expired']]);
    expect(store.stats().orders.XTR).toMatchObject({ expired: 2, paid: 0 });
  });

  it('takes a TON transfer naming a Stars order as money matched to nothing', () => {
    const order = store.orders().find((o) => o.currency === 'XTR')!;
    const tx = feed.deliver({ to: STORE_WALLET_RAW, amount: 1_000_000_000n, comment: order.id });
    expect(store.unmatchedTransfers().map((t) => t.txHash)).toEqual([tx.txHash]);
    expect(store.orders().find((o) => o.id === order.id)!.payments).toEqual(order.payments);
  });
});
