/** One persistent, logged-in Telegram connection per account: opened once while arming (no handshake: the session
 *  holds the auth key), then every call goes through `invoke`, which is bounded in time, typed in its failures and
 *  waits out a short FLOOD_WAIT once. A FLOOD_WAIT means Telegram did not execute the call, so repeating it is safe;
 *  no other failure is repeated here. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Api, type TelegramClient } from 'telegram';
import { AutomintError } from '../../core/errors.js';
import { registerSecret } from '../../core/telemetry/secret-registry.js';
import type { StarsConfig } from './config.js';
import { bounded } from './deadline.js';
import type { AccountProxy } from '../../core/store/proxy.js';
import { createGramClient, hasAuthKey, parseSession, telegramApp } from './telegram-client.js';
import {
  TelegramAborted,
  TelegramFloodWait,
  TelegramSessionInvalid,
  TelegramUnavailable,
  telegramErrorFrom,
} from './telegram-error.js';

export interface OpenOptions {
  readonly account: string;
  /** A GramJS StringSession string holding an auth key that is logged in. */
  readonly session: string;
  readonly config: StarsConfig;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** The account's proxy (see ClientOptions.proxy). */
  readonly proxy?: AccountProxy;
}

export interface InvokeOptions {
  readonly signal?: AbortSignal;
  /** `wait` (default): sleep out a FLOOD_WAIT up to `maxFloodWaitSec` and repeat once; `fail`: throw TelegramFloodWait. */
  readonly floodWait?: 'wait' | 'fail';
}

export type ConnectionState = 'connected' | 'reconnecting' | 'disconnected' | 'broken' | 'closed';

/** A bot found by username, in the two input forms requests take. */
export interface ResolvedBot {
  readonly userId: bigint;
  readonly username: string;
  readonly inputUser: Api.InputUser;
  readonly inputPeer: Api.InputPeerUser;
}

/** The username is not a bot Telegram knows. */
export class TelegramBotUnknown extends AutomintError {
  constructor(bot: string, reason: string) {
    super('TELEGRAM_BOT_UNKNOWN', `@${bot} is not a bot Telegram knows (${reason}): check plugins.stars.bot`, { bot, reason, permanent: true });
  }
}

