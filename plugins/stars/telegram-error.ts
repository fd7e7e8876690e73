/** The Stars plugin's typed Telegram failures, and the one place a GramJS error becomes one. GramJS errors are never
 *  kept (not even as a `cause`): only facts that cannot hold a session, a phone number or initData are copied out. */
import { RPCError, FloodError } from 'telegram/errors/index.js';
import { AutomintError } from '../../core/errors.js';
import { scrub } from '../../core/telemetry/secret-registry.js';

/** What a person runs to (re)create an account's session. */
function loginAdvice(account: string | undefined): string {
  return `run \`automint login --account ${account ?? 'NAME'}\``;
}

/** No saved session for the account. */
export class TelegramSessionMissing extends AutomintError {
  constructor(readonly account: string) {
    // loginNeeded: the host tells the run's events (`login.needed`), so a notifier can ask the user to log in.
    super('TELEGRAM_SESSION_MISSING', `account ${account} has no Telegram session: ${loginAdvice(account)}`, { account, permanent: true, loginNeeded: true });
  }
}

/** Telegram no longer accepts the saved session (logged out elsewhere, revoked, deactivated, unreadable). */
export class TelegramSessionInvalid extends AutomintError {
  constructor(readonly account: string | undefined, readonly reason: string) {
    const who = account === undefined ? 'the saved Telegram session' : `the Telegram session of account ${account}`;
    super('TELEGRAM_SESSION_INVALID', `${who} is no longer valid (${reason}): ${loginAdvice(account)}`, { account, reason, permanent: true, loginNeeded: true });
  }
}

/** The Telegram API application is missing from the config, or the named server is unusable. */
export class TelegramNotConfigured extends AutomintError {
  constructor(readonly missing: readonly string[], detail?: string) {
    super(
      'TELEGRAM_NOT_CONFIGURED',
      detail ?? `Telegram is not configured (${missing.join(', ')} missing): set plugins.stars.apiId and apiHash from my.telegram.org`,
      { missing: [...missing], permanent: true },
    );
  }
}

/** Telegram answered the call with an RPC error (not a flood wait, not an authorization error). */
export class TelegramRpcFailed extends AutomintError {
  constructor(readonly facts: { readonly method: string; readonly errorCode: number; readonly errorMessage: string; readonly account?: string }) {
    super('TELEGRAM_RPC_FAILED', `Telegram refused ${facts.method}: ${facts.errorCode} ${facts.errorMessage}`, facts);
  }

  get errorMessage(): string {
    return this.facts.errorMessage;
  }
}

/** Telegram asked to wait longer than the config allows (or a wait was already spent). The call was not executed. */
export class TelegramFloodWait extends AutomintError {
  constructor(readonly facts: { readonly method: string; readonly seconds: number; readonly account?: string }) {
    // retryAt: when the call may go again; the host holds a payer until then instead of counting a failure.
    super('TELEGRAM_FLOOD_WAIT', `Telegram asks to wait ${facts.seconds} s before ${facts.method}`, { ...facts, retryAt: Date.now() + facts.seconds * 1000 });
  }

  get seconds(): number {
    return this.facts.seconds;
  }
}

/** Why no answer came. */
export type UnavailableReason = 'connect' | 'timeout' | 'disconnected' | 'closed';

/** No connection, or no answer in time. `maybeApplied` says whether Telegram may have executed the call anyway. */
export class TelegramUnavailable extends AutomintError {
  constructor(
    readonly reason: UnavailableReason,
    readonly maybeApplied: boolean,
    facts: { readonly account?: string; readonly method?: string; readonly timeoutMs?: number; readonly detail?: string; readonly proxy?: string },
  ) {
    super('TELEGRAM_UNAVAILABLE', unavailableMessage(reason, facts), { ...facts, reason, maybeApplied });
  }
}

function unavailableMessage(reason: UnavailableReason, f: { account?: string; method?: string; timeoutMs?: number; detail?: string; proxy?: string }): string {
  const what = f.method === undefined ? 'Telegram' : `Telegram call ${f.method}`;
  // The proxy is shown without its password (AccountProxy.shown): it is the first thing to check.
  const who = f.account === undefined ? '' : ` (account ${f.account}${f.proxy === undefined ? '' : `, through its proxy ${f.proxy}`})`;
  const detail = f.detail === undefined ? '' : `: ${f.detail}`;
  switch (reason) {
    case 'connect':
      return `could not connect to Telegram${who}${detail}`;
    case 'timeout':
      return `${what}${who} gave no answer within ${f.timeoutMs ?? '?'} ms`;
    case 'disconnected':
      return `${what}${who} failed: connection lost${detail}`;
    case 'closed':
      return `${what}${who} refused: the connection is closed`;
  }
}

