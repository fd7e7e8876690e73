/** Interactive Telegram login: phone → code (→ 2FA password) → a new session string the caller stores. Written on
 *  raw auth.* calls rather than GramJS's `start()`, which asks again forever and hides why it failed: here a wrong
 *  code or password is asked again up to three times, then the login fails with a typed error saying what to fix. */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Api, type TelegramClient } from 'telegram';
import { FloodError, RPCError } from 'telegram/errors/index.js';
import { computeCheck } from 'telegram/Password.js';
import { registerSecret } from '../../core/telemetry/secret-registry.js';
import type { StarsConfig } from './config.js';
import { bounded } from './deadline.js';
import type { AccountProxy } from '../../core/store/proxy.js';
import { createGramClient, parseSession, telegramApp, type TelegramApp } from './telegram-client.js';
import {
  TelegramAborted,
  TelegramLoginFailed,
  TelegramRpcFailed,
  TelegramSessionInvalid,
  TelegramUnavailable,
  rpcFailureFrom,
  telegramErrorFrom,
} from './telegram-error.js';

/** What login asks the person. Answers are secrets: they are registered before anything else happens. */
export interface LoginPrompts {
  phone(): Promise<string>;
  /** `viaApp`: the code went to the person's Telegram app rather than by SMS. */
  code(viaApp: boolean): Promise<string>;
  password(hint: string | undefined): Promise<string>;
}

export interface LoginOptions {
  readonly config: StarsConfig;
  readonly prompts: LoginPrompts;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** Only for log lines. */
  readonly account?: string;
  /** The account's proxy (see ClientOptions.proxy). */
  readonly proxy?: AccountProxy;
}

export interface LoginResult {
  /** The new StringSession (a secret). */
  readonly session: string;
  readonly userId: bigint;
  readonly username?: string;
  readonly firstName: string;
}

/** Tries for a code and for a password before giving up. */
const MAX_TRIES = 3;
const CODE_RETRY = new Set(['PHONE_CODE_INVALID', 'PHONE_CODE_EMPTY']);

