/** One Stars payment of one order: `payments.sendStarsForm` with the form fetched for the order. What an answer
 *  proves depends on whether the request may have gone twice: GramJS re-sends every unanswered request after a
 *  reconnect, and the answer to the repeat settles the original call. So an answer that says "nothing was taken"
 *  (a refusal, a flood wait) is believed only when the transport did not reconnect meanwhile; otherwise, and for a
 *  used form (FORM_ID_EXPIRED) or a lost answer, the payment is looked up by its invoice slug. Absent from the look-up
 *  right after sending is `unknown` (reconciled later), never `not-paid`. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import bigInt from 'big-integer';
import type { Logger } from 'pino';
import type { PaymentAttempt, Settlement, StoreOrder } from '../../core/plugins/payment.js';
import { findStarsPayment, paymentMessageId } from './stars-history.js';
import type { ResolvedBot, TelegramConnection } from './telegram-connection.js';
import { TelegramAborted, TelegramFloodWait, TelegramRpcFailed, TelegramUnavailable } from './telegram-error.js';

/** What the ledger keeps of a Stars payment (no secret: the slug and form id are useless without the session). */
export interface StarsPayload {
  readonly slug: string;
  /** Decimal: the ledger keeps JSON, and a form id is a 64-bit integer. */
  readonly formId: string;
  readonly account: string;
  readonly botId: string;
  /** Epoch ms the attempt was prepared: reconciliation sends a form again only while it is young. */
  readonly preparedAt: number;
}

/** RPC errors that prove the form was not paid by this call. */
const REFUSED_BEFORE_PAYING = new Set([
  'BALANCE_TOO_LOW', 'STARS_FORM_AMOUNT_MISMATCH', 'CURRENCY_INVALID', 'BOT_INVOICE_INVALID', 'SLUG_INVALID', 'INVOICE_INVALID',
  'PAYMENT_UNSUPPORTED', 'FORM_UNSUPPORTED',
]);

/** The answer of one send, and whether the transport reconnected while it was out. */
export interface SendOutcome {
  readonly result?: Api.payments.TypePaymentResult;
  readonly error?: unknown;
  readonly reconnected: boolean;
}

/** Sends `formId` for `slug` (GramJS may repeat it after a reconnect); never throws. A FLOOD_WAIT up to
 *  `maxFloodWaitSec` is waited out and the form sent once more — only when the transport did not reconnect, since
 *  only then does the flood wait prove the first transmission did nothing. */
export async function sendForm(conn: TelegramConnection, payload: StarsPayload, signal: AbortSignal, maxFloodWaitSec: number): Promise<SendOutcome> {
  const request = () => new Api.payments.SendStarsForm({ formId: bigInt(payload.formId), invoice: new Api.InputInvoiceSlug({ slug: payload.slug }) });
  const first = await conn.invokeWatched(request(), { signal, floodWait: 'fail' });
  const e = first.error;
  if (!(e instanceof TelegramFloodWait) || first.reconnected || e.seconds > maxFloodWaitSec) return first;
  try {
    await sleep(e.seconds * 1000, undefined, { signal });
  } catch {
    return first;
  }
  const second = await conn.invokeWatched(request(), { signal, floodWait: 'fail' });
  return { ...second, reconnected: second.reconnected || first.reconnected };
}

/** A send whose answer does not settle it: the look-up must. */
export type LookUp = { readonly outcome: 'look-up'; readonly reason: string };

