import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { OrderBook } from '../../../../sim/store/orders.js';
import { orderCounts } from '../../../../sim/store/stats.js';
import { StoreWallet } from '../../../../sim/store/wallet.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { MemoryTransferFeed } from '../../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

describe('order counts', () => {
  it('counts every order taken per currency, and how many are open, paid and expired', () => {
    const clock = new ManualClock();
    const catalog = new Catalog(storeScenario(clock.now()).collections, clock.now);
    const book = new OrderBook(
      catalog,
      new StoreWallet(STORE_WALLET_RAW),
      { maxCount: 5, TON: { ttlSec: 60, unpaidLimit: 5 }, XTR: { ttlSec: 120, unpaidLimit: 5 } },
      clock.now,
    );
    const feed = new MemoryTransferFeed(clock.now);
    feed.onTransfer((t) => book.receive(t));
    const ton = book.createTon(1, 10, 1, 1);
    book.createTon(1, 10, 1, 1);
    const stars = book.createStars(1, 10, 1, 1, 'a');
    book.createStars(1, 10, 1, 1, 'b');
    book.createStars(1, 10, 1, 1, 'c');
    feed.deliver({ to: STORE_WALLET_RAW, amount: ton.totalAmount, comment: ton.id });
    book.payStars(stars.id, { chargeId: 'c', payerUserId: 1, amount: stars.totalAmount, currency: 'XTR' });
    clock.advance(61_000);
    expect(orderCounts(book.list())).toEqual({
      TON: { created: 2, open: 0, paid: 1, expired: 1 },
      XTR: { created: 3, open: 2, paid: 1, expired: 0 },
    });
  });
});
