/** One Stars payment attempt: what each answer of sendStarsForm proves (pure), and sending, waiting out flood waits,
 *  looking up and settling against the simulated Telegram alone over real sockets (faults injected by the server:
 *  flood waits, refusals, hang-ups, late answers). */
import bigInt from 'big-integer';
import pino from 'pino';
import { Api } from 'telegram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoreOrder } from '../../../../core/plugins/payment.js';
import { interpretSend, lookUp, sendForm, StarsAttempt, type SendOutcome, type StarsPayload } from '../../../../plugins/stars/stars-attempt.js';
import type { TelegramConnection } from '../../../../plugins/stars/telegram-connection.js';
import { TelegramAborted, TelegramFloodWait, TelegramRpcFailed, TelegramUnavailable } from '../../../../plugins/stars/telegram-error.js';
import { telegramOnSim, type TelegramOnSim } from './telegram-on-sim.js';

const SEND = 'payments.SendStarsForm';
const PAYLOAD: StarsPayload = { slug: 'the-slug', formId: '123456789012345678', account: 'bob', botId: '7000001', preparedAt: 1_700_000_000_000 };

const refusal = (errorMessage: string): TelegramRpcFailed => new TelegramRpcFailed({ method: SEND, errorCode: 400, errorMessage });
const floodWait = (seconds: number): TelegramFloodWait => new TelegramFloodWait({ method: SEND, seconds });

/** A sendStarsForm answer carrying the payment's service message for `slug`. */
function paymentResult(slug: string, msgId: number): Api.payments.PaymentResult {
  const message = new Api.MessageService({
    id: msgId, peerId: new Api.PeerUser({ userId: bigInt(7_000_001) }), date: 0,
    action: new Api.MessageActionPaymentSent({ currency: 'XTR', totalAmount: bigInt(250), invoiceSlug: slug }),
  });
  return new Api.payments.PaymentResult({
    updates: new Api.Updates({ updates: [new Api.UpdateNewMessage({ message, pts: 1, ptsCount: 1 })], users: [], chats: [], date: 0, seq: 0 }),
  });
}

describe('what an answer of sendStarsForm proves', () => {
  const proves = (outcome: SendOutcome) => interpretSend(outcome, PAYLOAD);

  it('paid, named by the payment message when the answer carries it, by the form otherwise, with no fee', () => {
    expect(proves({ result: paymentResult('the-slug', 42), reconnected: false })).toEqual({ outcome: 'paid', txHash: 'stars:msg:42', fee: 0n });
    expect(proves({ result: paymentResult('another-slug', 42), reconnected: true })).toEqual({ outcome: 'paid', txHash: 'stars:form:123456789012345678', fee: 0n });
  });

  it('finally not paid when Telegram wants the payment verified in an app', () => {
    expect(proves({ result: new Api.payments.PaymentVerificationNeeded({ url: 'https://verify.invalid/' }), reconnected: false })).toEqual({
      outcome: 'not-paid', final: true,
      reason: 'Telegram asks to verify this Stars payment in a Telegram app (payments.paymentVerificationNeeded); pay once by hand in the app, then run again',
    });
  });

  it.each(['BALANCE_TOO_LOW', 'STARS_FORM_AMOUNT_MISMATCH', 'CURRENCY_INVALID', 'BOT_INVOICE_INVALID', 'SLUG_INVALID', 'INVOICE_INVALID', 'PAYMENT_UNSUPPORTED', 'FORM_UNSUPPORTED'])(
    'not paid when Telegram refuses with %s on a connection that never dropped, but looked up after a reconnect',
    (message) => {
      expect(proves({ error: refusal(message), reconnected: false })).toEqual({ outcome: 'not-paid', reason: `Telegram refused the payment: ${message}` });
      expect(proves({ error: refusal(message), reconnected: true })).toEqual({
        outcome: 'look-up', reason: `Telegram answered ${message} after a reconnect (the request may have gone twice)`,
      });
    },
  );

  it('looked up when Telegram answers that the form is used, since the first transmission may have paid', () => {
    expect(proves({ error: refusal('FORM_ID_EXPIRED'), reconnected: false })).toEqual({ outcome: 'look-up', reason: 'Telegram answered FORM_ID_EXPIRED' });
  });

  it('not paid on a flood wait without a reconnect, looked up after one', () => {
    expect(proves({ error: floodWait(7), reconnected: false })).toEqual({ outcome: 'not-paid', reason: 'Telegram asked to wait 7 s before paying' });
    expect(proves({ error: floodWait(7), reconnected: true })).toEqual({
      outcome: 'look-up', reason: `${floodWait(7).message} after a reconnect (the request may have gone twice)`,
    });
  });

  it('not paid when the call never left the process, looked up when it may have been carried out or went twice', () => {
    for (const notSent of [new TelegramUnavailable('closed', false, { method: SEND }), new TelegramAborted(false, { method: SEND })]) {
      expect(proves({ error: notSent, reconnected: false })).toEqual({ outcome: 'not-paid', reason: notSent.message });
      expect(proves({ error: notSent, reconnected: true })).toEqual({ outcome: 'look-up', reason: `${notSent.message} after a reconnect (the request may have gone twice)` });
    }
    for (const maybeSent of [new TelegramUnavailable('timeout', true, { method: SEND, timeoutMs: 5 }), new TelegramAborted(true, { method: SEND })]) {
      expect(proves({ error: maybeSent, reconnected: false })).toEqual({ outcome: 'look-up', reason: maybeSent.message });
    }
  });

  it('looked up on any other failure, named by its message when it has one', () => {
    expect(proves({ error: new RangeError('socket said no'), reconnected: false })).toEqual({ outcome: 'look-up', reason: 'socket said no' });
    expect(proves({ error: 'not an error', reconnected: false })).toEqual({ outcome: 'look-up', reason: 'send failed' });
  });
});

