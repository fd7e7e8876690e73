/** The Stars payer's steps for one account: quote from the collection (Stars per pack), order at
 *  `POST /shop/buy` → invoice link → slug → payment form, checks (Stars, the store's own bot, the packs asked, the
 *  balance), and a payment attempt carrying the form. An order that must not be paid is still returned — with its
 *  refusal — so the ledger records why. */
import { createHash, randomUUID } from 'node:crypto';
import { Api } from 'telegram';
import type { Logger } from 'pino';
import type { Stars, Units } from '../../core/money.js';
import type { PaymentAccount, PaymentAttempt, PaymentSteps, StoreOrder, TargetSpec } from '../../core/plugins/payment.js';
import { AutomintError } from '../../core/errors.js';
import type { StarsConfig } from './config.js';
import { invoiceSlug } from './invoice-link.js';
import type { AccountStars } from './account-stars.js';
import { StarsAttempt, type StarsPayload } from './stars-attempt.js';
import type { ResolvedBot, TelegramConnection } from './telegram-connection.js';
import { TelegramRpcFailed } from './telegram-error.js';

/** The collection has no Stars price for the character: it cannot be bought with Stars. */
export class StarsPriceUnknown extends AutomintError {
  constructor(target: TargetSpec) {
    super('STARS_PRICE_UNKNOWN', `collection ${target.collection} has no Stars price for character ${target.character}`, { target: target.key });
  }
}

/** The form fetched for an order, kept until the order is prepared or dropped. */
interface Form {
  readonly payload: Omit<StarsPayload, 'preparedAt'>;
  readonly bot: ResolvedBot;
}

/** Telegram refusals of an invoice that mean this invoice can never be paid (as opposed to a transient failure). */
const INVOICE_REFUSALS = new Set(['SLUG_INVALID', 'BOT_INVOICE_INVALID', 'INVOICE_INVALID', 'STARS_FORM_AMOUNT_MISMATCH']);

export class StarsSteps implements PaymentSteps {
  private readonly forms = new Map<string, Form>();
  private readonly quotes = new Map<string, Stars>();

  constructor(
    private readonly account: PaymentAccount,
    private readonly connection: () => Promise<TelegramConnection>,
    private readonly stars: StarsConfig,
    private readonly log: Logger,
    private readonly accountStars: AccountStars,
  ) {}

  async quote(target: TargetSpec, signal: AbortSignal): Promise<Units> {
    const view = await this.account.store.collection(target.collection, { signal, priority: 'read' });
    const character = view.published ? view.characters.find((c) => c.id === target.character) : undefined;
    if (!character || character.priceStars === null) throw new StarsPriceUnknown(target);
    this.quotes.set(target.key, character.priceStars);
    return character.priceStars;
  }

