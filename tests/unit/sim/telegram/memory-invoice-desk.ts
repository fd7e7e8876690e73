/** An in-memory InvoiceDesk for the simulated Telegram's tests: the store side of Stars invoices, reduced to a map
 *  of invoices and the payments reported for them. */
import type { InvoiceDesk, InvoicePaymentVerdict, StarsInvoice } from '../../../../sim/stars-invoices.js';

/** One `pay` call as the desk received it, with the verdict it gave. */
export interface DeskPayment {
  readonly slug: string;
  readonly payerUserId: number;
  readonly chargeId: string;
  readonly verdict: InvoicePaymentVerdict;
}

/** Invoices by slug; an invoice is paid at most once, and not after it expires. */
export class MemoryInvoiceDesk implements InvoiceDesk {
  readonly calls: DeskPayment[] = [];
  private readonly invoices = new Map<string, StarsInvoice>();
  private readonly paid = new Set<string>();
  /** When set, the next `pay` answers this instead of deciding (a store that changed its mind). */
  nextVerdict: InvoicePaymentVerdict | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Issues (or replaces) an invoice. */
  add(invoice: StarsInvoice): StarsInvoice {
    this.invoices.set(invoice.slug, invoice);
    return invoice;
  }

  find(slug: string): StarsInvoice | null {
    return this.invoices.get(slug) ?? null;
  }

  pay(slug: string, payerUserId: number, chargeId: string): InvoicePaymentVerdict {
    const verdict = this.nextVerdict ?? this.decide(slug);
    this.nextVerdict = undefined;
    if (verdict === 'paid') this.paid.add(slug);
    this.calls.push({ slug, payerUserId, chargeId, verdict });
    return verdict;
  }

  /** True once the invoice was paid. */
  isPaid(slug: string): boolean {
    return this.paid.has(slug);
  }

  private decide(slug: string): InvoicePaymentVerdict {
    const invoice = this.invoices.get(slug);
    if (!invoice) return 'unknown';
    if (this.paid.has(slug)) return 'already-paid';
    if (this.clock() >= invoice.expiresAt) return 'expired';
    return 'paid';
  }
}

/** A Stars invoice for `buyerUserId` with sensible defaults. */
export function starsInvoice(slug: string, buyerUserId: number, amount: bigint, over: Partial<StarsInvoice> = {}): StarsInvoice {
  return {
    slug,
    botUsername: 'sticker_bot',
    title: `Pack ${slug}`,
    description: `One limited pack (${slug})`,
    amount,
    currency: 'XTR',
    payload: `order-${slug}`,
    buyerUserId,
    expiresAt: Date.now() + 15 * 60 * 1000,
    ...over,
  };
}
