/** Finding a Stars payment by its invoice slug: in the chat with the store's bot over real sockets (the simulated
 *  Telegram alone, paid through real forms), through the message a Stars transaction names (an answer the simulation
 *  cannot give: like Telegram for bot invoices, it leaves msg_id out, so a scripted connection answers those), and
 *  within bounded pages and time. */
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStarsPayment, paymentMessageId } from '../../../../plugins/stars/stars-history.js';
import type { ResolvedBot, TelegramConnection } from '../../../../plugins/stars/telegram-connection.js';
import { TelegramAborted } from '../../../../plugins/stars/telegram-error.js';
import { BOT_USERNAME, telegramOnSim, type TelegramOnSim } from './telegram-on-sim.js';

const BOT_ID = 7_000_001;

/** A service message "paid `amount` `currency` for invoice `slug`". */
function paymentSent(id: number, slug: string, amount = 250n, currency = 'XTR'): Api.MessageService {
  return new Api.MessageService({
    id, peerId: new Api.PeerUser({ userId: bigInt(BOT_ID) }), date: 1_700_000_000, out: true,
    action: new Api.MessageActionPaymentSent({ currency, totalAmount: bigInt(amount.toString()), invoiceSlug: slug }),
  });
}

function transaction(id: string, msgId?: number): Api.StarsTransaction {
  return new Api.StarsTransaction({
    id, stars: new Api.StarsAmount({ amount: bigInt(-250), nanos: 0 }), date: 1_700_000_000,
    peer: new Api.StarsTransactionPeer({ peer: new Api.PeerUser({ userId: bigInt(BOT_ID) }) }),
    ...(msgId === undefined ? {} : { msgId }),
  });
}

const starsPage = (history: Api.StarsTransaction[], nextOffset?: string): Api.payments.StarsStatus =>
  new Api.payments.StarsStatus({
    balance: new Api.StarsAmount({ amount: bigInt(1000), nanos: 0 }), history, chats: [], users: [], ...(nextOffset === undefined ? {} : { nextOffset }),
  });

/** A connection that answers from a script: Telegram answers the simulation never gives. Records every request. */
function scripted(answer: (request: Api.AnyRequest) => unknown): { conn: TelegramConnection; requests: Api.AnyRequest[] } {
  const requests: Api.AnyRequest[] = [];
  const conn = {
    invoke: async (request: Api.AnyRequest) => {
      requests.push(request);
      return answer(request);
    },
  } as unknown as TelegramConnection;
  return { conn, requests };
}

const SCRIPTED_BOT = {
  userId: BigInt(BOT_ID), username: BOT_USERNAME,
  inputUser: new Api.InputUser({ userId: bigInt(BOT_ID), accessHash: bigInt(1) }),
  inputPeer: new Api.InputPeerUser({ userId: bigInt(BOT_ID), accessHash: bigInt(1) }),
} satisfies ResolvedBot;

const emptyChat = new Api.messages.Messages({ messages: [], chats: [], users: [] });