  async createOrder(target: TargetSpec, count: number, opts: { signal: AbortSignal; onSent: () => void }): Promise<StoreOrder> {
    // Before the store is asked: an order that cannot be paid must not be created.
    this.accountStars.assertOpen(this.account.name);
    const { invoiceLink } = await this.account.store.buyStars({ collection: target.collection, character: target.character, count }, opts);
    const slug = invoiceSlug(invoiceLink);
    if (slug === null) {
      // No slug, no form: nothing can ever be paid for it, so the name only has to be unique (a store that answers
      // slug-less links answers the same link every time). The link's hash says which link it was.
      const id = `invoice-${createHash('sha256').update(invoiceLink).digest('hex').slice(0, 8)}-${randomUUID().slice(0, 8)}`;
      return refused(id, count, 0n, '', 'the invoice link has no slug (expected t.me/$slug, t.me/invoice/slug or tg://invoice?slug=)', 'STARS_NO_SLUG');
    }
    const conn = await this.connection();
    let form: Api.payments.TypePaymentForm;
    try {
      form = await conn.invoke(new Api.payments.GetPaymentForm({ invoice: new Api.InputInvoiceSlug({ slug }) }), { signal: opts.signal });
    } catch (e) {
      if (e instanceof TelegramRpcFailed && INVOICE_REFUSALS.has(e.errorMessage)) {
        return refused(slug, count, 0n, slug, `Telegram refused the invoice: ${e.errorMessage}`, 'STARS_INVOICE_REFUSED');
      }
      throw e;
    }
    if (!(form instanceof Api.payments.PaymentFormStars)) {
      return refused(slug, count, 0n, slug, `the invoice is not payable in Stars (Telegram offers a ${form.className} form)`, 'STARS_NOT_A_STARS_FORM');
    }
    const amount = form.invoice.prices.reduce((sum, p) => sum + BigInt(p.amount.toString()), 0n);
    const currency = form.invoice.currency;
    // The amount is in another currency's units: the ledger keeps 0 rather than a number that reads as Stars.
    if (currency !== 'XTR') return refused(slug, count, 0n, slug, `the form is in ${currency.slice(0, 8)} (${amount} of its smallest unit), not Stars (XTR)`, 'STARS_FOREIGN_CURRENCY');
    const bot = await conn.resolveBot(this.stars.bot, opts.signal);
    if (BigInt(form.botId.toString()) !== bot.userId) {
      return refused(slug, count, amount, slug, `the invoice was issued by bot ${form.botId.toString()}, not the store's @${this.stars.bot}`, 'STARS_FOREIGN_BOT');
    }
    // A store that ignores `count` issues an invoice for fewer packs at the right unit price: paying it would buy
    // less than the ledger records. The host checks the upper side (quote × count + tolerance).
    const unit = this.quotes.get(target.key);
    if (unit !== undefined && amount < unit * BigInt(count)) {
      return refused(slug, count, amount, slug, `the invoice asks ${amount} stars, less than ${count} packs at ${unit} stars: it does not cover the packs asked`, 'STARS_FEWER_PACKS');
    }
    this.forms.set(slug, {
      payload: { slug, formId: form.formId.toString(), account: this.account.name, botId: bot.userId.toString() },
      bot,
    });
    return { orderId: slug, count, currency: 'XTR', amount, destination: slug, expiresAt: null };
  }

  async check(order: StoreOrder, signal: AbortSignal): Promise<string | null> {
    if (!this.forms.has(order.orderId)) return `no payment form was fetched for order ${order.orderId}`;
    const balance = await starsBalance(await this.connection(), signal);
    // Other payers of this account may be paying right now: what they hold is not there for this order.
    const held = this.accountStars.heldBy(this.account.name);
    const need = order.amount + this.stars.starsReserve + held;
    if (balance >= need) return null;
    this.forms.delete(order.orderId);
    return `Stars balance ${balance} is below ${need} (invoice ${order.amount} + reserve ${this.stars.starsReserve}${held > 0n ? ` + ${held} held by payments in flight` : ''})`;
  }

  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    const form = this.forms.get(order.orderId);
    if (!form) throw new AutomintError('STARS_NO_FORM', `no payment form for order ${order.orderId}`, { orderId: order.orderId });
    // One attempt per form: the next order fetches its own.
    this.forms.delete(order.orderId);
    const account = this.account.name;
    const release = this.accountStars.hold(account, order.amount);
    return new StarsAttempt(await this.connection(), form.bot, order, { ...form.payload, preparedAt: Date.now() }, this.log, this.stars.maxFloodWaitSec, {
      onEnd: release,
      onVerificationNeeded: (reason) => this.accountStars.block(account, reason),
    });
  }
}

/** The account's Stars balance. */
export async function starsBalance(conn: TelegramConnection, signal?: AbortSignal): Promise<bigint> {
  const status = await conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }), { signal });
  return status.balance instanceof Api.StarsAmount ? BigInt(status.balance.amount.toString()) : 0n;
}

function refused(orderId: string, count: number, amount: bigint, destination: string, refusal: string, refusalCode: string): StoreOrder {
  return { orderId, count, currency: 'XTR', amount, destination, expiresAt: null, refusal, refusalCode };
}
