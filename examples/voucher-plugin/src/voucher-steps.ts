/** The voucher payer's steps for one account: quote from the collection (Stars per pack), order a Stars invoice at the
 *  store, read it at the issuer (amount, currency, expiry), check the voucher covers it, and prepare a redemption. An
 *  order that must not be paid is still returned, with its refusal, so the host records why. */
import { randomUUID } from 'node:crypto';
import { AutomintError, type PaymentAccount, type PaymentAttempt, type PaymentSteps, type StoreOrder, type TargetSpec, type Units } from 'automint/plugin';
import type { IssuerClient } from './issuer-client.js';
import { invoiceSlug } from './invoice-slug.js';
import { VoucherAttempt } from './voucher-attempt.js';

export class VoucherSteps implements PaymentSteps {
  constructor(private readonly account: PaymentAccount, private readonly issuer: IssuerClient) {}

  async quote(target: TargetSpec, signal: AbortSignal): Promise<Units> {
    const view = await this.account.store.collection(target.collection, { signal, priority: 'read' });
    const price = view.published ? view.characters.find((c) => c.id === target.character)?.priceStars : undefined;
    if (price === null || price === undefined) {
      throw new AutomintError('VOUCHER_NO_PRICE', `collection ${target.collection} has no Stars price for character ${target.character}`, { target: target.key });
    }
    return price;
  }

  async createOrder(target: TargetSpec, count: number, opts: { signal: AbortSignal; onSent: () => void }): Promise<StoreOrder> {
    const { invoiceLink } = await this.account.store.buyStars({ collection: target.collection, character: target.character, count }, opts);
    const slug = invoiceSlug(invoiceLink);
    if (slug === null) return refused(`voucher-${randomUUID()}`, count, 'the store\'s invoice link has no slug', 'VOUCHER_NO_SLUG');
    const invoice = await this.issuer.invoice(slug, opts.signal);
    if (invoice === null) return refused(slug, count, `the voucher issuer knows no invoice ${slug}`, 'VOUCHER_INVOICE_UNKNOWN');
    if (invoice.currency !== 'XTR') return refused(slug, count, `the invoice is in ${invoice.currency.slice(0, 8)}, not Stars (XTR)`, 'VOUCHER_FOREIGN_CURRENCY');
    return { orderId: slug, count, currency: 'XTR', amount: invoice.amount, destination: slug, expiresAt: invoice.expiresAt };
  }

  async check(order: StoreOrder, signal: AbortSignal): Promise<string | null> {
    const balance = await this.issuer.balance(signal);
    return balance >= order.amount ? null : `voucher balance ${balance} is below ${order.amount} (invoice ${order.orderId})`;
  }

  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    return new VoucherAttempt(this.issuer, order, randomUUID());
  }
}

/** An order the host records as refused, paying nothing. */
function refused(orderId: string, count: number, refusal: string, refusalCode: string): StoreOrder {
  return { orderId, count, currency: 'XTR', amount: 0n, destination: orderId, expiresAt: null, refusal, refusalCode };
}