describe('finding a Stars payment in the chat with the store bot', () => {
  let tg: TelegramOnSim;
  const requests = (method: string): number => tg.telegram.stats().requests[method] ?? 0;

  beforeAll(async () => {
    tg = await telegramOnSim();
  });
  afterAll(async () => {
    await tg?.close();
  });

  it('finds each paid invoice by its own slug, with its service message and the stars taken', async () => {
    const first = tg.invoice(250n);
    const second = tg.invoice(300n);
    const firstMsg = await tg.pay(first);
    const secondMsg = await tg.pay(second);
    expect(firstMsg).not.toBe(secondMsg);
    expect(await findStarsPayment(tg.conn, tg.bot, first)).toEqual({ msgId: firstMsg, amount: 250n });
    expect(await findStarsPayment(tg.conn, tg.bot, second)).toEqual({ msgId: secondMsg, amount: 300n });
  });

  it('finds nothing, without failing, for an invoice never paid while earlier Stars payments name no message, reading the chat and the history once each', async () => {
    await tg.pay(tg.invoice());
    const unpaid = tg.invoice();
    const before = { chat: requests('messages.GetHistory'), history: requests('payments.GetStarsTransactions'), byId: requests('messages.GetMessages') };
    expect(await findStarsPayment(tg.conn, tg.bot, unpaid)).toBeNull();
    expect(requests('messages.GetHistory')).toBe(before.chat + 1);
    expect(requests('payments.GetStarsTransactions')).toBe(before.history + 1);
    // No transaction names a message (Telegram leaves msg_id out for bot invoices): none is fetched.
    expect(requests('messages.GetMessages')).toBe(before.byId);
  });

  it('gives up at its deadline while Telegram does not answer the chat, stopping that very call', async () => {
    tg.telegram.injectDelay('messages.GetHistory', 3_000);
    const failure = await findStarsPayment(tg.conn, tg.bot, tg.invoice(), undefined, 100).then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(TelegramAborted);
    expect((failure as TelegramAborted).details.method).toBe('messages.GetHistory');
  });

  it('gives up at its deadline while Telegram does not answer the Stars history', async () => {
    tg.telegram.injectDelay('payments.GetStarsTransactions', 3_000);
    await expect(findStarsPayment(tg.conn, tg.bot, tg.invoice(), undefined, 300)).rejects.toThrow(/stopped|deadline|time/i);
  });

  it('stops when the caller gives up while Telegram has not answered', async () => {
    tg.telegram.injectDelay('messages.GetHistory', 3_000);
    const caller = new AbortController();
    const asked = requests('messages.GetHistory');
    const lookUp = findStarsPayment(tg.conn, tg.bot, tg.invoice(), caller.signal);
    const failure = lookUp.then(() => null, (e: unknown) => e);
    while (requests('messages.GetHistory') === asked) await new Promise((resolve) => setTimeout(resolve, 10));
    caller.abort();
    expect(await failure).toBeInstanceOf(TelegramAborted);
    expect((await failure as TelegramAborted).details.method).toBe('messages.GetHistory');
  });
});

describe('a bot chat longer than one page', () => {
  let tg: TelegramOnSim;
  let oldest: string;
  let oldestMsg: number;
  const requests = (method: string): number => tg.telegram.stats().requests[method] ?? 0;

  beforeAll(async () => {
    tg = await telegramOnSim();
    oldest = tg.invoice(111n);
    oldestMsg = await tg.pay(oldest);
    // 105 payments: the first is on the chat's second page of 100 (newest first), the history's third page of 50.
    for (let i = 1; i < 105; i++) await tg.pay(tg.invoice());
  }, 120_000);
  afterAll(async () => {
    await tg?.close();
  });

  it('finds a payment on the second page of the bot chat', async () => {
    const before = requests('messages.GetHistory');
    expect(await findStarsPayment(tg.conn, tg.bot, oldest)).toEqual({ msgId: oldestMsg, amount: 111n });
    expect(requests('messages.GetHistory')).toBe(before + 2);
  });

  it('reads every page of the chat and of the Stars history before saying an invoice is not paid', async () => {
    const before = { chat: requests('messages.GetHistory'), history: requests('payments.GetStarsTransactions') };
    expect(await findStarsPayment(tg.conn, tg.bot, tg.invoice())).toBeNull();
    expect(requests('messages.GetHistory')).toBe(before.chat + 2);
    expect(requests('payments.GetStarsTransactions')).toBe(before.history + 3);
  });

  it('reads at most five pages of the bot chat', async () => {
    // 400 more payments, a few at a time (one connection carries them all).
    for (let i = 0; i < 40; i++) await Promise.all(Array.from({ length: 10 }, () => tg.pay(tg.invoice())));
    const before = requests('messages.GetHistory');
    expect(await findStarsPayment(tg.conn, tg.bot, oldest)).toBeNull();
    expect(requests('messages.GetHistory')).toBe(before + 5);
  }, 120_000);
});

