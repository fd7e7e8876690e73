/** Opening the store bot's Mini App: messages.requestWebView / requestSimpleWebView (a URL the bot allows),
 *  requestMainWebView / requestAppWebView (the bot's main app, its first URL). Each answers the URL with
 *  `#tgWebAppData=<initData>` in its fragment: initData signed with the bot token for the caller, URL-encoded once
 *  more on top of its own `%`-escapes, so a client that decodes it twice breaks its hash, as with Telegram. */
import { Api } from 'telegram';
import type { Clock } from '../store/clock.js';
import { signWebAppData } from '../web-app-data.js';
import type { Accounts, Account } from './accounts.js';
import type { MethodEntry, Methods } from './methods.js';
import { RpcFailure } from './rpc.js';
import { randomLongId, tlDate, tlLong } from './tl.js';

/** The Mini App version a current Telegram client announces. */
export const WEB_APP_VERSION = '8.0';

/** What the web view methods read. */
export interface WebViewDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
  readonly clock: Clock;
}

/** messages.requestWebView, requestSimpleWebView, requestMainWebView, requestAppWebView. */
export function webViewMethods(d: WebViewDeps): MethodEntry[] {
  const open = (caller: Account, bot: unknown, url: string | undefined, platform: string): Api.WebViewResultUrl => {
    const target = d.accounts.resolve(bot, caller);
    if (target?.kind !== 'bot') throw new RpcFailure(400, 'BOT_INVALID');
    const page = url ?? d.accounts.bot.spec.webAppUrls[0];
    if (page === undefined || !isAllowed(page, d.accounts.bot.spec.webAppUrls)) throw new RpcFailure(400, 'URL_INVALID');
    return webView(d, caller, page, platform);
  };

  return [
    d.methods.user(Api.messages.RequestWebView, (req, caller) => open(caller, req.bot, req.url ?? '', req.platform)),
    d.methods.user(Api.messages.RequestSimpleWebView, (req, caller) => open(caller, req.bot, req.url ?? '', req.platform)),
    d.methods.user(Api.messages.RequestMainWebView, (req, caller) => open(caller, req.bot, undefined, req.platform)),
    d.methods.user(Api.messages.RequestAppWebView, (req, caller) => {
      if (!(req.app instanceof Api.InputBotAppShortName)) throw new RpcFailure(400, 'BOT_APP_INVALID');
      if (!req.app.shortName) throw new RpcFailure(400, 'BOT_APP_SHORTNAME_INVALID');
      return open(caller, req.app.botId, undefined, req.platform);
    }),
  ];
}

/** True when `url` is an http(s) URL under one of the bot's allowed prefixes. */
function isAllowed(url: string, allowed: readonly string[]): boolean {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return false;
  return allowed.some((prefix) => url.startsWith(prefix));
}

function webView(d: WebViewDeps, caller: Account, page: string, platform: string): Api.WebViewResultUrl {
  const queryId = randomLongId();
  const idBytes = Buffer.alloc(8);
  idBytes.writeBigUInt64LE(queryId);
  const initData = signWebAppData(
    d.accounts.bot.spec.token,
    {
      id: caller.id,
      first_name: caller.spec.firstName,
      ...(caller.spec.username === undefined ? {} : { username: caller.spec.username }),
    },
    { authDate: tlDate(d.clock()), queryId: idBytes.toString('base64url') },
  );
  const base = page.split('#', 1)[0];
  const fragment = `tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=${WEB_APP_VERSION}&tgWebAppPlatform=${encodeURIComponent(platform)}`;
  return new Api.WebViewResultUrl({ url: `${base}#${fragment}`, queryId: tlLong(queryId) });
}