/** Logs a new session in, asking `prompts` for the phone, the code and, if the account has one, the 2FA password. */
export async function logIn(opts: LoginOptions): Promise<LoginResult> {
  const app = telegramApp(opts.config);
  const log = opts.account === undefined ? opts.log : opts.log.child({ account: opts.account });
  const client = createGramClient({
    app, session: parseSession(''), config: opts.config, log, purpose: 'login', account: opts.account,
    ...(opts.proxy === undefined ? {} : { proxy: opts.proxy }),
    onTransportError: (code) => log.warn({ code }, 'telegram transport error during login'),
  });
  const login = new LoginFlow(client, app, opts);
  try {
    await login.connect();
    const user = await login.signIn();
    const session = String(client.session.save());
    registerSecret(session);
    const userId = BigInt(user.id.toString());
    log.info({ userId: userId.toString() }, 'telegram login done');
    return { session, userId, ...(user.username === undefined ? {} : { username: user.username }), firstName: user.firstName ?? '' };
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

/** Where a session points and which auth key it holds, for `automint session show` style output. */
export function describeSession(session: string): { dcId: number; serverAddress: string; authKeyId: string } {
  const parsed = parseSession(session);
  const key = parsed._key;
  if (key === undefined || parsed.serverAddress === undefined) throw new TelegramSessionInvalid(undefined, 'MALFORMED');
  // MTProto's auth_key_id: the low 64 bits of SHA-1 of the key (public: it heads every encrypted packet).
  const keyId = createHash('sha1').update(key).digest().subarray(12, 20).readBigUInt64LE();
  return { dcId: parsed.dcId, serverAddress: parsed.serverAddress, authKeyId: keyId.toString(16).padStart(16, '0') };
}

/** One login attempt's steps over one client. */
class LoginFlow {
  private readonly timeoutMs: number;

  constructor(
    private readonly client: TelegramClient,
    private readonly app: TelegramApp,
    private readonly opts: LoginOptions,
  ) {
    this.timeoutMs = opts.config.connectTimeoutSec * 1000;
  }

  async connect(): Promise<void> {
    const connected = await bounded(this.client.connect(), {
      timeoutMs: this.timeoutMs, signal: this.opts.signal,
      onTimeout: () => new TelegramUnavailable('timeout', false, { method: 'connect', timeoutMs: this.timeoutMs }),
      onAbort: () => new TelegramAborted(false, { method: 'connect' }),
    }).catch((e: unknown) => {
      throw e instanceof TelegramUnavailable || e instanceof TelegramAborted ? e : new TelegramUnavailable('connect', false, {});
    });
    if (!connected) throw new TelegramUnavailable('connect', false, {});
  }

  async signIn(): Promise<Api.User> {
    const phone = normalisePhone(await this.ask(() => this.opts.prompts.phone()));
    registerSecret(phone);
    const sent = await this.call(new Api.auth.SendCode({
      phoneNumber: phone, apiId: this.app.apiId, apiHash: this.app.apiHash, settings: new Api.CodeSettings({}),
    })).catch((e: unknown) => {
      if (e instanceof TelegramRpcFailed && e.errorMessage === 'PHONE_NUMBER_INVALID') {
        throw new TelegramLoginFailed('TELEGRAM_LOGIN_PHONE_INVALID', 'Telegram does not know this phone number (PHONE_NUMBER_INVALID): give it in international form, e.g. +44…');
      }
      if (e instanceof TelegramRpcFailed && e.errorMessage === 'PHONE_NUMBER_BANNED') {
        throw new TelegramLoginFailed('TELEGRAM_LOGIN_PHONE_BANNED', 'Telegram has banned this phone number (PHONE_NUMBER_BANNED)');
      }
      throw e;
    });
    if (sent instanceof Api.auth.SentCodeSuccess) return this.userOf(sent.authorization);
    const viaApp = sent.type instanceof Api.auth.SentCodeTypeApp;
    for (let attempt = 1; ; attempt++) {
      const code = (await this.ask(() => this.opts.prompts.code(viaApp))).replace(/\s+/g, '');
      try {
        const result = await this.call(new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: code }));
        return this.userOf(result);
      } catch (e) {
        if (!(e instanceof TelegramRpcFailed)) throw e;
        if (e.errorMessage === 'SESSION_PASSWORD_NEEDED') return this.checkPassword();
        if (e.errorMessage === 'PHONE_CODE_EXPIRED') {
          throw new TelegramLoginFailed('TELEGRAM_LOGIN_CODE_EXPIRED', 'the login code expired (PHONE_CODE_EXPIRED): run the login again for a new code');
        }
        if (!CODE_RETRY.has(e.errorMessage)) throw e;
        if (attempt >= MAX_TRIES) {
          throw new TelegramLoginFailed('TELEGRAM_LOGIN_CODE_REJECTED', `Telegram refused the login code ${MAX_TRIES} times (${e.errorMessage}): run the login again`, { attempts: attempt });
        }
        this.opts.log.warn({ attempt, err: e }, 'login code refused; asking again');
      }
    }
  }

  private async checkPassword(): Promise<Api.User> {
    for (let attempt = 1; ; attempt++) {
      // A fresh SRP challenge each time: the server's srp_id is good for one check.
      const challenge = await this.call(new Api.account.GetPassword());
      const password = await this.ask(() => this.opts.prompts.password(challenge.hint));
      registerSecret(password);
      if (password.length > 0) {
        try {
          const check = await computeCheck(challenge, password);
          return this.userOf(await this.call(new Api.auth.CheckPassword({ password: check })));
        } catch (e) {
          if (!(e instanceof TelegramRpcFailed) || e.errorMessage !== 'PASSWORD_HASH_INVALID') throw e;
        }
      }
      if (attempt >= MAX_TRIES) {
        throw new TelegramLoginFailed('TELEGRAM_LOGIN_PASSWORD_REJECTED', `Telegram refused the 2FA password ${MAX_TRIES} times: run the login again`, { attempts: attempt });
      }
      this.opts.log.warn({ attempt }, '2FA password refused; asking again');
    }
  }

  private userOf(result: Api.auth.TypeAuthorization): Api.User {
    if (result instanceof Api.auth.AuthorizationSignUpRequired) {
      throw new TelegramLoginFailed('TELEGRAM_LOGIN_SIGN_UP_REQUIRED', 'this phone number has no Telegram account: sign up in a Telegram app first');
    }
    if (!(result.user instanceof Api.User)) throw new TelegramLoginFailed('TELEGRAM_LOGIN_NO_USER', 'Telegram answered the login without a user');
    return result.user;
  }

  /** A prompt's answer, given up when the caller aborts; a person may take their time, so no deadline. */
  private ask(prompt: () => Promise<string>): Promise<string> {
    return bounded(prompt(), {
      signal: this.opts.signal,
      onTimeout: () => new TelegramAborted(false, { method: 'login' }),
      onAbort: () => new TelegramAborted(false, { method: 'login' }),
    }).then((answer) => answer.trim());
  }

  /** One auth call, bounded; Telegram's refusals come back as TelegramRpcFailed whatever their code. */
  private async call<R extends Api.AnyRequest>(request: R): Promise<R['__response']> {
    const method = request.className;
    try {
      return await bounded(this.client.invoke(request), {
        timeoutMs: this.timeoutMs, signal: this.opts.signal,
        onTimeout: () => new TelegramUnavailable('timeout', true, { method, timeoutMs: this.timeoutMs }),
        onAbort: () => new TelegramAborted(true, { method }),
      });
    } catch (e) {
      if (e instanceof RPCError && !(e instanceof FloodError)) throw rpcFailureFrom(e, method);
      throw telegramErrorFrom(e, method, this.opts.account);
    }
  }
}

/** A phone number as Telegram takes it: digits with an optional leading "+", no spaces, dashes or brackets. */
function normalisePhone(text: string): string {
  return text.replace(/[\s().-]/g, '');
}
