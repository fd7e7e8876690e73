/** `POST /api/v1/shop/buy?collection&character[&count]`: a Stars order and its invoice link, `{url:
 *  "https://t.me/$<slug>"}` and nothing else. A hostile store (fault plan) twists the answer or the invoice behind it:
 *  a link without a slug, the link under `invoice_url`, an invoice for twice the price or in another currency. */
import type { StarsInvoice } from '../stars-invoices.js';
import type { Faults, StarsFault } from './faults.js';
import type { StoreInvoiceDesk } from './invoice-desk.js';
import { callerOf } from './middleware.js';
import { idParam, integerParam } from './params.js';
import { ok } from './pipeline.js';
import type { Route } from './router.js';

export interface StarsBuyDeps {
  readonly invoices: StoreInvoiceDesk;
  readonly faults: Faults;
}

/** The Stars buy route. `count` is optional (1 when absent) and checked like a TON order's. */
export function starsBuyRoutes({ invoices, faults }: StarsBuyDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/shop/buy',
      handle: (ctx) => {
        const query = ctx.request.query;
        const collectionId = idParam(query, 'collection');
        const characterId = idParam(query, 'character');
        const count = query.has('count') ? integerParam(query, 'count') : 1;
        // Faults are drawn only once the order is taken, so refused buys do not use up a burst.
        let twists: ReadonlySet<StarsFault> = new Set();
        const invoice = invoices.open(callerOf(ctx), collectionId, characterId, count, (honest) => {
          twists = faults.starsTwists();
          return tampered(honest, twists);
        });
        const url = twists.has('starsLinkWithoutSlug') ? `https://t.me/${invoice.botUsername}` : invoiceLink(invoice);
        return ok(twists.has('starsWrongLinkField') ? { invoice_url: url } : { url });
      },
    },
  ];
}

/** The link Telegram clients open for an invoice. */
export function invoiceLink(invoice: Pick<StarsInvoice, 'slug'>): string {
  return `https://t.me/$${invoice.slug}`;
}

function tampered(invoice: StarsInvoice, twists: ReadonlySet<StarsFault>): StarsInvoice {
  return {
    ...invoice,
    amount: twists.has('starsOverprice') ? invoice.amount * 2n : invoice.amount,
    currency: twists.has('starsForeignCurrency') ? 'USD' : invoice.currency,
  };
}
