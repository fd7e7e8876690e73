/** The store's side of Stars invoices: each Stars order gets one invoice with a fresh random slug, issued by the
 *  store's bot to the buyer, carrying the order id as payload and expiring with the order. The simulated Telegram
 *  reads invoices here (`find`) and reports payments (`pay`), which confirm the order in the order book. */
import { randomBytes } from 'node:crypto';
import type { InvoiceDesk, InvoicePaymentVerdict, StarsInvoice } from '../stars-invoices.js';
import type { Catalog } from './catalog.js';
import type { OrderBook } from './orders.js';

/** The desk as the store exposes it: Telegram's contract plus a listing for admins and tests. */
export interface StoreInvoices extends InvoiceDesk {
  /** Every invoice issued, oldest first (expired and paid ones included). */
  list(): readonly StarsInvoice[];
}

/** Changes an honest invoice before it is kept (a hostile store's faults); identity for an honest store. */
export type InvoiceTamper = (honest: StarsInvoice) => StarsInvoice;

/** 16 random bytes: 22 base64url characters, like Telegram's invoice slugs. */
const SLUG_BYTES = 16;

export class StoreInvoiceDesk implements StoreInvoices {
  private readonly bySlug = new Map<string, StarsInvoice>();

  constructor(
    private readonly orders: OrderBook,
    private readonly catalog: Catalog,
    private readonly botUsername: string,
  ) {}

  /** Takes a Stars order for `userId` (refusing as the order book does) and issues its invoice, passed through
   *  `tamper` once the order is taken. */
  open(userId: number, collectionId: number, characterId: number, count: number, tamper: InvoiceTamper = (i) => i): StarsInvoice {
    const slug = this.freshSlug();
    const order = this.orders.createStars(userId, collectionId, characterId, count, slug);
    const collection = this.catalog.collection(collectionId);
    const character = this.catalog.character(collectionId, characterId);
    const honest: StarsInvoice = {
      slug,
      botUsername: this.botUsername,
      title: `${character.name} · ${collection.title}`,
      description: `${count} ${character.name} sticker pack${count === 1 ? '' : 's'} from ${collection.title}`,
      amount: order.totalAmount,
      currency: 'XTR',
      payload: order.id,
      buyerUserId: userId,
      expiresAt: order.expiresAt * 1000,
    };
    const invoice = { ...tamper(honest), slug, payload: order.id };
    this.bySlug.set(slug, invoice);
    return invoice;
  }

  find(slug: string): StarsInvoice | null {
    return this.bySlug.get(slug) ?? null;
  }

  pay(slug: string, payerUserId: number, chargeId: string): InvoicePaymentVerdict {
    if (chargeId.length === 0) throw new RangeError('a Stars payment needs a charge id');
    const invoice = this.bySlug.get(slug);
    if (!invoice) return 'unknown';
    return this.orders.payStars(invoice.payload, { chargeId, payerUserId, amount: invoice.amount, currency: invoice.currency });
  }

  list(): readonly StarsInvoice[] {
    return [...this.bySlug.values()];
  }

  private freshSlug(): string {
    for (;;) {
      const slug = randomBytes(SLUG_BYTES).toString('base64url');
      if (!this.bySlug.has(slug)) return slug;
    }
  }
}
