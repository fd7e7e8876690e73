import { Address } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { OrderBook, type StarsOrder, type TonOrder } from '../../../../sim/store/orders.js';
import { StoreRefusal } from '../../../../sim/store/refusal.js';
import { StoreWallet } from '../../../../sim/store/wallet.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

function refusalOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreRefusal) return e.errorCode;
    throw e;
  }
  return 'none';
}

interface Rules {
  ttlSec: number;
  unpaidLimit: number;
  maxCount: number;
  starsTtlSec: number;
  starsUnpaidLimit: number;
}

function setup(over: Partial<Rules> = {}) {
  const r: Rules = { ttlSec: 60, unpaidLimit: 1, maxCount: 5, starsTtlSec: 600, starsUnpaidLimit: 1, ...over };
  const clock = new ManualClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const catalog = new Catalog(storeScenario(clock.now()).collections, clock.now);
  const book = new OrderBook(
    catalog,
    new StoreWallet(STORE_WALLET_RAW),
    {
      maxCount: r.maxCount,
      TON: { ttlSec: r.ttlSec, unpaidLimit: r.unpaidLimit },
      XTR: { ttlSec: r.starsTtlSec, unpaidLimit: r.starsUnpaidLimit },
    },
    clock.now,
  );
  const feed = new MemoryTransferFeed(clock.now);
  feed.onTransfer((t) => book.receive(t));
  const nowSec = () => Math.floor(clock.now() / 1000);
  return { clock, catalog, book, feed, nowSec };
}

