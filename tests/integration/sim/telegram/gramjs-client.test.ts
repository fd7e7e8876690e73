/** The simulated Telegram through the unchanged GramJS client over real sockets: login with code and 2FA, issued
 *  sessions, the store bot's web view, Stars payments and their history, and injected faults. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bigInt from 'big-integer';
import { Api, TelegramClient } from 'telegram';
import { StringSession } from 'telegram/sessions/index.js';
import { PromisedNetSockets } from 'telegram/extensions/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { FloodWaitError, RPCError } from 'telegram/errors/index.js';
import { rsaPublicKeyFromPem, trustServerKey } from '../../../../plugins/stars/server-key.js';
import { checkWebAppData } from '../../../../sim/web-app-data.js';
import { startTelegram, type SimTelegram, type StoreBotSpec, type TelegramUserSpec } from '../../../../sim/telegram/index.js';
import { MemoryInvoiceDesk, starsInvoice } from '../../../unit/sim/telegram/memory-invoice-desk.js';

const ALICE: TelegramUserSpec = { userId: 2001, phone: '+1 555 2001', firstName: 'Alice', username: 'alice', stars: 1000n };
const BOB: TelegramUserSpec = { userId: 2002, phone: '+1 555 2002', firstName: 'Bob', password: 'correct horse', stars: 500n };
const CAROL: TelegramUserSpec = { userId: 2003, phone: '+1 555 2003', firstName: 'Carol', stars: 800n, requireVerification: true };
const BOT: StoreBotSpec = { userId: 7001, username: 'sticker_bot', token: '7001:integration-bot-token', webAppUrls: ['https://stickerdom.store/'] };

describe('simulated Telegram with the GramJS client', () => {
  let tg: SimTelegram;
  const desk = new MemoryInvoiceDesk();
  const clients: TelegramClient[] = [];

  /** A GramJS client whose socket dials the simulated server; `session` empty for a fresh login. */
  function client(session = ''): TelegramClient {
    const port = tg.port;
    const host = tg.host;
    class LocalSockets extends PromisedNetSockets {
      override connect(_port: number, _ip: string): Promise<unknown> {
        return super.connect(port, host);
      }
    }
    const stringSession = new StringSession(session);
    if (!session) stringSession.setDC(tg.dcId, host, 443);
    const c = new TelegramClient(stringSession, 1, 'hash', {
      networkSocket: LocalSockets,
      connectionRetries: 1,
      floodSleepThreshold: 0,
      baseLogger: new Logger(LogLevel.NONE),
    });
    clients.push(c);
    return c;
  }

  /** A connected client logged in as `userId` through an issued session. */
  async function loggedIn(userId: number): Promise<TelegramClient> {
    const c = client(tg.issueSession(userId));
    await c.connect();
    return c;
  }

  async function resolveBot(c: TelegramClient): Promise<Api.InputUser> {
    const resolved = await c.invoke(new Api.contacts.ResolveUsername({ username: BOT.username }));
    const bot = resolved.users[0] as Api.User;
    return new Api.InputUser({ userId: bot.id, accessHash: bot.accessHash! });
  }

  function botPeer(bot: Api.InputUser): Api.InputPeerUser {
    return new Api.InputPeerUser({ userId: bot.userId, accessHash: bot.accessHash });
  }

  async function rpcError(work: Promise<unknown>): Promise<RPCError> {
    const e = await work.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(RPCError);
    return e as RPCError;
  }

  /** Issues invoice `slug` and pays it as `c`; answers SendStarsForm's result. */
  async function pay(c: TelegramClient, slug: string, amount: bigint, buyer: number) {
    desk.add(starsInvoice(slug, buyer, amount));
    const invoice = new Api.InputInvoiceSlug({ slug });
    const form = (await c.invoke(new Api.payments.GetPaymentForm({ invoice }))) as Api.payments.PaymentFormStars;
    expect(form).toBeInstanceOf(Api.payments.PaymentFormStars);
    return { form, result: await c.invoke(new Api.payments.SendStarsForm({ formId: form.formId, invoice })) };
  }

  beforeAll(async () => {
    tg = await startTelegram({ users: [ALICE, BOB, CAROL], storeBot: BOT, invoices: desk });
    trustServerKey(rsaPublicKeyFromPem(tg.publicKeyPem));
  });

  afterAll(async () => {
    for (const c of clients) await c.destroy().catch(() => undefined);
    await tg?.close();
  });

  it('logs in with the sent code and the 2FA password, and the saved session stays logged in', async () => {
    const c = client();
    const passwordHints: (string | undefined)[] = [];
    await c.start({
      phoneNumber: BOB.phone.replace(/\s/g, ''),
      phoneCode: async () => tg.codesSentTo(BOB.phone).at(-1)!,
      password: async (hint) => {
        passwordHints.push(hint);
        return BOB.password!;
      },
      onError: async () => true,
    });
    expect(passwordHints).toHaveLength(1);
    const me = await c.getMe();
    expect(me.id.toString()).toBe(String(BOB.userId));
    const saved = (c.session as StringSession).save();
    await c.disconnect();

    const again = client(saved);
    await again.connect();
    expect(await again.checkAuthorization()).toBe(true);
  });

  it('refuses a wrong 2FA password', async () => {
    const c = client();
    const errors: string[] = [];
    const started = c.start({
      phoneNumber: BOB.phone.replace(/\s/g, ''),
      phoneCode: async () => tg.codesSentTo(BOB.phone).at(-1)!,
      password: async () => 'wrong horse',
      onError: async (e) => {
        errors.push((e as RPCError).errorMessage ?? e.message);
        return true;
      },
    });
    await expect(started).rejects.toThrow('AUTH_USER_CANCEL');
    expect(errors).toEqual(['PASSWORD_HASH_INVALID']);
    expect(await c.checkAuthorization()).toBe(false);
  });

  it('connects with an issued session as its user, without a handshake', async () => {
    const handshakes = tg.stats().transport.handshakesCompleted;
    const c = await loggedIn(ALICE.userId);
    const me = await c.getMe();
    expect(tg.stats().transport.handshakesCompleted).toBe(handshakes);
    expect(me.id.toString()).toBe(String(ALICE.userId));
    expect(me.username).toBe('alice');
  });

  it('opens the store web view with initData the store can verify', async () => {
    const c = await loggedIn(ALICE.userId);
    const bot = await resolveBot(c);
    const view = await c.invoke(
      new Api.messages.RequestWebView({ peer: botPeer(bot), bot, url: BOT.webAppUrls[0], platform: 'android' }),
    );
    expect(view).toBeInstanceOf(Api.WebViewResultUrl);
    const initData = new URLSearchParams(new URL((view as Api.WebViewResultUrl).url).hash.slice(1)).get('tgWebAppData')!;
    expect(checkWebAppData(BOT.token, initData, Math.floor(Date.now() / 1000), 300)).toMatchObject({ ok: true, user: { id: ALICE.userId } });
  });

  it('pays a Stars invoice once: the second send answers FORM_ID_EXPIRED', async () => {
    const c = await loggedIn(ALICE.userId);
    const before = tg.starsOf(ALICE.userId);
    const { form, result } = await pay(c, 'gram-1', 120n, ALICE.userId);
    expect(result).toBeInstanceOf(Api.payments.PaymentResult);
    expect(tg.starsOf(ALICE.userId)).toBe(before - 120n);
    expect(tg.payments().filter((p) => p.slug === 'gram-1')).toEqual([expect.objectContaining({ userId: ALICE.userId, amount: 120n, formId: form.formId.toString() })]);

    const again = await rpcError(c.invoke(new Api.payments.SendStarsForm({ formId: form.formId, invoice: new Api.InputInvoiceSlug({ slug: 'gram-1' }) })));
    expect(again).toMatchObject({ code: 400, errorMessage: 'FORM_ID_EXPIRED' });
    expect(tg.starsOf(ALICE.userId)).toBe(before - 120n);
  });

  it('finds the payment in the Stars transactions and its service message in the bot chat', async () => {
    const c = await loggedIn(ALICE.userId);
    await pay(c, 'gram-2', 30n, ALICE.userId);
    const record = tg.payments().find((p) => p.slug === 'gram-2')!;
    const history = await c.invoke(new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), offset: '', limit: 10 }));
    const transaction = history.history?.find((t) => t.id === record.chargeId);
    expect((transaction?.stars as Api.StarsAmount).amount.toString()).toBe('-30');

    const byId = await c.invoke(new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: record.msgId })] }));
    const message = (byId as Api.messages.Messages).messages[0] as Api.MessageService;
    expect((message.action as Api.MessageActionPaymentSent).invoiceSlug).toBe('gram-2');

    const bot = await resolveBot(c);
    const chat = await c.invoke(
      new Api.messages.GetHistory({ peer: botPeer(bot), offsetId: 0, offsetDate: 0, addOffset: 0, limit: 10, maxId: 0, minId: 0, hash: bigInt(0) }),
    );
    const slugs = (chat as Api.messages.Messages).messages.map((m) => ((m as Api.MessageService).action as Api.MessageActionPaymentSent).invoiceSlug);
    expect(slugs[0]).toBe('gram-2');
  });

  it('answers BALANCE_TOO_LOW and takes nothing', async () => {
    const c = await loggedIn(BOB.userId);
    const before = tg.starsOf(BOB.userId);
    const e = await rpcError(pay(c, 'gram-big', before + 1n, BOB.userId));
    expect(e).toMatchObject({ code: 400, errorMessage: 'BALANCE_TOO_LOW' });
    expect(tg.starsOf(BOB.userId)).toBe(before);
  });

  it('asks a user who must verify to verify, and takes nothing', async () => {
    const c = await loggedIn(CAROL.userId);
    const { result } = await pay(c, 'gram-verify', 10n, CAROL.userId);
    expect(result).toBeInstanceOf(Api.payments.PaymentVerificationNeeded);
    expect(tg.starsOf(CAROL.userId)).toBe(800n);
  });

  it('surfaces an injected flood wait as FloodWaitError', async () => {
    const c = await loggedIn(ALICE.userId);
    tg.injectFloodWait('payments.GetStarsStatus', 7);
    const e = await c.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(FloodWaitError);
    expect((e as FloodWaitError).seconds).toBe(7);
    const status = await c.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }));
    expect(status).toBeInstanceOf(Api.payments.StarsStatus);
  });

  it('takes a payment whose answer was lost to a disconnect; the client’s resend answers FORM_ID_EXPIRED', async () => {
    const c = await loggedIn(ALICE.userId);
    const before = tg.starsOf(ALICE.userId);
    tg.injectDisconnect('payments.SendStarsForm', { afterWork: true });
    const e = await rpcError(pay(c, 'gram-lost', 40n, ALICE.userId));
    expect(e.errorMessage).toBe('FORM_ID_EXPIRED');
    expect(tg.starsOf(ALICE.userId)).toBe(before - 40n);
    expect(tg.payments().filter((p) => p.slug === 'gram-lost')).toHaveLength(1);
  });

  it('pays once when the connection closes before the work: the client’s resend goes through', async () => {
    const c = await loggedIn(ALICE.userId);
    const before = tg.starsOf(ALICE.userId);
    tg.injectDisconnect('payments.SendStarsForm');
    const { result } = await pay(c, 'gram-early', 15n, ALICE.userId);
    expect(result).toBeInstanceOf(Api.payments.PaymentResult);
    expect(tg.starsOf(ALICE.userId)).toBe(before - 15n);
    expect(tg.stats().faults.disconnects).toBeGreaterThanOrEqual(1);
  });

  it('keeps two users paying at the same time apart', async () => {
    const [a, b] = await Promise.all([loggedIn(ALICE.userId), loggedIn(BOB.userId)]);
    tg.setStars(ALICE.userId, 100n);
    tg.setStars(BOB.userId, 100n);
    await Promise.all([pay(a, 'gram-a', 60n, ALICE.userId), pay(b, 'gram-b', 70n, BOB.userId)]);
    expect(tg.starsOf(ALICE.userId)).toBe(40n);
    expect(tg.starsOf(BOB.userId)).toBe(30n);
  });

  it('forgets the login on auth.logOut', async () => {
    const c = await loggedIn(CAROL.userId);
    await c.invoke(new Api.auth.LogOut());
    expect(await c.checkAuthorization()).toBe(false);
  });
});