/** What a send's answer proves. */
export function interpretSend(outcome: SendOutcome, payload: StarsPayload): Settlement | LookUp {
  const r = outcome.result;
  if (r instanceof Api.payments.PaymentResult) {
    const msgId = paymentMessageId(r, payload.slug);
    return { outcome: 'paid', txHash: msgId === null ? `stars:form:${payload.formId}` : `stars:msg:${msgId}`, fee: 0n };
  }
  if (r !== undefined) {
    // Telegram wants the user to confirm in an app. Nothing was taken, and no bot can do it.
    return {
      outcome: 'not-paid', final: true,
      reason: 'Telegram asks to verify this Stars payment in a Telegram app (payments.paymentVerificationNeeded); pay once by hand in the app, then run again',
    };
  }
  const e = outcome.error;
  const proves = !outcome.reconnected;
  if (e instanceof TelegramRpcFailed && REFUSED_BEFORE_PAYING.has(e.errorMessage) && proves) {
    return { outcome: 'not-paid', reason: `Telegram refused the payment: ${e.errorMessage}` };
  }
  if (e instanceof TelegramFloodWait && proves) return { outcome: 'not-paid', reason: `Telegram asked to wait ${e.seconds} s before paying` };
  // A call that never left the process executed nothing.
  if ((e instanceof TelegramUnavailable || e instanceof TelegramAborted) && !e.maybeApplied && proves) return { outcome: 'not-paid', reason: e.message };
  const what = e instanceof TelegramRpcFailed ? `Telegram answered ${e.errorMessage}` : e instanceof Error ? e.message : 'send failed';
  return { outcome: 'look-up', reason: outcome.reconnected ? `${what} after a reconnect (the request may have gone twice)` : what };
}

/** Settles a send whose answer did not: paid when the look-up finds the invoice paid, else `absent`. */
export async function lookUp(conn: TelegramConnection, bot: ResolvedBot, payload: StarsPayload, why: string, absent: Settlement, signal: AbortSignal): Promise<Settlement> {
  try {
    const found = await findStarsPayment(conn, bot, payload.slug, signal);
    if (found) return { outcome: 'paid', txHash: `stars:msg:${found.msgId}`, fee: 0n };
  } catch (e) {
    return { outcome: 'unknown', reason: `${why}; the payment could not be looked up: ${(e as Error).message}` };
  }
  return absent;
}

export class StarsAttempt implements PaymentAttempt {
  readonly idempotencyKey: string;
  private sent: SendOutcome | null = null;
  private disposed = false;

  constructor(
    private readonly conn: TelegramConnection,
    private readonly bot: ResolvedBot,
    readonly order: StoreOrder,
    private readonly starsPayload: StarsPayload,
    private readonly log: Logger,
    private readonly maxFloodWaitSec: number,
    private readonly hooks: {
      /** Called once when the attempt ends (the account's Stars held for it are free again). */
      readonly onEnd: () => void;
      /** Telegram asked the user to verify payments in an app: the account pays no more Stars this run. */
      readonly onVerificationNeeded: (reason: string) => void;
    },
  ) {
    this.idempotencyKey = `stars:${starsPayload.slug}:${starsPayload.formId}`;
  }

  get payload(): Readonly<Record<string, unknown>> {
    return { ...this.starsPayload };
  }

  async send(signal: AbortSignal): Promise<void> {
    this.sent = await sendForm(this.conn, this.starsPayload, signal, this.maxFloodWaitSec);
    if (this.sent.error !== undefined) throw this.sent.error;
  }

  async confirm(signal: AbortSignal): Promise<Settlement> {
    if (this.sent === null) return { outcome: 'unknown', reason: 'the payment was not sent' };
    const verdict = interpretSend(this.sent, this.starsPayload);
    if (verdict.outcome === 'not-paid' && verdict.final) this.hooks.onVerificationNeeded(verdict.reason);
    if (verdict.outcome !== 'look-up') return verdict;
    this.log.warn({ orderId: this.order.orderId, reason: verdict.reason }, 'stars payment answer unclear; looking it up by invoice slug');
    // Not found right after sending proves nothing (a repeat may still be in flight): reconciliation settles it.
    return lookUp(this.conn, this.bot, this.starsPayload, verdict.reason, {
      outcome: 'unknown', reason: `${verdict.reason}; no payment of invoice ${this.starsPayload.slug} found yet`,
    }, signal);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.hooks.onEnd();
  }
}