describe('TON orders', () => {
  it('prices an order at price × count, reserves the packs and sets the expiry and store wallet', () => {
    const { catalog, book, nowSec } = setup();
    const order = book.createTon(7, 10, 1, 3);
    expect(order).toMatchObject({
      userId: 7,
      collectionId: 10,
      characterId: 1,
      count: 3,
      currency: 'TON',
      pricePerPack: 2_500_000_000n,
      totalAmount: 7_500_000_000n,
      expiresAt: nowSec() + 60,
      state: 'created',
      paidBy: null,
      payments: [],
    });
    const wallet = Address.parseFriendly(order.wallet);
    expect(wallet.isBounceable).toBe(false);
    expect(wallet.address.toRawString()).toBe(STORE_WALLET_RAW);
    expect(order.id).toMatch(/^[0-9a-f]{24}$/);
    expect(catalog.stock(10, 1)).toBe(17);
  });

  it('gives every order its own id', () => {
    const { book } = setup({ unpaidLimit: 100 });
    const ids = new Set(Array.from({ length: 20 }, () => book.createTon(1, 10, 1, 1).id));
    expect(ids.size).toBe(20);
  });

  it('refuses a count outside 1..maxCount without touching stock', () => {
    const { catalog, book } = setup();
    for (const count of [0, -1, 6, 1.5]) expect(refusalOf(() => book.createTon(7, 10, 1, count))).toBe('invalid_count');
    expect(catalog.stock(10, 1)).toBe(20);
  });

  it('refuses a new order while the user holds the limit of unpaid ones, but not for other users', () => {
    const { book } = setup({ unpaidLimit: 2 });
    book.createTon(7, 10, 1, 1);
    book.createTon(7, 10, 1, 1);
    expect(refusalOf(() => book.createTon(7, 10, 1, 1))).toBe('too_many_unpaid_orders');
    expect(book.createTon(8, 10, 1, 1).userId).toBe(8);
  });

  it('refuses an order that asks for more than is left, and one on a sold-out character', () => {
    const { book } = setup({ unpaidLimit: 10 });
    expect(refusalOf(() => book.createTon(7, 10, 2, 4))).toBe('not_enough_stock');
    book.createTon(7, 10, 2, 3);
    expect(refusalOf(() => book.createTon(8, 10, 2, 1))).toBe('sold_out');
  });

  it('marks an order paid when a transfer with its id as comment and exactly its amount arrives in time', () => {
    const { book, feed, catalog } = setup();
    const order = book.createTon(7, 10, 1, 2);
    const tx = feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    const paid = book.get(order.id)!;
    expect(paid.state).toBe('paid');
    expect(paid.paidBy).toMatchObject({ txHash: tx.txHash, lt: tx.lt, amount: order.totalAmount, verdict: 'paid' });
    expect(catalog.stock(10, 1)).toBe(18);
  });

  it('accepts the store wallet in friendly form on the transfer', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    feed.deliver({ to: order.wallet, amount: order.totalAmount, comment: order.id });
    expect(book.get(order.id)!.state).toBe('paid');
  });

  it('records a payment of the wrong amount as a mismatch and leaves the order unpaid, more or less alike', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount - 1n, comment: order.id });
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount + 1n, comment: order.id });
    const after = book.get(order.id)!;
    expect(after.state).toBe('created');
    expect(after.payments.map((p) => p.verdict)).toEqual(['mismatch', 'mismatch']);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    expect(book.get(order.id)!.state).toBe('paid');
  });

  it('records a second payment of a paid order as a duplicate', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    const after = book.get(order.id) as TonOrder;
    expect(after.payments.map((p) => p.verdict)).toEqual(['paid', 'duplicate']);
    expect(after.paidBy!.txHash).toBe(after.payments[0]!.txHash);
  });

  it('counts one transaction once even when the feed repeats it', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    const tx = feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    book.receive(tx);
    expect(book.get(order.id)!.payments).toHaveLength(1);
  });

  it('refuses a payment whose block time is after expires_at', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, utime: order.expiresAt + 1 });
    expect(book.get(order.id)!.payments.map((p) => p.verdict)).toEqual(['late']);
    expect(book.get(order.id)!.state).toBe('created');
  });

  it('does not count a bounced transfer as payment', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, success: false });
    expect(book.get(order.id)!.state).toBe('created');
    expect(book.get(order.id)!.payments[0]!.verdict).toBe('bounced');
  });

  it('ignores transfers to other addresses and keeps those naming no order aside', () => {
    const { book, feed } = setup();
    const order = book.createTon(7, 10, 1, 1);
    feed.deliver({ to: new Address(0, Buffer.alloc(32, 1)).toRawString(), amount: order.totalAmount, comment: order.id });
    expect(book.get(order.id)!.payments).toEqual([]);
    feed.deliver({ to: STORE_WALLET_RAW, amount: 5n, comment: 'no-such-order' });
    feed.deliver({ to: STORE_WALLET_RAW, amount: 6n, comment: null });
    expect(book.unmatched().map((t) => t.amount)).toEqual([5n, 6n]);
  });

  it('expires an unpaid order after expires_at and gives its stock back', () => {
    const { book, catalog, clock } = setup();
    const order = book.createTon(7, 10, 1, 4);
    expect(catalog.stock(10, 1)).toBe(16);
    clock.set(order.expiresAt * 1000);
    expect(book.expireDue()).toBe(0);
    clock.advance(1);
    expect(book.expireDue()).toBe(1);
    expect(book.get(order.id)!.state).toBe('expired');
    expect(catalog.stock(10, 1)).toBe(20);
  });

  it('lets a user order again once the unpaid order expired or was paid', () => {
    const { book, feed, clock } = setup();
    const first = book.createTon(7, 10, 1, 1);
    clock.advance(61_000);
    const second = book.createTon(7, 10, 1, 1);
    expect(book.get(first.id)!.state).toBe('expired');
    feed.deliver({ to: STORE_WALLET_RAW, amount: second.totalAmount, comment: second.id });
    expect(book.createTon(7, 10, 1, 1).state).toBe('created');
  });

  it('honours an in-time payment seen after the order was released, if the packs are still there', () => {
    const { book, feed, clock, catalog } = setup();
    const order = book.createTon(7, 10, 1, 2);
    clock.advance(61_000);
    book.expireDue();
    expect(catalog.stock(10, 1)).toBe(20);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, utime: order.expiresAt });
    expect(book.get(order.id)!.state).toBe('paid');
    expect(catalog.stock(10, 1)).toBe(18);
  });

  it('records such a payment as unhonoured when the released packs were sold meanwhile', () => {
    const { book, feed, clock, catalog } = setup();
    const order = book.createTon(7, 10, 2, 3);
    clock.advance(61_000);
    book.expireDue();
    catalog.drain(10, 2, 3);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, utime: order.expiresAt });
    expect(book.get(order.id)!.state).toBe('expired');
    expect(book.get(order.id)!.payments[0]!.verdict).toBe('unhonoured');
    expect(catalog.stock(10, 2)).toBe(0);
  });

  it('refuses orders for a collection that has not dropped', () => {
    const { book, catalog, clock } = setup();
    catalog.scheduleDrop(10, clock.now() + 1000);
    expect(refusalOf(() => book.createTon(7, 10, 1, 1))).toBe('collection_not_found');
  });
});