describe('a Stars payment on the simulated Telegram', () => {
  let tg: TelegramOnSim;
  let controller: AbortController;
  const sends = (): number => tg.telegram.stats().requests[SEND] ?? 0;
  const takenFor = (slug: string): number => tg.telegram.payments().filter((p) => p.slug === slug).length;

  beforeAll(async () => {
    tg = await telegramOnSim();
  });
  afterAll(async () => {
    await tg?.close();
  });
  afterEach(() => controller?.abort());

  /** A payload for a fresh invoice with its form, as the steps prepare it. */
  const payloadFor = async (amount = 250n): Promise<StarsPayload> => {
    const slug = tg.invoice(amount);
    const form = await tg.form(slug);
    return { slug, formId: form.formId.toString(), account: 'bob', botId: tg.bot.userId.toString(), preparedAt: Date.now() };
  };

  const orderOf = (payload: StarsPayload): StoreOrder => ({ orderId: payload.slug, count: 1, currency: 'XTR', amount: 250n, destination: payload.slug, expiresAt: null });

  /** An attempt with hooks that count what they are told. */
  const attemptFor = (payload: StarsPayload, maxFloodWaitSec = 1) => {
    const told = { ends: 0, verification: [] as string[] };
    const attempt = new StarsAttempt(tg.conn, tg.bot, orderOf(payload), payload, pino({ level: 'silent' }), maxFloodWaitSec, {
      onEnd: () => told.ends++,
      onVerificationNeeded: (reason) => told.verification.push(reason),
    });
    return { attempt, told };
  };

  describe('sending the form', () => {
    it('waits out a flood wait as long as the longest allowed and sends once more, which pays', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const before = sends();
      tg.telegram.injectFloodWait(SEND, 1);
      const sent = await sendForm(tg.conn, payload, controller.signal, 1);
      expect(sent.error).toBeUndefined();
      expect(sent.result).toBeInstanceOf(Api.payments.PaymentResult);
      expect(sent.reconnected).toBe(false);
      expect(sends()).toBe(before + 2);
      expect(takenFor(payload.slug)).toBe(1);
    });

    it('does not wait out a flood wait longer than allowed: its answer is the flood wait, sent once', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const before = sends();
      tg.telegram.injectFloodWait(SEND, 2);
      const sent = await sendForm(tg.conn, payload, controller.signal, 1);
      expect(sent.error).toBeInstanceOf(TelegramFloodWait);
      expect((sent.error as TelegramFloodWait).seconds).toBe(2);
      expect(sends()).toBe(before + 1);
      expect(takenFor(payload.slug)).toBe(0);
    });

    it('does not send again after a flood wait that answered a repeat after a reconnect', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const before = sends();
      tg.telegram.injectDisconnect(SEND, { afterWork: false });
      tg.telegram.injectFloodWait(SEND, 1);
      const sent = await sendForm(tg.conn, payload, controller.signal, 60);
      expect(sent.error).toBeInstanceOf(TelegramFloodWait);
      expect(sent.reconnected).toBe(true);
      // The transmission hung up on and GramJS's repeat: no third.
      expect(sends()).toBe(before + 2);
      expect(takenFor(payload.slug)).toBe(0);
    });

    it('says the transport reconnected when the send after a flood wait went through a reconnect', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      tg.telegram.injectFloodWait(SEND, 1);
      tg.telegram.injectDisconnect(SEND, { afterWork: false });
      const sent = await sendForm(tg.conn, payload, controller.signal, 1);
      expect(sent.result).toBeInstanceOf(Api.payments.PaymentResult);
      expect(sent.reconnected).toBe(true);
      expect(takenFor(payload.slug)).toBe(1);
    });

    it('sends nothing when the caller has already given up', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const before = sends();
      controller.abort();
      const sent = await sendForm(tg.conn, payload, controller.signal, 60);
      expect(sent.error).toBeInstanceOf(TelegramAborted);
      expect((sent.error as TelegramAborted).maybeApplied).toBe(false);
      expect(sends()).toBe(before);
      expect(takenFor(payload.slug)).toBe(0);
    });

    it('answers a second flood wait rather than waiting it out too', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const before = sends();
      tg.telegram.injectFloodWait(SEND, 1, 2);
      const sent = await sendForm(tg.conn, payload, controller.signal, 1);
      expect(sent.error).toBeInstanceOf(TelegramFloodWait);
      expect(sends()).toBe(before + 2);
      expect(takenFor(payload.slug)).toBe(0);
    });

    it('stops waiting out a flood wait when the caller gives up, answering the flood wait and sending nothing more', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const before = sends();
      tg.telegram.injectFloodWait(SEND, 30);
      // The caller gives up a moment after the flood wait came back: while the send is waiting it out.
      const watched = Object.create(tg.conn) as TelegramConnection;
      Object.defineProperty(watched, 'invokeWatched', {
        value: async (...args: Parameters<TelegramConnection['invokeWatched']>) => {
          const answer = await tg.conn.invokeWatched(...args);
          setTimeout(() => controller.abort(), 100);
          return answer;
        },
      });
      const sent = await sendForm(watched, payload, controller.signal, 60);
      expect(sent.error).toBeInstanceOf(TelegramFloodWait);
      expect(sends()).toBe(before + 1);
      expect(takenFor(payload.slug)).toBe(0);
    });
  });

  describe('looking a payment up', () => {
    const absent = { outcome: 'unknown', reason: 'absent' } as const;

    it('settles as paid, named by the payment message, an invoice found paid', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const msgId = await tg.pay(payload.slug);
      expect(await lookUp(tg.conn, tg.bot, payload, 'why', absent, controller.signal)).toEqual({ outcome: 'paid', txHash: `stars:msg:${msgId}`, fee: 0n });
    });

    it('answers what it was told to when the invoice is not found', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      expect(await lookUp(tg.conn, tg.bot, payload, 'why', absent, controller.signal)).toBe(absent);
    });

    it('is unknown, saying why it looked and why it could not, when the look-up fails', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      tg.telegram.injectRpcError('messages.GetHistory', 500, 'HISTORY_GET_FAILED');
      const settled = await lookUp(tg.conn, tg.bot, payload, 'the answer was lost', absent, controller.signal);
      expect(settled.outcome).toBe('unknown');
      expect((settled as { reason: string }).reason).toMatch(/^the answer was lost; the payment could not be looked up: .*HISTORY_GET_FAILED/);
    });
  });

  describe('the attempt', () => {
    it('is keyed by the invoice and the form, and carries the payload the ledger keeps', async () => {
      const payload = await payloadFor();
      const { attempt } = attemptFor(payload);
      expect(attempt.idempotencyKey).toBe(`stars:${payload.slug}:${payload.formId}`);
      expect(attempt.payload).toEqual(payload);
      expect(attempt.order.orderId).toBe(payload.slug);
    });

    it('is unknown when confirmed before anything was sent', async () => {
      controller = new AbortController();
      const { attempt } = attemptFor(await payloadFor());
      expect(await attempt.confirm(controller.signal)).toEqual({ outcome: 'unknown', reason: 'the payment was not sent' });
    });

    it('pays once, named by the payment message, and tells no hook but the end', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const { attempt, told } = attemptFor(payload);
      await attempt.send(controller.signal);
      const settled = await attempt.confirm(controller.signal);
      const paid = tg.telegram.payments().find((p) => p.slug === payload.slug);
      expect(settled).toEqual({ outcome: 'paid', txHash: `stars:msg:${paid?.msgId}`, fee: 0n });
      expect(told.verification).toEqual([]);
      attempt.dispose();
      attempt.dispose();
      expect(told.ends).toBe(1);
    });

    it('throws the refusal from send, and confirms it as not paid without blocking the account', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const { attempt, told } = attemptFor(payload);
      tg.telegram.injectRpcError(SEND, 400, 'BALANCE_TOO_LOW');
      const failure = await attempt.send(controller.signal).then(() => null, (e: unknown) => e);
      expect(failure).toBeInstanceOf(TelegramRpcFailed);
      expect(await attempt.confirm(controller.signal)).toEqual({ outcome: 'not-paid', reason: 'Telegram refused the payment: BALANCE_TOO_LOW' });
      expect(told.verification).toEqual([]);
      expect(takenFor(payload.slug)).toBe(0);
    });

    it('looks up a payment Telegram answered as a used form, and keeps it unknown when not found yet', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const { attempt } = attemptFor(payload);
      tg.telegram.injectRpcError(SEND, 400, 'FORM_ID_EXPIRED');
      await attempt.send(controller.signal).catch(() => undefined);
      expect(await attempt.confirm(controller.signal)).toEqual({
        outcome: 'unknown', reason: `Telegram answered FORM_ID_EXPIRED; no payment of invoice ${payload.slug} found yet`,
      });
    });

    it('finds paid, by the look-up, a payment whose answer was lost after Telegram took the stars', async () => {
      controller = new AbortController();
      const payload = await payloadFor();
      const { attempt } = attemptFor(payload);
      tg.telegram.injectDisconnect(SEND, { afterWork: true });
      await attempt.send(controller.signal).catch(() => undefined);
      const settled = await attempt.confirm(controller.signal);
      const paid = tg.telegram.payments().filter((p) => p.slug === payload.slug);
      expect(paid).toHaveLength(1);
      expect(settled).toEqual({ outcome: 'paid', txHash: `stars:msg:${paid[0]?.msgId}`, fee: 0n });
    });
  });
});

describe('a Stars payment Telegram wants verified in an app', () => {
  let tg: TelegramOnSim;

  beforeAll(async () => {
    tg = await telegramOnSim({ requireVerification: true });
  });
  afterAll(async () => {
    await tg?.close();
  });

  it('is finally not paid, and blocks the account with the reason, once', async () => {
    const controller = new AbortController();
    const slug = tg.invoice();
    const form = await tg.form(slug);
    const payload: StarsPayload = { slug, formId: form.formId.toString(), account: 'bob', botId: tg.bot.userId.toString(), preparedAt: Date.now() };
    const verification: string[] = [];
    const attempt = new StarsAttempt(tg.conn, tg.bot, { orderId: slug, count: 1, currency: 'XTR', amount: 250n, destination: slug, expiresAt: null }, payload,
      pino({ level: 'silent' }), 1, { onEnd: () => undefined, onVerificationNeeded: (reason) => verification.push(reason) });
    await attempt.send(controller.signal);
    const settled = await attempt.confirm(controller.signal);
    expect(settled).toMatchObject({ outcome: 'not-paid', final: true });
    expect(verification).toEqual([(settled as { reason: string }).reason]);
    expect(tg.telegram.payments()).toEqual([]);
  });
});
