/** Stars invoices the simulated store issues and the simulated Telegram serves as payment forms: the one place the
 *  two meet. The store owns the desk (it creates invoices for its orders and confirms an order when Telegram reports
 *  its invoice paid); Telegram only reads invoices and reports payments. */

/** One invoice as the store's bot created it (Bot API `createInvoiceLink` with currency XTR). */
export interface StarsInvoice {
  /** The part after `$` in `https://t.me/$<slug>`; unique. */
  readonly slug: string;
  /** Username of the bot that issued it (the store's bot, without `@`). */
  readonly botUsername: string;
  readonly title: string;
  readonly description: string;
  /** Total price in the invoice's currency's smallest unit (whole stars for XTR). */
  readonly amount: bigint;
  /** `XTR` for a Stars invoice; a hostile store may issue another currency (the form then shows it). */
  readonly currency: string;
  /** The bot's own payload: the store's order id. */
  readonly payload: string;
  /** Telegram user id the store issued it to. */
  readonly buyerUserId: number;
  /** Epoch ms after which the store no longer honours a payment (Telegram refuses the form). */
  readonly expiresAt: number;
}

/** What the store answers when Telegram reports a payment. `paid` is the only case where the stars are taken. */
export type InvoicePaymentVerdict = 'paid' | 'already-paid' | 'expired' | 'unknown';

/** The store side of Stars invoices, as the simulated Telegram sees it. */
export interface InvoiceDesk {
  /** The invoice with this slug, or null. */
  find(slug: string): StarsInvoice | null;
  /** Telegram took `amount` stars from `payerUserId` for `slug` (charge id `chargeId`): the store confirms the order.
   *  Called before Telegram debits, and Telegram debits only on `paid`. */
  pay(slug: string, payerUserId: number, chargeId: string): InvoicePaymentVerdict;
}
