/** Finding a Stars payment after the fact, keyed by our own id — the invoice slug — never by a time window. Paying an
 *  invoice by slug leaves a service message in the chat with the store's bot, `messageActionPaymentSent`, that names
 *  the slug: the bot chat is searched first. The Stars transaction history is searched too, through the message a
 *  transaction names when it names one. Both searches together are bounded in time. */
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { withDeadline } from '../../core/time/deadline.js';
import type { ResolvedBot, TelegramConnection } from './telegram-connection.js';

/** Messages of the bot chat read back, newest first: a run pays far fewer invoices than this. */
const CHAT_PAGE = 100;
const CHAT_PAGES = 5;
/** Stars transactions read back. */
const HISTORY_PAGE = 50;
const HISTORY_PAGES = 4;
/** Longest one look-up may take, whatever Telegram does meanwhile (a payer waiting on it holds a STOP back). */
export const LOOK_UP_TIMEOUT_MS = 30_000;

/** A payment found. */
export interface FoundPayment {
  /** The service message of the payment in the bot chat. */
  readonly msgId: number;
  /** Stars taken, as the message says. */
  readonly amount: bigint;
}

/** The Stars payment of the invoice `slug`, or null when neither the bot chat nor the Stars history shows one. Both
 *  searches together end within `timeoutMs` (LOOK_UP_TIMEOUT_MS unless a test asks for less). */
export async function findStarsPayment(
  conn: TelegramConnection, bot: ResolvedBot, slug: string, signal?: AbortSignal, timeoutMs = LOOK_UP_TIMEOUT_MS,
): Promise<FoundPayment | null> {
  return withDeadline(timeoutMs, async (bounded) => (await inBotChat(conn, bot, slug, bounded)) ?? (await inStarsHistory(conn, slug, bounded)), { signal });
}

async function inBotChat(conn: TelegramConnection, bot: ResolvedBot, slug: string, signal: AbortSignal): Promise<FoundPayment | null> {
  let offsetId = 0;
  for (let page = 0; page < CHAT_PAGES; page++) {
    const answer = await conn.invoke(
      new Api.messages.GetHistory({ peer: bot.inputPeer, offsetId, limit: CHAT_PAGE, addOffset: 0, maxId: 0, minId: 0, offsetDate: 0, hash: bigInt(0) }),
      { signal },
    );
    const messages = 'messages' in answer ? answer.messages : [];
    const found = paymentIn(messages, slug);
    if (found) return found;
    if (messages.length < CHAT_PAGE) return null;
    offsetId = messages[messages.length - 1]!.id;
  }
  return null;
}

async function inStarsHistory(conn: TelegramConnection, slug: string, signal: AbortSignal): Promise<FoundPayment | null> {
  let offset = '';
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const status = await conn.invoke(
      new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), outbound: true, offset, limit: HISTORY_PAGE }),
      { signal },
    );
    // GramJS reads a field left out of the answer as null, not undefined (Telegram leaves msg_id out for bot
    // invoices): asking for message null fails the whole look-up.
    const ids = (status.history ?? []).flatMap((t) => (typeof t.msgId === 'number' ? [t.msgId] : []));
    if (ids.length > 0) {
      const answer = await conn.invoke(new Api.messages.GetMessages({ id: ids.map((id) => new Api.InputMessageID({ id })) }), { signal });
      const found = paymentIn('messages' in answer ? answer.messages : [], slug);
      if (found) return found;
    }
    if (!status.nextOffset || (status.history ?? []).length === 0) return null;
    offset = status.nextOffset;
  }
  return null;
}

function paymentIn(messages: readonly Api.TypeMessage[], slug: string): FoundPayment | null {
  for (const m of messages) {
    if (m instanceof Api.MessageService && m.action instanceof Api.MessageActionPaymentSent && m.action.invoiceSlug === slug && m.action.currency === 'XTR') {
      return { msgId: m.id, amount: BigInt(m.action.totalAmount.toString()) };
    }
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
