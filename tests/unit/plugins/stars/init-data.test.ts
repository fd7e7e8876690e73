import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import bigInt from 'big-integer';
import { initDataOf } from '../../../../plugins/stars/init-data.js';
import { checkWebAppData, signWebAppData } from '../../../../sim/web-app-data.js';

const BOT_TOKEN = '123456:test-bot-token';
/** Names as the world's buyers have them: `&`, `+`, `%`, spaces and an emoji in the first name and the username. */
const ZOE = { id: 42, first_name: 'Zoë & "Co" +1 100% 🐱', username: 'zoe & co+1 100% 🐱_42' };
const initData = signWebAppData(BOT_TOKEN, ZOE, { authDate: 1_700_000_000, queryId: 'AAE+q/1=' });
const answer = (url: string): Api.WebViewResultUrl => new Api.WebViewResultUrl({ url, queryId: bigInt(1) });

describe('initDataOf', () => {
  it('decodes tgWebAppData exactly once, so the store can check its hash', () => {
    // initData itself holds %-escapes; the fragment encodes it once more.
    expect(initData).toContain('%');
    const url = `https://stickerdom.store/#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0&tgWebAppPlatform=android`;
    const got = initDataOf(answer(url));
    expect(got).toBe(initData);
    expect(checkWebAppData(BOT_TOKEN, got!, 1_700_000_010, 3_600)).toEqual({ ok: true, user: ZOE, authDate: 1_700_000_000 });
  });

  it('hands the store initData whose user, username included, reads back exactly as Telegram signed it', () => {
    const url = `https://stickerdom.store/#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0`;
    const got = initDataOf(answer(url))!;
    expect(JSON.parse(new URLSearchParams(got).get('user')!)).toEqual(ZOE);
    // What a second decode would have made of it: refused by the store.
    expect(checkWebAppData(BOT_TOKEN, decodeURIComponent(got), 1_700_000_010, 3_600)).toMatchObject({ ok: false });
  });

  it('ignores a query string and reads only the fragment', () => {
    const url = `https://stickerdom.store/?tgWebAppData=fake#tgWebAppVersion=8.0&tgWebAppData=${encodeURIComponent(initData)}`;
    expect(initDataOf(answer(url))).toBe(initData);
  });

  it('finds nothing in a URL without a fragment, without tgWebAppData, or with it empty', () => {
    expect(initDataOf(answer('https://stickerdom.store/?tgWebAppData=x'))).toBeNull();
    expect(initDataOf(answer('https://stickerdom.store/#tgWebAppVersion=8.0'))).toBeNull();
    expect(initDataOf(answer('https://stickerdom.store/#tgWebAppData='))).toBeNull();
  });
});
