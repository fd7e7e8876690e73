import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { checkWebAppData } from '../../../../sim/web-app-data.js';
import { tlLong } from '../../../../sim/telegram/tl.js';
import { ALICE, BOB, BOT, TelegramFixture, inputBot, inputBotPeer } from './telegram-fixture.js';

/** initData as a client reads it: the fragment's tgWebAppData, URL-decoded exactly once. */
function initDataOf(result: Api.WebViewResultUrl): string {
  return new URLSearchParams(new URL(result.url).hash.slice(1)).get('tgWebAppData')!;
}

describe('simulated Telegram web views', () => {
  it('opens an allowed URL with initData signed for the caller by the bot token', async () => {
    const f = new TelegramFixture();
    const result = await f.answer(
      Api.WebViewResultUrl,
      new Api.messages.RequestWebView({ peer: inputBotPeer(f), bot: inputBot(f), url: 'https://stickerdom.store/', platform: 'android' }),
      f.as(ALICE.userId),
    );
    expect(result.url.startsWith('https://stickerdom.store/#tgWebAppData=')).toBe(true);
    const fragment = new URLSearchParams(new URL(result.url).hash.slice(1));
    expect(fragment.get('tgWebAppVersion')).toBe('8.0');
    expect(fragment.get('tgWebAppPlatform')).toBe('android');
    expect(result.queryId).toBeDefined();
    const check = checkWebAppData(BOT.token, initDataOf(result), Math.floor(f.now / 1000), 60);
    expect(check).toEqual({ ok: true, user: { id: ALICE.userId, first_name: 'Alice', username: 'alice' }, authDate: Math.floor(f.now / 1000) });
  });

  it('breaks the hash for a client that decodes initData twice when a name holds URL syntax', async () => {
    const f = new TelegramFixture({ users: [{ userId: 1010, phone: '+15550010', firstName: 'Zoë & Max+1 100%', stars: 0n }] });
    const result = await f.answer(
      Api.WebViewResultUrl,
      new Api.messages.RequestSimpleWebView({ bot: inputBot(f), url: 'https://stickerdom.store/shop', platform: 'ios' }),
      f.as(1010),
    );
    const once = initDataOf(result);
    expect(once).toContain('%');
    expect(checkWebAppData(BOT.token, once, Math.floor(f.now / 1000), 60)).toMatchObject({ ok: true, user: { first_name: 'Zoë & Max+1 100%' } });
    expect(checkWebAppData(BOT.token, decodeURIComponent(once), Math.floor(f.now / 1000), 60).ok).toBe(false);
  });

  it('opens the main app and a direct-link app at the first web app URL', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(BOB.userId);
    const main = await f.answer(
      Api.WebViewResultUrl,
      new Api.messages.RequestMainWebView({ peer: inputBotPeer(f), bot: inputBot(f), platform: 'web' }),
      ctx,
    );
    const app = await f.answer(
      Api.WebViewResultUrl,
      new Api.messages.RequestAppWebView({
        peer: new Api.InputPeerSelf(),
        app: new Api.InputBotAppShortName({ botId: inputBot(f), shortName: 'app' }),
        platform: 'android',
      }),
      ctx,
    );
    for (const result of [main, app]) {
      expect(result.url.startsWith(`${BOT.webAppUrls[0]}#`)).toBe(true);
      expect(checkWebAppData(BOT.token, initDataOf(result), Math.floor(f.now / 1000), 60)).toMatchObject({ ok: true, user: { id: BOB.userId } });
    }
  });

  it('refuses a URL the bot does not allow', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    for (const url of ['https://evil.example/', 'https://stickerdom.store.evil.example/', 'javascript:alert(1)', '']) {
      await f.failure(new Api.messages.RequestSimpleWebView({ bot: inputBot(f), url, platform: 'android' }), ctx, 400, 'URL_INVALID');
    }
  });

  it('refuses any bot but the store bot', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    const alice = new Api.InputUser({ userId: tlLong(ALICE.userId), accessHash: tlLong(1) });
    const forged = new Api.InputUser({ userId: tlLong(BOT.userId), accessHash: tlLong(42) });
    for (const bot of [alice, forged, new Api.InputUserSelf()]) {
      await f.failure(
        new Api.messages.RequestWebView({ peer: new Api.InputPeerSelf(), bot, url: 'https://stickerdom.store/', platform: 'android' }),
        ctx,
        400,
        'BOT_INVALID',
      );
    }
  });

  it('needs a logged-in user', async () => {
    const f = new TelegramFixture();
    await f.failure(
      new Api.messages.RequestMainWebView({ peer: new Api.InputPeerSelf(), bot: inputBot(f), platform: 'android' }),
      f.anonymous(),
      401,
      'AUTH_KEY_UNREGISTERED',
    );
  });
});
