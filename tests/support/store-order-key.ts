/** The id the ledger knows a store order by: the store's order id for TON, the invoice slug for Stars (a Stars buy
 *  answers only the invoice link, so the slug is all the bot ever learns). */
import type { StoreOrder } from '../../sim/store/index.js';

export function ledgerKeyOf(order: StoreOrder): string {
  return order.currency === 'XTR' ? order.invoiceSlug : order.id;
}