describe('finding a Stars payment through the message a Stars transaction names', () => {
  const SLUG = 'paid-slug';

  it('finds the payment in the message named by a transaction on a later page, asking only for named messages', async () => {
    const { conn, requests } = scripted((request) => {
      if (request instanceof Api.messages.GetHistory) return emptyChat;
      if (request instanceof Api.payments.GetStarsTransactions) {
        return request.offset === '' ? starsPage([transaction('t1'), transaction('t2', 40)], 'next-1') : starsPage([transaction('t3', 41)]);
      }
      if (request instanceof Api.messages.GetMessages) {
        const ids = request.id.map((m) => (m as Api.InputMessageID).id);
        return new Api.messages.Messages({ messages: ids.map((id) => (id === 41 ? paymentSent(41, SLUG, 260n) : paymentSent(id, 'another-slug'))), chats: [], users: [] });
      }
      throw new Error(`unexpected ${request.className}`);
    });
    expect(await findStarsPayment(conn, SCRIPTED_BOT, SLUG)).toEqual({ msgId: 41, amount: 260n });
    const pages = requests.filter((r): r is Api.payments.GetStarsTransactions => r instanceof Api.payments.GetStarsTransactions);
    expect(pages.map((r) => r.offset)).toEqual(['', 'next-1']);
    expect(pages.every((r) => r.outbound === true && r.peer instanceof Api.InputPeerSelf)).toBe(true);
    const asked = requests.filter((r): r is Api.messages.GetMessages => r instanceof Api.messages.GetMessages);
    expect(asked.map((r) => r.id.map((m) => (m as Api.InputMessageID).id))).toEqual([[40], [41]]);
  });

  it('stops at a page without transactions even when it names a next offset', async () => {
    const { conn, requests } = scripted((request) => {
      if (request instanceof Api.messages.GetHistory) return emptyChat;
      if (request instanceof Api.payments.GetStarsTransactions) return starsPage([], 'more');
      throw new Error(`unexpected ${request.className}`);
    });
    expect(await findStarsPayment(conn, SCRIPTED_BOT, SLUG)).toBeNull();
    expect(requests.filter((r) => r instanceof Api.payments.GetStarsTransactions)).toHaveLength(1);
  });

  it('stops at a page with no history field at all', async () => {
    const { conn, requests } = scripted((request) => {
      if (request instanceof Api.messages.GetHistory) return emptyChat;
      if (request instanceof Api.payments.GetStarsTransactions) {
        return new Api.payments.StarsStatus({ balance: new Api.StarsAmount({ amount: bigInt(0), nanos: 0 }), chats: [], users: [], nextOffset: 'more' });
      }
      throw new Error(`unexpected ${request.className}`);
    });
    expect(await findStarsPayment(conn, SCRIPTED_BOT, SLUG)).toBeNull();
    expect(requests.filter((r) => r instanceof Api.payments.GetStarsTransactions)).toHaveLength(1);
  });

  it('reads at most four pages of the Stars history', async () => {
    let page = 0;
    const { conn, requests } = scripted((request) => {
      if (request instanceof Api.messages.GetHistory) return emptyChat;
      if (request instanceof Api.payments.GetStarsTransactions) return starsPage([transaction(`t${page}`)], `after-${++page}`);
      throw new Error(`unexpected ${request.className}`);
    });
    expect(await findStarsPayment(conn, SCRIPTED_BOT, SLUG)).toBeNull();
    expect(requests.filter((r) => r instanceof Api.payments.GetStarsTransactions)).toHaveLength(4);
  });

  it('gives up at its deadline while Telegram does not answer the messages transactions name', async () => {
    const empty = new Api.messages.Messages({ messages: [], chats: [], users: [] });
    const requests: Api.AnyRequest[] = [];
    const conn = {
      invoke: async (request: Api.AnyRequest, opts: { signal?: AbortSignal } = {}) => {
        requests.push(request);
        if (request instanceof Api.messages.GetHistory) return emptyChat;
        if (request instanceof Api.payments.GetStarsTransactions) return starsPage([transaction('t1', 5)]);
        // An answer late by far more than the deadline, unless the call is stopped by its signal.
        return new Promise((resolve, reject) => {
          const late = setTimeout(() => resolve(empty), 2_000);
          opts.signal?.addEventListener('abort', () => {
            clearTimeout(late);
            reject(new Error('stopped'));
          });
        });
      },
    } as unknown as TelegramConnection;
    await expect(findStarsPayment(conn, SCRIPTED_BOT, SLUG, undefined, 100)).rejects.toThrow('stopped');
    expect(requests.filter((r) => r instanceof Api.messages.GetMessages)).toHaveLength(1);
  });

  it('does not take a payment of the slug in another currency for a Stars payment', async () => {
    const { conn } = scripted((request) => {
      if (request instanceof Api.messages.GetHistory) return new Api.messages.Messages({ messages: [paymentSent(7, SLUG, 250n, 'USD')], chats: [], users: [] });
      if (request instanceof Api.payments.GetStarsTransactions) return starsPage([]);
      throw new Error(`unexpected ${request.className}`);
    });
    expect(await findStarsPayment(conn, SCRIPTED_BOT, SLUG)).toBeNull();
  });

  it('reads an answer without messages (messages not modified) as an empty chat', async () => {
    const { conn } = scripted((request) => {
      if (request instanceof Api.messages.GetHistory) return new Api.messages.MessagesNotModified({ count: 3 });
      if (request instanceof Api.payments.GetStarsTransactions) return starsPage([transaction('t1', 5)]);
      if (request instanceof Api.messages.GetMessages) return new Api.messages.MessagesNotModified({ count: 1 });
      throw new Error(`unexpected ${request.className}`);
    });
    expect(await findStarsPayment(conn, SCRIPTED_BOT, SLUG)).toBeNull();
  });
});

