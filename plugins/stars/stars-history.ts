/** Finding a Stars payment after the fact, keyed by our own id — the invoice slug — never by a time window: the
 *  Stars transaction history names the service message of each payment, and that message (messageActionPaymentSent)
 *  names the slug it paid. */
import { Api } from 'telegram';
import type { TelegramConnection } from './telegram-connection.js';

/** How far back the history is read: pages of PAGE_SIZE transactions. A run pays far fewer. */
const PAGE_SIZE = 50;
const MAX_PAGES = 40;

/** A payment found in the history. */
export interface FoundPayment {
  readonly transactionId: string;
  readonly msgId: number;
  /** Stars taken (positive). */
  readonly amount: bigint;
}

/** The outgoing Stars payment of the invoice `slug`, or null when the history holds none. */
export async function findStarsPayment(conn: TelegramConnection, slug: string, signal?: AbortSignal): Promise<FoundPayment | null> {
  let offset = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const status = await conn.invoke(
      new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), outbound: true, offset, limit: PAGE_SIZE }),
      { signal },
    );
    const withMessage = (status.history ?? []).filter((t) => t.msgId !== undefined && t.peer instanceof Api.StarsTransactionPeer);
    if (withMessage.length > 0) {
      const found = await matchSlug(conn, withMessage, slug, signal);
      if (found) return found;
    }
    if (!status.nextOffset || (status.history ?? []).length === 0) return null;
    offset = status.nextOffset;
  }
  return null;
}

async function matchSlug(conn: TelegramConnection, txs: Api.StarsTransaction[], slug: string, signal?: AbortSignal): Promise<FoundPayment | null> {
  const answer = await conn.invoke(
    new Api.messages.GetMessages({ id: txs.map((t) => new Api.InputMessageID({ id: t.msgId! })) }),
    { signal },
  );
  const messages = 'messages' in answer ? answer.messages : [];
  for (const m of messages) {
    if (!(m instanceof Api.MessageService) || !(m.action instanceof Api.MessageActionPaymentSent)) continue;
    if (m.action.invoiceSlug !== slug || m.action.currency !== 'XTR') continue;
    const tx = txs.find((t) => t.msgId === m.id);
    if (!tx) continue;
    const stars = tx.stars instanceof Api.StarsAmount ? BigInt(tx.stars.amount.toString()) : 0n;
    return { transactionId: tx.id, msgId: m.id, amount: stars < 0n ? -stars : stars };
  }
  return null;
}

/** The service message id of the payment of `slug` in a sendStarsForm answer, when Telegram included it. */
export function paymentMessageId(result: Api.payments.PaymentResult, slug: string): number | null {
  const updates = result.updates instanceof Api.Updates || result.updates instanceof Api.UpdatesCombined ? result.updates.updates : [];
  for (const u of updates) {
    if (!(u instanceof Api.UpdateNewMessage)) continue;
    const m = u.message;
    if (m instanceof Api.MessageService && m.action instanceof Api.MessageActionPaymentSent && m.action.invoiceSlug === slug) return m.id;
  }
  return null;
}
