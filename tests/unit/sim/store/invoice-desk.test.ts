import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { StoreInvoiceDesk } from '../../../../sim/store/invoice-desk.js';
import { OrderBook } from '../../../../sim/store/orders.js';
import { StoreRefusal } from '../../../../sim/store/refusal.js';
import { StoreWallet } from '../../../../sim/store/wallet.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { STORE_WALLET_RAW, storeScenario } from '../../../support/store-scenario.js';

function setup() {
  const clock = new ManualClock(Date.UTC(2025, 0, 1, 12, 0, 0, 400));
  const catalog = new Catalog(storeScenario(clock.now()).collections, clock.now);
  const book = new OrderBook(
    catalog,
    new StoreWallet(STORE_WALLET_RAW),
    { maxCount: 5, TON: { ttlSec: 60, unpaidLimit: 1 }, XTR: { ttlSec: 600, unpaidLimit: 3 } },
    clock.now,
  );
  return { clock, catalog, book, desk: new StoreInvoiceDesk(book, catalog, 'sticker_bot') };
}

describe('the store invoice desk', () => {
  it('issues an invoice for a new Stars order: the bot, the buyer, the order id as payload, price × count in XTR', () => {
    const { desk, book } = setup();
    const invoice = desk.open(1001, 10, 1, 2);
    const order = book.get(invoice.payload)!;
    expect(order).toMatchObject({ currency: 'XTR', userId: 1001, count: 2, invoiceSlug: invoice.slug, state: 'created' });
    expect(invoice).toEqual({
      slug: invoice.slug,
      botUsername: 'sticker_bot',
      title: 'Tom · Blue Cats',
      description: '2 Tom sticker packs from Blue Cats',
      amount: 500n,
      currency: 'XTR',
      payload: order.id,
      buyerUserId: 1001,
      expiresAt: order.expiresAt * 1000,
    });
    expect(invoice.slug).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(desk.find(invoice.slug)).toEqual(invoice);
  });

  it('gives every invoice its own slug and finds none for a slug it never issued', () => {
    const { desk } = setup();
    const slugs = new Set([desk.open(1, 10, 1, 1), desk.open(2, 10, 1, 1), desk.open(3, 10, 1, 1)].map((i) => i.slug));
    expect(slugs.size).toBe(3);
    expect(desk.find('AAAAAAAAAAAAAAAAAAAAAA')).toBeNull();
    expect(desk.list()).toHaveLength(3);
  });

  it('issues nothing when the order is refused', () => {
    const { desk } = setup();
    expect(() => desk.open(1, 10, 2, 4)).toThrow(StoreRefusal);
    expect(desk.list()).toEqual([]);
  });

  it('confirms the order on the first payment, then answers already-paid', () => {
    const { desk, book } = setup();
    const invoice = desk.open(1001, 10, 1, 1);
    expect(desk.pay(invoice.slug, 1001, 'ch-1')).toBe('paid');
    expect(desk.pay(invoice.slug, 1001, 'ch-2')).toBe('already-paid');
    expect(book.get(invoice.payload)).toMatchObject({ state: 'paid', paidBy: { chargeId: 'ch-1', payerUserId: 1001, amount: 250n } });
  });

  it('answers expired after the order expired, and unknown for an unknown slug', () => {
    const { desk, clock, catalog } = setup();
    const invoice = desk.open(1001, 10, 1, 1);
    clock.set(invoice.expiresAt + 1);
    expect(desk.pay(invoice.slug, 1001, 'ch-1')).toBe('expired');
    expect(catalog.stock(10, 1)).toBe(20);
    expect(desk.pay('no-such-slug', 1001, 'ch-2')).toBe('unknown');
  });

  it('keeps the tampered invoice, but never lets tampering change its slug or payload', () => {
    const { desk } = setup();
    const invoice = desk.open(1001, 10, 1, 1, (honest) => ({ ...honest, amount: honest.amount * 2n, currency: 'USD', slug: 'x', payload: 'y' }));
    expect(invoice).toMatchObject({ amount: 500n, currency: 'USD' });
    expect(invoice.slug).not.toBe('x');
    expect(desk.find(invoice.slug)?.payload).not.toBe('y');
  });
});
