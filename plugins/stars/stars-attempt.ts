/** One Stars payment of one order: `payments.sendStarsForm` with the form fetched for the order. The form id is
 *  Telegram's idempotency key: a used form answers FORM_ID_EXPIRED, so sending the same form again can never pay
 *  twice. What the answer means, and what an error after sending means, is decided here and in reconciliation. */
import { Api } from 'telegram';
import bigInt from 'big-integer';
import type { Logger } from 'pino';
import type { PaymentAttempt, Settlement, StoreOrder } from '../../core/plugins/payment.js';
import { findStarsPayment, paymentMessageId } from './stars-history.js';
import type { TelegramConnection } from './telegram-connection.js';
import { TelegramAborted, TelegramFloodWait, TelegramRpcFailed, TelegramUnavailable } from './telegram-error.js';

/** What the ledger keeps of a Stars payment (no secret: the slug and form id are useless without the session). */
export interface StarsPayload {
  readonly slug: string;
  /** Decimal: the ledger keeps JSON, and a form id is a 64-bit integer. */
  readonly formId: string;
  readonly account: string;
  readonly botId: string;
}

/** RPC errors that prove the form was not paid by this call and cannot be by the same form. */
const REFUSED_BEFORE_PAYING = new Set([
  'BALANCE_TOO_LOW', 'STARS_FORM_AMOUNT_MISMATCH', 'CURRENCY_INVALID', 'BOT_INVOICE_INVALID', 'SLUG_INVALID', 'INVOICE_INVALID',
  'PAYMENT_UNSUPPORTED', 'FORM_UNSUPPORTED',
]);

/** The answer of one send: Telegram's result, or the typed error it failed with. */
type SendOutcome = { readonly result: Api.payments.TypePaymentResult } | { readonly error: unknown };

/** Sends `formId` for `slug` once; never throws (the outcome is for `interpretSend`). */
export async function sendForm(conn: TelegramConnection, payload: StarsPayload, signal: AbortSignal): Promise<SendOutcome> {
  try {
    const result = await conn.invoke(
      new Api.payments.SendStarsForm({ formId: bigInt(payload.formId), invoice: new Api.InputInvoiceSlug({ slug: payload.slug }) }),
      { signal },
    );
    return { result };
  } catch (error) {
    return { error };
  }
}

/** A send whose answer does not settle it: the history must. `formSpent` when Telegram said the form is used up. */
export type LookUp = { readonly outcome: 'look-up'; readonly reason: string; readonly formSpent: boolean };

/** What a send's outcome says about the payment; a look-up when only the history can tell. */
export function interpretSend(outcome: SendOutcome, payload: StarsPayload): Settlement | LookUp {
  if ('result' in outcome) {
    const r = outcome.result;
    if (r instanceof Api.payments.PaymentResult) {
      const msgId = paymentMessageId(r, payload.slug);
      return { outcome: 'paid', txHash: msgId === null ? `stars:form:${payload.formId}` : `stars:msg:${msgId}`, fee: 0n };
    }
    // Telegram wants the user to confirm in an app (3-D Secure-like). Nothing was taken, and no bot can do it.
    return {
      outcome: 'not-paid', final: true,
      reason: 'Telegram asks to verify this Stars payment in a Telegram app (payments.paymentVerificationNeeded); pay once by hand in the app, then run again',
    };
  }
  const e = outcome.error;
  if (e instanceof TelegramRpcFailed) {
    if (e.errorMessage === 'FORM_ID_EXPIRED') return { outcome: 'look-up', reason: 'the form is used or expired (FORM_ID_EXPIRED)', formSpent: true };
    if (REFUSED_BEFORE_PAYING.has(e.errorMessage)) return { outcome: 'not-paid', reason: `Telegram refused the payment: ${e.errorMessage}` };
    return { outcome: 'look-up', reason: `Telegram answered ${e.errorMessage}`, formSpent: false };
  }
  // A flood wait or a call that never left the process executed nothing.
  if (e instanceof TelegramFloodWait) return { outcome: 'not-paid', reason: `Telegram asked to wait ${e.seconds} s before paying` };
  if ((e instanceof TelegramUnavailable || e instanceof TelegramAborted) && !e.maybeApplied) return { outcome: 'not-paid', reason: e.message };
  return { outcome: 'look-up', reason: e instanceof Error ? e.message : 'send failed', formSpent: false };
}

/** Settles a send whose answer did not say: the history, keyed by the slug. */
export async function lookUp(conn: TelegramConnection, payload: StarsPayload, verdict: LookUp, signal: AbortSignal): Promise<Settlement> {
  const { reason: why, formSpent } = verdict;
  const found = await findStarsPayment(conn, payload.slug, signal);
  if (found) return { outcome: 'paid', txHash: `stars:msg:${found.msgId}`, fee: 0n };
  // A spent form (FORM_ID_EXPIRED) with no payment in the history can no longer pay: nothing happened.
  if (formSpent) return { outcome: 'not-paid', reason: `${why}, and no payment of invoice ${payload.slug} is in the Stars history` };
  return { outcome: 'unknown', reason: `${why}; no payment of invoice ${payload.slug} in the Stars history yet` };
}

export class StarsAttempt implements PaymentAttempt {
  readonly idempotencyKey: string;
  private sent: SendOutcome | null = null;

  constructor(
    private readonly conn: TelegramConnection,
    readonly order: StoreOrder,
    private readonly starsPayload: StarsPayload,
    private readonly log: Logger,
  ) {
    this.idempotencyKey = `stars:${starsPayload.slug}:${starsPayload.formId}`;
  }

  get payload(): Readonly<Record<string, unknown>> {
    return { ...this.starsPayload };
  }

  async send(signal: AbortSignal): Promise<void> {
    this.sent = await sendForm(this.conn, this.starsPayload, signal);
    if ('error' in this.sent) throw this.sent.error;
  }

  async confirm(signal: AbortSignal): Promise<Settlement> {
    if (this.sent === null) return { outcome: 'unknown', reason: 'the payment was not sent' };
    const verdict = interpretSend(this.sent, this.starsPayload);
    if (verdict.outcome !== 'look-up') return verdict;
    this.log.warn({ orderId: this.order.orderId, reason: verdict.reason }, 'stars payment answer unclear; looking it up in the Stars history');
    try {
      return await lookUp(this.conn, this.starsPayload, verdict, signal);
    } catch (e) {
      return { outcome: 'unknown', reason: `${verdict.reason}; history unavailable: ${(e as Error).message}` };
    }
  }

  dispose(): void {
    // Nothing is held: Telegram serialises payments per user itself.
  }
}