describe('the payment message in a sendStarsForm answer', () => {
  const SLUG = 'the-slug';
  const updates = (list: Api.TypeUpdate[]): Api.Updates => new Api.Updates({ updates: list, users: [], chats: [], date: 1_700_000_000, seq: 0 });
  const newMessage = (message: Api.TypeMessage): Api.UpdateNewMessage => new Api.UpdateNewMessage({ message, pts: 1, ptsCount: 1 });

  it('is the service message of the payment of this slug among the updates', () => {
    const answer = new Api.payments.PaymentResult({
      updates: updates([
        new Api.UpdateStarsBalance({ balance: new Api.StarsAmount({ amount: bigInt(1), nanos: 0 }) }),
        newMessage(paymentSent(3, 'another-slug')),
        newMessage(new Api.MessageService({ id: 4, peerId: new Api.PeerUser({ userId: bigInt(BOT_ID) }), date: 0, action: new Api.MessageActionEmpty() })),
        newMessage(new Api.Message({ id: 5, peerId: new Api.PeerUser({ userId: bigInt(BOT_ID) }), date: 0, message: SLUG })),
        newMessage(paymentSent(6, SLUG)),
      ]),
    });
    expect(paymentMessageId(answer, SLUG)).toBe(6);
  });

  it('is found in combined updates too', () => {
    const answer = new Api.payments.PaymentResult({
      updates: new Api.UpdatesCombined({ updates: [newMessage(paymentSent(9, SLUG))], users: [], chats: [], date: 0, seqStart: 0, seq: 0 }),
    });
    expect(paymentMessageId(answer, SLUG)).toBe(9);
  });

  it('is none when the payment message is not a new message of the chat, or the answer carries no update list', () => {
    expect(paymentMessageId(new Api.payments.PaymentResult({
      updates: updates([new Api.UpdateNewChannelMessage({ message: paymentSent(2, SLUG), pts: 1, ptsCount: 1 })]),
    }), SLUG)).toBeNull();
    expect(paymentMessageId(new Api.payments.PaymentResult({
      updates: new Api.UpdateShort({ update: newMessage(paymentSent(2, SLUG)), date: 0 }),
    }), SLUG)).toBeNull();
    expect(paymentMessageId(new Api.payments.PaymentResult({ updates: updates([newMessage(paymentSent(2, 'another-slug'))]) }), SLUG)).toBeNull();
  });
});
