/** The simulated Telegram through a second, independent MTProto client: mtcute, which speaks the current public
 *  layer (not GramJS's). It logs in with a code and 2FA, opens the store bot's web view and pays a Stars invoice over
 *  real sockets, so the simulator is known to serve a client it was not written against. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, TelegramClient } from '@mtcute/node';
import { NodeCryptoProvider } from '@mtcute/node/utils.js';
import { addPublicKey } from '@mtcute/core/utils.js';
import { checkWebAppData } from '../../../../sim/web-app-data.js';
import { startTelegram, type SimTelegram, type StoreBotSpec, type TelegramUserSpec } from '../../../../sim/telegram/index.js';
import { PUBLIC_LAYER } from '../../../../sim/telegram/layers/public-layer.js';
import { MemoryInvoiceDesk, starsInvoice } from '../../../unit/sim/telegram/memory-invoice-desk.js';

const DORA: TelegramUserSpec = { userId: 3001, phone: '+1 555 3001', firstName: 'Dora & Co +1 100% 🐱', username: 'dora', password: 'open sesame', stars: 900n };
const BOT: StoreBotSpec = { userId: 7002, username: 'sticker_bot', token: '7002:mtcute-bot-token', webAppUrls: ['https://stickerdom.store/'] };

describe('simulated Telegram with the mtcute client (current public layer)', () => {
  let tg: SimTelegram;
  const desk = new MemoryInvoiceDesk();
  let client: TelegramClient;

  beforeAll(async () => {
    tg = await startTelegram({ users: [DORA], storeBot: BOT, invoices: desk });
    client = new TelegramClient({
      apiId: 1,
      apiHash: 'hash',
      storage: new MemoryStorage(),
      defaultDcs: {
        main: { id: tg.dcId, ipAddress: tg.host, port: tg.port },
        media: { id: tg.dcId, ipAddress: tg.host, port: tg.port, mediaOnly: true },
      },
      logLevel: 0,
    });
    // mtcute trusts Telegram's keys only; the simulator's is given as Telegram publishes keys (PKCS#1 PEM).
    addPublicKey(new NodeCryptoProvider(), tg.publicKeyPkcs1);
  });

  afterAll(async () => {
    await client?.destroy();
    await tg?.close();
  });

  it('logs in with a code and the 2FA password in the client’s layer', async () => {
    const me = await client.start({
      phone: DORA.phone,
      code: () => Promise.resolve(tg.codesSentTo(DORA.phone).at(-1) ?? ''),
      password: () => Promise.resolve(DORA.password ?? ''),
      codeSentCallback: () => undefined,
    });
    expect(me.id).toBe(DORA.userId);
    expect(me.firstName).toBe(DORA.firstName);
    expect(tg.stats().requests['auth.CheckPassword']).toBe(1);
  });

  it('opens the store bot’s web view with signed initData', async () => {
    const bot = await client.resolvePeer(BOT.username);
    const result = await client.call({
      _: 'messages.requestWebView',
      peer: bot,
      bot: { _: 'inputUser', userId: BOT.userId, accessHash: 'accessHash' in bot ? bot.accessHash : undefined! },
      url: BOT.webAppUrls[0],
      platform: 'android',
    });
    expect(result._).toBe('webViewResultUrl');
    const initData = new URLSearchParams(new URL(result.url).hash.slice(1)).get('tgWebAppData') ?? '';
    const check = checkWebAppData(BOT.token, initData, Math.floor(Date.now() / 1000), 60);
    expect(check).toMatchObject({ ok: true, user: { id: DORA.userId, first_name: DORA.firstName } });
  });

  it('pays a Stars invoice and sees the balance fall', async () => {
    desk.add(starsInvoice('mtcute-1', DORA.userId, 150n));
    const invoice = { _: 'inputInvoiceSlug', slug: 'mtcute-1' } as const;
    const form = await client.call({ _: 'payments.getPaymentForm', invoice });
    expect(form._).toBe('payments.paymentFormStars');
    const result = await client.call({ _: 'payments.sendStarsForm', formId: form.formId, invoice });
    expect(result._).toBe('payments.paymentResult');
    expect(tg.starsOf(DORA.userId)).toBe(750n);
    const status = await client.call({ _: 'payments.getStarsStatus', peer: { _: 'inputPeerSelf' } });
    expect(status.balance).toMatchObject({ _: 'starsAmount' });
    expect(String(status.balance._ === 'starsAmount' ? status.balance.amount : '')).toBe('750');
    expect(desk.calls).toEqual([expect.objectContaining({ slug: 'mtcute-1', payerUserId: DORA.userId, verdict: 'paid' })]);
    const history = await client.call({ _: 'payments.getStarsTransactions', peer: { _: 'inputPeerSelf' }, offset: '', limit: 10 });
    expect(history.history?.map((t) => (t.amount._ === 'starsAmount' ? String(t.amount.amount) : ''))).toEqual(['-150']);
  });

  it('refuses a flag of the newer layer the simulator does not serve, rather than answering without it', async () => {
    const asked = client.call({ _: 'payments.getStarsStatus', ton: true, peer: { _: 'inputPeerSelf' } });
    await expect(asked).rejects.toMatchObject({ code: 400, text: 'INPUT_FIELD_NOT_SIMULATED' });
  });

  it('answered every query in the public layer the client announced, none in GramJS’s', () => {
    const { answersByLayer, rpcErrors } = tg.stats().transport;
    expect(Object.keys(answersByLayer)).toEqual([String(PUBLIC_LAYER)]);
    // Every query a handler answered (the ones it refused are the two logged-out calls and the password prompt).
    const handled = Object.values(tg.stats().transport.requests).reduce((a, b) => a + b, 0);
    expect(answersByLayer[PUBLIC_LAYER]).toBe(handled - 3);
    expect(rpcErrors).toEqual({ AUTH_KEY_UNREGISTERED: 2, SESSION_PASSWORD_NEEDED: 1, INPUT_FIELD_NOT_SIMULATED: 1 });
  });
});
