/** Paying a Stars invoice: payments.getPaymentForm (the store's invoice as a fresh form) and payments.sendStarsForm
 *  (spend the form: the store confirms through the InvoiceDesk, and only on `paid` are the stars taken, the
 *  transaction recorded and the payment's service message posted in the user's chat with the bot). All checks and
 *  the debit run in one synchronous step, so concurrent payers cannot overdraw a balance or pay a form twice. */
import { randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import type { Clock } from '../store/clock.js';
import type { InvoiceDesk, StarsInvoice } from '../stars-invoices.js';
import type { Accounts, Account } from './accounts.js';
import type { BotChats } from './bot-chat.js';
import type { MethodEntry, Methods } from './methods.js';
import type { PaymentForm, PaymentForms } from './payment-forms.js';
import { RpcFailure } from './rpc.js';
import type { StarsLedger } from './stars-ledger.js';
import { starsAmount } from './stars-status.js';
import { fromTlLong, tlDate, tlLong } from './tl.js';

/** The currency of Telegram Stars. */
export const STARS_CURRENCY = 'XTR';

/** What the payment methods read and change. */
export interface StarsPaymentDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
  readonly desk: InvoiceDesk;
  readonly forms: PaymentForms;
  readonly ledger: StarsLedger;
  readonly chats: BotChats;
  readonly clock: Clock;
}

/** payments.getPaymentForm, payments.sendStarsForm. */
export function starsPaymentMethods(d: StarsPaymentDeps): MethodEntry[] {
  return [
    d.methods.user(Api.payments.GetPaymentForm, (req, caller) => {
      const invoice = liveInvoice(d, slugOf(req.invoice));
      // An invoice issued to another buyer is still shown: Telegram does not know whom the store meant.
      const form = d.forms.issue(caller.id, invoice.slug, invoice.amount);
      return new Api.payments.PaymentFormStars({
        formId: tlLong(form.formId),
        botId: tlLong(d.accounts.bot.id),
        title: invoice.title,
        description: invoice.description,
        invoice: new Api.Invoice({
          currency: invoice.currency,
          prices: [new Api.LabeledPrice({ label: invoice.title, amount: tlLong(invoice.amount) })],
        }),
        users: [d.accounts.botTl()],
      });
    }),

    d.methods.user(Api.payments.SendStarsForm, (req, caller) => {
      const slug = slugOf(req.invoice);
      const form = d.forms.find(fromTlLong(req.formId), caller.id, slug);
      if (!form) throw new RpcFailure(400, 'FORM_ID_EXPIRED');
      const invoice = liveInvoice(d, slug);
      if (invoice.currency !== STARS_CURRENCY) throw new RpcFailure(400, 'CURRENCY_INVALID');
      if (invoice.amount !== form.amount) throw new RpcFailure(406, 'STARS_FORM_AMOUNT_MISMATCH');
      if (d.ledger.balance(caller.id) < invoice.amount) throw new RpcFailure(400, 'BALANCE_TOO_LOW');
      if (caller.spec.requireVerification) {
        return new Api.payments.PaymentVerificationNeeded({ url: `https://verify.telegram.invalid/stars?form_id=${form.formId}` });
      }
      return pay(d, caller, form, invoice);
    }),
  ];
}

/** Spends the form and, when the store confirms, takes the stars and tells the client as Telegram does. */
function pay(d: StarsPaymentDeps, caller: Account, form: PaymentForm, invoice: StarsInvoice): Api.payments.PaymentResult {
  const chargeId = `stx${randomBytes(24).toString('base64url')}`;
  d.forms.use(form);
  const verdict = d.desk.pay(invoice.slug, caller.id, chargeId);
  if (verdict === 'already-paid') throw new RpcFailure(400, 'FORM_ID_EXPIRED');
  if (verdict === 'expired') throw new RpcFailure(400, 'BOT_INVOICE_INVALID');
  if (verdict === 'unknown') throw new RpcFailure(400, 'SLUG_INVALID');

  const at = d.clock();
  const posted = d.chats.postPaymentSent(caller.id, { currency: STARS_CURRENCY, totalAmount: invoice.amount, slug: invoice.slug, at });
  d.ledger.take({
    slug: invoice.slug,
    formId: form.formId.toString(),
    userId: caller.id,
    amount: invoice.amount,
    chargeId,
    msgId: posted.message.id,
    at,
    title: invoice.title,
    description: invoice.description,
  });
  return new Api.payments.PaymentResult({
    updates: new Api.Updates({
      updates: [
        new Api.UpdateNewMessage({ message: posted.message, pts: posted.pts, ptsCount: 1 }),
        new Api.UpdateStarsBalance({ balance: starsAmount(d.ledger.balance(caller.id)) }),
      ],
      users: [d.accounts.botTl(), d.accounts.userTl(caller, caller)],
      chats: [],
      date: tlDate(at),
      seq: 0,
    }),
  });
}

/** The slug of an `inputInvoiceSlug`; other kinds of invoice are not the store's. */
function slugOf(invoice: Api.TypeInputInvoice): string {
  if (!(invoice instanceof Api.InputInvoiceSlug)) throw new RpcFailure(400, 'INVOICE_INVALID');
  return invoice.slug;
}

/** The store's invoice behind `slug` while it can still be paid. */
function liveInvoice(d: StarsPaymentDeps, slug: string): StarsInvoice {
  const invoice = d.desk.find(slug);
  if (!invoice) throw new RpcFailure(400, 'SLUG_INVALID');
  const ownBot = invoice.botUsername.toLowerCase() === d.accounts.bot.spec.username.toLowerCase();
  if (!ownBot || d.clock() >= invoice.expiresAt) throw new RpcFailure(400, 'BOT_INVOICE_INVALID');
  return invoice;
}
