import { Address } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { OrderBook } from '../../../../sim/store/orders.js';
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

function setup(rules: Partial<{ ttlSec: number; unpaidLimit: number; maxCount: number }> = {}) {
  const clock = new ManualClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const catalog = new Catalog(storeScenario(clock.now()).collections, clock.now);
  const book = new OrderBook(
    catalog,
    new StoreWallet(STORE_WALLET_RAW),
    { ttlSec: 60, unpaidLimit: 1, maxCount: 5, ...rules },
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
    const order = book.create(7, 10, 1, 3);
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
    const ids = new Set(Array.from({ length: 20 }, () => book.create(1, 10, 1, 1).id));
    expect(ids.size).toBe(20);
  });

  it('refuses a count outside 1..maxCount without touching stock', () => {
    const { catalog, book } = setup();
    for (const count of [0, -1, 6, 1.5]) expect(refusalOf(() => book.create(7, 10, 1, count))).toBe('invalid_count');
    expect(catalog.stock(10, 1)).toBe(20);
  });

  it('refuses a new order while the user holds the limit of unpaid ones, but not for other users', () => {
    const { book } = setup({ unpaidLimit: 2 });
    book.create(7, 10, 1, 1);
    book.create(7, 10, 1, 1);
    expect(refusalOf(() => book.create(7, 10, 1, 1))).toBe('too_many_unpaid_orders');
    expect(book.create(8, 10, 1, 1).userId).toBe(8);
  });

  it('refuses an order that asks for more than is left, and one on a sold-out character', () => {
    const { book } = setup({ unpaidLimit: 10 });
    expect(refusalOf(() => book.create(7, 10, 2, 4))).toBe('not_enough_stock');
    book.create(7, 10, 2, 3);
    expect(refusalOf(() => book.create(8, 10, 2, 1))).toBe('sold_out');
  });

  it('marks an order paid when a transfer with its id as comment and exactly its amount arrives in time', () => {
    const { book, feed, catalog } = setup();
    const order = book.create(7, 10, 1, 2);
    const tx = feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    const paid = book.get(order.id)!;
    expect(paid.state).toBe('paid');
    expect(paid.paidBy).toMatchObject({ txHash: tx.txHash, lt: tx.lt, amount: order.totalAmount, verdict: 'paid' });
    expect(catalog.stock(10, 1)).toBe(18);
  });

  it('accepts the store wallet in friendly form on the transfer', () => {
    const { book, feed } = setup();
    const order = book.create(7, 10, 1, 1);
    feed.deliver({ to: order.wallet, amount: order.totalAmount, comment: order.id });
    expect(book.get(order.id)!.state).toBe('paid');
  });

  it('records a payment of the wrong amount as a mismatch and leaves the order unpaid, more or less alike', () => {
    const { book, feed } = setup();
    const order = book.create(7, 10, 1, 1);
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
    const order = book.create(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    const after = book.get(order.id)!;
    expect(after.payments.map((p) => p.verdict)).toEqual(['paid', 'duplicate']);
    expect(after.paidBy!.txHash).toBe(after.payments[0]!.txHash);
  });

  it('counts one transaction once even when the feed repeats it', () => {
    const { book, feed } = setup();
    const order = book.create(7, 10, 1, 1);
    const tx = feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id });
    book.receive(tx);
    expect(book.get(order.id)!.payments).toHaveLength(1);
  });

  it('refuses a payment whose block time is after expires_at', () => {
    const { book, feed } = setup();
    const order = book.create(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, utime: order.expiresAt + 1 });
    expect(book.get(order.id)!.payments.map((p) => p.verdict)).toEqual(['late']);
    expect(book.get(order.id)!.state).toBe('created');
  });

  it('does not count a bounced transfer as payment', () => {
    const { book, feed } = setup();
    const order = book.create(7, 10, 1, 1);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, success: false });
    expect(book.get(order.id)!.state).toBe('created');
    expect(book.get(order.id)!.payments[0]!.verdict).toBe('bounced');
  });

  it('ignores transfers to other addresses and keeps those naming no order aside', () => {
    const { book, feed } = setup();
    const order = book.create(7, 10, 1, 1);
    feed.deliver({ to: new Address(0, Buffer.alloc(32, 1)).toRawString(), amount: order.totalAmount, comment: order.id });
    expect(book.get(order.id)!.payments).toEqual([]);
    feed.deliver({ to: STORE_WALLET_RAW, amount: 5n, comment: 'no-such-order' });
    feed.deliver({ to: STORE_WALLET_RAW, amount: 6n, comment: null });
    expect(book.unmatched().map((t) => t.amount)).toEqual([5n, 6n]);
  });

  it('expires an unpaid order after expires_at and gives its stock back', () => {
    const { book, catalog, clock } = setup();
    const order = book.create(7, 10, 1, 4);
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
    const first = book.create(7, 10, 1, 1);
    clock.advance(61_000);
    const second = book.create(7, 10, 1, 1);
    expect(book.get(first.id)!.state).toBe('expired');
    feed.deliver({ to: STORE_WALLET_RAW, amount: second.totalAmount, comment: second.id });
    expect(book.create(7, 10, 1, 1).state).toBe('created');
  });

  it('honours an in-time payment seen after the order was released, if the packs are still there', () => {
    const { book, feed, clock, catalog } = setup();
    const order = book.create(7, 10, 1, 2);
    clock.advance(61_000);
    book.expireDue();
    expect(catalog.stock(10, 1)).toBe(20);
    feed.deliver({ to: STORE_WALLET_RAW, amount: order.totalAmount, comment: order.id, utime: order.expiresAt });
    expect(book.get(order.id)!.state).toBe('paid');
    expect(catalog.stock(10, 1)).toBe(18);
  });

  it('records such a payment as unhonoured when the released packs were sold meanwhile', () => {
    const { book, feed, clock, catalog } = setup();
    const order = book.create(7, 10, 2, 3);
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
    expect(refusalOf(() => book.create(7, 10, 1, 1))).toBe('collection_not_found');
  });
});