describe('Stars orders', () => {
  const charge = (over: Partial<{ chargeId: string; payerUserId: number; amount: bigint; currency: string }> = {}) => ({
    chargeId: 'charge-1',
    payerUserId: 7,
    amount: 250n,
    currency: 'XTR',
    ...over,
  });

  it('prices an order in whole stars at price × count, reserves the packs and expires on the Stars clock', () => {
    const { catalog, book, nowSec } = setup({ starsTtlSec: 600 });
    const order = book.createStars(7, 10, 1, 3, 'slug-a');
    expect(order).toMatchObject({
      userId: 7,
      collectionId: 10,
      characterId: 1,
      count: 3,
      currency: 'XTR',
      pricePerPack: 250n,
      totalAmount: 750n,
      invoiceSlug: 'slug-a',
      expiresAt: nowSec() + 600,
      state: 'created',
      paidBy: null,
      payments: [],
    });
    expect(catalog.stock(10, 1)).toBe(17);
  });

  it('counts unpaid Stars orders apart from unpaid TON orders', () => {
    const { book } = setup({ unpaidLimit: 1, starsUnpaidLimit: 2 });
    book.createTon(7, 10, 1, 1);
    book.createStars(7, 10, 1, 1, 's1');
    book.createStars(7, 10, 1, 1, 's2');
    expect(refusalOf(() => book.createStars(7, 10, 1, 1, 's3'))).toBe('too_many_unpaid_orders');
    expect(refusalOf(() => book.createTon(7, 10, 1, 1))).toBe('too_many_unpaid_orders');
  });

  it('refuses a Stars count outside 1..maxCount and more than is left, like a TON order', () => {
    const { book, catalog } = setup({ starsUnpaidLimit: 5 });
    expect(refusalOf(() => book.createStars(7, 10, 1, 6, 's'))).toBe('invalid_count');
    expect(refusalOf(() => book.createStars(7, 10, 2, 4, 's'))).toBe('not_enough_stock');
    expect(catalog.stock(10, 2)).toBe(3);
  });

  it('confirms an order on the first payment report and answers already-paid to the next, keeping both', () => {
    const { book, catalog } = setup();
    const order = book.createStars(7, 10, 1, 1, 's');
    expect(book.payStars(order.id, charge({ chargeId: 'c1', payerUserId: 9 }))).toBe('paid');
    expect(book.payStars(order.id, charge({ chargeId: 'c2' }))).toBe('already-paid');
    const paid = book.get(order.id) as StarsOrder;
    expect(paid.state).toBe('paid');
    expect(paid.paidBy).toMatchObject({ chargeId: 'c1', payerUserId: 9, amount: 250n, verdict: 'paid' });
    expect(paid.payments.map((p) => p.verdict)).toEqual(['paid', 'already-paid']);
    expect(catalog.stock(10, 1)).toBe(19);
  });

  it('answers expired once the order was released, and gives its packs back', () => {
    const { book, catalog, clock } = setup({ starsTtlSec: 60 });
    const order = book.createStars(7, 10, 1, 2, 's');
    clock.advance(60_000);
    expect(book.get(order.id)!.state).toBe('created');
    clock.advance(1_000);
    expect(book.payStars(order.id, charge({ amount: 500n }))).toBe('expired');
    expect(book.get(order.id)!.state).toBe('expired');
    expect(catalog.stock(10, 1)).toBe(20);
  });

  it('confirms a charge of the wrong amount or currency but records it as a mismatch', () => {
    const { book } = setup({ starsUnpaidLimit: 2 });
    const a = book.createStars(7, 10, 1, 1, 'a');
    const b = book.createStars(7, 10, 1, 1, 'b');
    expect(book.payStars(a.id, charge({ amount: 500n }))).toBe('paid');
    expect(book.payStars(b.id, charge({ currency: 'USD' }))).toBe('paid');
    expect([book.get(a.id)!.state, book.get(a.id)!.payments[0]!.verdict]).toEqual(['paid', 'mismatch']);
    expect(book.get(b.id)!.payments[0]!.verdict).toBe('mismatch');
  });

  it('answers unknown for an order id it never took or that belongs to a TON order', () => {
    const { book } = setup();
    const ton = book.createTon(7, 10, 1, 1);
    expect(book.payStars('nope', charge())).toBe('unknown');
    expect(book.payStars(ton.id, charge())).toBe('unknown');
    expect(book.get(ton.id)!.state).toBe('created');
  });

  it('keeps a TON transfer that names a Stars order as unmatched money', () => {
    const { book, feed } = setup();
    const order = book.createStars(7, 10, 1, 1, 's');
    feed.deliver({ to: STORE_WALLET_RAW, amount: 250n, comment: order.id });
    expect(book.get(order.id)!.state).toBe('created');
    expect(book.unmatched()).toHaveLength(1);
  });
});