/** A connected GramJS client logged in as one account. */
export class TelegramConnection {
  private readonly bots = new Map<string, ResolvedBot>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: TelegramClient,
    readonly account: string,
    /** The logged-in user's Telegram id. */
    readonly userId: bigint,
    private readonly config: StarsConfig,
    private readonly log: Logger,
    /** Aborted (reason: a typed error) when the server no longer knows the auth key. */
    private readonly broken: AbortSignal,
    /** How many times the transport has connected (the first time included). */
    private readonly connects: () => number,
  ) {}

  /** Sends `request` and says whether the transport reconnected while it was out: GramJS re-sends unanswered
   *  requests after a reconnect, so the answer may be to a repeat of a request that already took effect. The answer
   *  or the typed error is returned, never thrown. */
  async invokeWatched<R extends Api.AnyRequest>(request: R, opts: InvokeOptions = {}): Promise<{ result?: R['__response']; error?: unknown; reconnected: boolean }> {
    const before = this.connects();
    try {
      const result = await this.invoke(request, opts);
      return { result, reconnected: this.connects() !== before };
    } catch (error) {
      return { error, reconnected: this.connects() !== before };
    }
  }

  /** Connects with the session and checks it is logged in (TelegramSessionInvalid otherwise). */
  static async open(opts: OpenOptions): Promise<TelegramConnection> {
    const { account, config, signal } = opts;
    registerSecret(opts.session);
    const app = telegramApp(config);
    const session = parseSession(opts.session, account);
    if (!hasAuthKey(session)) throw new TelegramSessionInvalid(account, 'NO_AUTH_KEY');
    const log = opts.log.child({ account });
    const broken = new AbortController();
    let connects = 0;
    const client = createGramClient({
      app, session, config, log, account, purpose: 'connection', ...(opts.proxy === undefined ? {} : { proxy: opts.proxy }),
      onConnect: () => {
        connects += 1;
      },
      onTransportError: (code) => {
        if (code !== 404) return log.warn({ code }, 'telegram transport error');
        if (broken.signal.aborted) return;
        log.warn({ code }, 'telegram transport error: the server does not know the session key');
        broken.abort(new TelegramSessionInvalid(account, 'AUTH_KEY_UNKNOWN'));
        // GramJS would reconnect with the same dead key forever.
        void destroyQuietly(client);
      },
    });
    const timeoutMs = config.connectTimeoutSec * 1000;
    // A connection through a proxy names it (without its password): it is the first thing to check.
    const via = opts.proxy === undefined ? {} : { proxy: opts.proxy.shown };
    const limits = {
      timeoutMs, signal, failure: broken.signal,
      onTimeout: () => new TelegramUnavailable('timeout', false, { account, method: 'connect', timeoutMs, ...via }),
      onAbort: () => new TelegramAborted(false, { account, method: 'connect' }),
    };
    try {
      const connected = await bounded(client.connect(), limits);
      if (!connected) throw new TelegramUnavailable('connect', false, { account, ...via });
      const users = await bounded(client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] })), {
        ...limits,
        onTimeout: () => new TelegramUnavailable('timeout', false, { account, method: 'users.GetUsers', timeoutMs }),
      });
      const me = users[0];
      if (!(me instanceof Api.User)) throw new TelegramSessionInvalid(account, 'USER_EMPTY');
      const userId = BigInt(me.id.toString());
      log.debug({ userId: userId.toString() }, 'telegram connected');
      return new TelegramConnection(client, account, userId, config, log, broken.signal, () => connects);
    } catch (e) {
      await destroyQuietly(client);
      const typed = telegramErrorFrom(e, 'users.GetUsers', account);
      // Not Telegram's answer: the connection itself failed, and nothing was asked of Telegram yet.
      if (typed instanceof TelegramUnavailable && !(e instanceof AutomintError)) {
        throw new TelegramUnavailable('connect', false, { account, detail: typed.details.detail as string | undefined, ...via });
      }
      throw typed;
    }
  }

  /** Sends `request`, bounded by `connectTimeoutSec`; failures are typed (see telegramErrorFrom). */
  async invoke<R extends Api.AnyRequest>(request: R, opts: InvokeOptions = {}): Promise<R['__response']> {
    const method = request.className;
    try {
      return await this.once(request, method, opts.signal);
    } catch (e) {
      if (!(e instanceof TelegramFloodWait) || (opts.floodWait ?? 'wait') === 'fail' || e.seconds > this.config.maxFloodWaitSec) throw e;
      this.log.info({ method, seconds: e.seconds }, 'telegram flood wait: waiting');
      try {
        await sleep(e.seconds * 1000, undefined, { signal: opts.signal });
      } catch {
        throw new TelegramAborted(false, { account: this.account, method });
      }
      // Once only: a second FLOOD_WAIT reaches the caller.
      return await this.once(request, method, opts.signal);
    }
  }

  /** The bot with this username (without "@"), resolved once per connection. */
  async resolveBot(username: string, signal?: AbortSignal): Promise<ResolvedBot> {
    const name = username.replace(/^@/, '');
    const cached = this.bots.get(name.toLowerCase());
    if (cached !== undefined) return cached;
    let resolved: Api.contacts.ResolvedPeer;
    try {
      resolved = await this.invoke(new Api.contacts.ResolveUsername({ username: name }), { signal });
    } catch (e) {
      const message = (e as { errorMessage?: unknown }).errorMessage;
      if (message === 'USERNAME_NOT_OCCUPIED' || message === 'USERNAME_INVALID') throw new TelegramBotUnknown(name, message);
      throw e;
    }
    const peer = resolved.peer;
    const user = peer instanceof Api.PeerUser
      ? resolved.users.find((u): u is Api.User => u instanceof Api.User && u.id.equals(peer.userId))
      : undefined;
    if (user === undefined) throw new TelegramBotUnknown(name, 'not a user');
    if (!user.bot) throw new TelegramBotUnknown(name, 'a user, not a bot');
    if (user.accessHash === undefined) throw new TelegramBotUnknown(name, 'no access hash');
    const bot: ResolvedBot = {
      userId: BigInt(user.id.toString()),
      username: user.username ?? name,
      inputUser: new Api.InputUser({ userId: user.id, accessHash: user.accessHash }),
      inputPeer: new Api.InputPeerUser({ userId: user.id, accessHash: user.accessHash }),
    };
    this.bots.set(name.toLowerCase(), bot);
    return bot;
  }

  /** Where the connection stands: `reconnecting` while GramJS tries again after a loss, `disconnected` once it gave
   *  up (the next call connects again), `broken` when the server no longer knows the session's key. */
  get state(): ConnectionState {
    if (this.closing !== undefined) return 'closed';
    if (this.broken.aborted) return 'broken';
    const sender = this.client._sender;
    if (sender?.isReconnecting === true || sender?.isConnecting === true) return 'reconnecting';
    return this.client.connected === true ? 'connected' : 'disconnected';
  }

  /** Disconnects and stops GramJS's loops; idempotent. */
  close(): Promise<void> {
    this.closing ??= destroyQuietly(this.client).then(() => this.log.debug('telegram connection closed'));
    return this.closing;
  }

  private async once<R extends Api.AnyRequest>(request: R, method: string, signal: AbortSignal | undefined): Promise<R['__response']> {
    const account = this.account;
    if (this.closing !== undefined) throw new TelegramUnavailable('closed', false, { account, method });
    if (this.broken.aborted) throw this.broken.reason;
    if (signal?.aborted) throw new TelegramAborted(false, { account, method });
    const timeoutMs = this.config.connectTimeoutSec * 1000;
    await this.reconnectIfGivenUp(method, signal);
    try {
      return await bounded(this.client.invoke(request), {
        timeoutMs, signal, failure: this.broken,
        onTimeout: () => new TelegramUnavailable('timeout', true, { account, method, timeoutMs }),
        onAbort: () => new TelegramAborted(true, { account, method }),
      });
    } catch (e) {
      throw telegramErrorFrom(e, method, account);
    }
  }

  /** GramJS stops reconnecting after `connectionRetries` failures and then queues calls forever; the next call
   *  connects again instead. While GramJS is still reconnecting the call waits in its queue (bounded as usual). */
  private async reconnectIfGivenUp(method: string, signal: AbortSignal | undefined): Promise<void> {
    const sender = this.client._sender;
    if (this.client.connected === true || sender === undefined || sender.isReconnecting || sender.isConnecting) return;
    const account = this.account;
    const timeoutMs = this.config.connectTimeoutSec * 1000;
    this.log.info({ method }, 'telegram connection lost; connecting again');
    const connected = await bounded(this.client.connect(), {
      timeoutMs, signal, failure: this.broken,
      onTimeout: () => new TelegramUnavailable('timeout', false, { account, method: 'connect', timeoutMs }),
      onAbort: () => new TelegramAborted(false, { account, method }),
    }).catch((e: unknown) => {
      throw e instanceof AutomintError ? e : new TelegramUnavailable('connect', false, { account, method });
    });
    if (!connected) throw new TelegramUnavailable('connect', false, { account, method });
  }
}

/** Longest a close may take: GramJS's destroy waits for its loops, which a dead socket can hold up. */
const CLOSE_TIMEOUT_MS = 5_000;

async function destroyQuietly(client: TelegramClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.destroy(), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
  } catch {
    // Closing a connection that already broke has nothing left to report.
  } finally {
    clearTimeout(timer);
  }
}