/** The caller gave up (its signal aborted). `maybeApplied` as for TelegramUnavailable. */
export class TelegramAborted extends AutomintError {
  constructor(readonly maybeApplied: boolean, facts: { readonly account?: string; readonly method?: string }) {
    super('TELEGRAM_ABORTED', `${facts.method ?? 'Telegram call'} stopped: the caller gave up`, { ...facts, maybeApplied });
  }
}

/** Logging in failed for a reason the person must fix (a wrong phone, code or password, too many tries). */
export class TelegramLoginFailed extends AutomintError {
  constructor(code: `TELEGRAM_LOGIN_${string}`, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

/** The store's web app gave no login data. `tried` names the calls and URLs, never a URL carrying data. */
export class WebAppUnavailable extends AutomintError {
  constructor(readonly facts: { readonly bot: string; readonly tried: readonly string[]; readonly account?: string; readonly lastError?: string }) {
    super(
      'WEB_APP_UNAVAILABLE',
      `the store's web app (@${facts.bot}) gave no login data; tried ${facts.tried.join(', ')}${facts.lastError ? ` (last: ${facts.lastError})` : ''}`,
      { ...facts, tried: [...facts.tried], permanent: true },
    );
  }
}

/** A session file could not be read, written or named. */
export class TelegramSessionFileError extends AutomintError {
  constructor(readonly reason: string, facts: { readonly path?: string; readonly account?: string; readonly errno?: string }) {
    super('TELEGRAM_SESSION_FILE', `session file ${facts.path ?? `of account ${facts.account ?? '?'}`}: ${reason}`, facts);
  }
}

/** RPC error messages meaning the session no longer authorises a user. */
const SESSION_GONE = new Set([
  'AUTH_KEY_UNREGISTERED',
  'AUTH_KEY_INVALID',
  'AUTH_KEY_PERM_EMPTY',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  'USER_DEACTIVATED',
  'USER_DEACTIVATED_BAN',
  'SESSION_PASSWORD_NEEDED',
]);

/** An RPC error message Telegram sends is upper case words and digits; anything else is not copied. */
const RPC_MESSAGE = /^[A-Z0-9_]{1,80}$/;
const MAX_DETAIL = 200;

/** Telegram's RPC error as TelegramRpcFailed, whatever it means (login reads 401 SESSION_PASSWORD_NEEDED as a step). */
export function rpcFailureFrom(e: RPCError, method: string, account?: string): TelegramRpcFailed {
  const errorMessage = RPC_MESSAGE.test(e.errorMessage) ? e.errorMessage : 'UNKNOWN';
  const errorCode = typeof e.code === 'number' ? e.code : 0;
  return new TelegramRpcFailed(account === undefined ? { method, errorCode, errorMessage } : { method, errorCode, errorMessage, account });
}

/** `e` (anything GramJS or a timer threw while calling `method` for `account`) as a typed error. An AutomintError
 *  passes unchanged; an error that is not Telegram's answer counts as possibly applied. */
export function telegramErrorFrom(e: unknown, method: string, account: string | undefined): AutomintError {
  if (e instanceof AutomintError) return e;
  if (e instanceof FloodError) {
    const seconds = (e as FloodError & { seconds?: unknown }).seconds;
    return new TelegramFloodWait({ method, seconds: typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : 0, ...(account === undefined ? {} : { account }) });
  }
  if (e instanceof RPCError) {
    const failed = rpcFailureFrom(e, method, account);
    const { errorCode, errorMessage } = failed.facts;
    if (SESSION_GONE.has(errorMessage) || errorCode === 401) return new TelegramSessionInvalid(account, errorMessage);
    return failed;
  }
  // GramJS rejects a pending call with a bare string when it gives up reconnecting.
  const text = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
  if (/^Cannot send requests while disconnected/.test(text)) {
    return new TelegramUnavailable('disconnected', false, { account, method, detail: 'not connected' });
  }
  return new TelegramUnavailable('disconnected', true, { account, method, detail: scrub(text).slice(0, MAX_DETAIL) });
}
