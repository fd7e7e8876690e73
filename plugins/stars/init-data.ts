/** The store's login data: Telegram's initData, obtained by opening the store bot's web app as the account's user.
 *  Telegram answers with the web app URL whose fragment carries `tgWebAppData`, URL-encoded once; it is decoded exactly
 *  once (URLSearchParams on the fragment) and must reach the store byte for byte: decoding twice breaks its hash. */
import { Api } from 'telegram';
import { AutomintError } from '../../core/errors.js';
import { registerSecret } from '../../core/telemetry/secret-registry.js';
import { TelegramBotUnknown, type ResolvedBot, type TelegramConnection } from './telegram-connection.js';
import { TelegramRpcFailed, WebAppUnavailable } from './telegram-error.js';

export interface InitDataOptions {
  /** The store bot's username, without "@". */
  readonly bot: string;
  /** Web app URLs to open, first to last. */
  readonly webAppUrls: readonly string[];
  readonly platform: string;
  readonly signal?: AbortSignal;
}

/** One way of opening the web app, named for the error that lists what was tried. */
interface Attempt {
  readonly name: string;
  readonly open: () => Promise<Api.TypeWebViewResult>;
}

/** Fresh initData for the connection's user: RequestWebView for each URL, then RequestSimpleWebView for each URL,
 *  then RequestMainWebView, until one answers with `tgWebAppData`. Registered secret before it is returned. Telegram
 *  refusing one way moves on to the next; a session, connection or flood failure ends the search at once. */
export async function requestInitData(conn: TelegramConnection, opts: InitDataOptions): Promise<string> {
  let bot: ResolvedBot;
  try {
    bot = await conn.resolveBot(opts.bot, opts.signal);
  } catch (e) {
    if (!isRefusal(e)) throw e;
    throw new WebAppUnavailable({ bot: opts.bot, tried: ['contacts.ResolveUsername'], account: conn.account, lastError: e.code });
  }
  const tried: string[] = [];
  let lastError: string | undefined;
  for (const attempt of attempts(conn, bot, opts)) {
    tried.push(attempt.name);
    let result: Api.TypeWebViewResult;
    try {
      result = await attempt.open();
    } catch (e) {
      if (!isRefusal(e)) throw e;
      lastError = e instanceof TelegramRpcFailed ? e.errorMessage : e.code;
      continue;
    }
    const initData = initDataOf(result);
    if (initData !== null) {
      registerSecret(initData);
      return initData;
    }
    lastError = 'no tgWebAppData in the answer';
  }
  throw new WebAppUnavailable({ bot: opts.bot, tried, account: conn.account, ...(lastError === undefined ? {} : { lastError }) });
}

/** The `tgWebAppData` of a web view answer, decoded once, or null. */
export function initDataOf(result: Api.TypeWebViewResult): string | null {
  if (!(result instanceof Api.WebViewResultUrl)) return null;
  // The raw fragment, exactly as sent: no URL parser normalises it before the one decode.
  const hash = result.url.indexOf('#');
  if (hash < 0) return null;
  const data = new URLSearchParams(result.url.slice(hash + 1)).get('tgWebAppData');
  return data === null || data.length === 0 ? null : data;
}

function attempts(conn: TelegramConnection, bot: ResolvedBot, opts: InitDataOptions): Attempt[] {
  const call = { signal: opts.signal };
  const platform = opts.platform;
  return [
    ...opts.webAppUrls.map((url) => ({
      name: `messages.RequestWebView ${url}`,
      open: () => conn.invoke(new Api.messages.RequestWebView({ peer: bot.inputPeer, bot: bot.inputUser, url, platform }), call),
    })),
    ...opts.webAppUrls.map((url) => ({
      name: `messages.RequestSimpleWebView ${url}`,
      open: () => conn.invoke(new Api.messages.RequestSimpleWebView({ bot: bot.inputUser, url, platform }), call),
    })),
    {
      name: 'messages.RequestMainWebView',
      open: () => conn.invoke(new Api.messages.RequestMainWebView({ peer: bot.inputPeer, bot: bot.inputUser, platform }), call),
    },
  ];
}

/** Telegram refused this way of opening the web app (or the bot): worth trying the next way. */
function isRefusal(e: unknown): e is AutomintError {
  return e instanceof TelegramRpcFailed || e instanceof TelegramBotUnknown;
}
