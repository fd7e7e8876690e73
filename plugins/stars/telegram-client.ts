/** Building an unchanged GramJS client for the plugin's config: Telegram's own data centres, or a named server (a
 *  test DC or the simulated world) whose RSA key is trusted and whose address every socket dials — GramJS ignores the
 *  session's port and dials 80, so a socket class redirects it. GramJS never sleeps on a FLOOD_WAIT by itself here:
 *  the caller decides, because waiting minutes in the middle of a drop is a decision, not a default. */
import type { Logger } from 'pino';
import { TelegramClient } from 'telegram';
import { InvalidBufferError } from 'telegram/errors/index.js';
import { PromisedNetSockets } from 'telegram/extensions/index.js';
import { ConnectionTCPFull } from 'telegram/network/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import type { SocksProxyType } from 'telegram/network/connection/TCPMTProxy.js';
import type { AccountProxy } from '../../core/store/proxy.js';
import { missingApiKeys, type StarsConfig } from './config.js';
import { GramLog } from './gram-log.js';
import { rsaPublicKeyFromPem, trustServerKey } from './server-key.js';
import { TelegramNotConfigured, TelegramSessionInvalid } from './telegram-error.js';

/** The Telegram API application (my.telegram.org) the client identifies as. */
export interface TelegramApp {
  readonly apiId: number;
  readonly apiHash: string;
}

/** Telegram's production data centres (IPv4), where a brand-new login starts; later ones come from help.getConfig. */
const TELEGRAM_DC_ADDRESSES: Readonly<Record<number, string>> = {
  1: '149.154.175.53',
  2: '149.154.167.51',
  3: '149.154.175.100',
  4: '149.154.167.91',
  5: '91.108.56.130',
};

/** The session's port is a placeholder: StringSession stores ports as int16 and GramJS dials 80 anyway. */
const PLACEHOLDER_PORT = 443;

/** The configured API application; TelegramNotConfigured names what is missing. */
export function telegramApp(config: StarsConfig): TelegramApp {
  if (config.apiId === undefined || config.apiHash === undefined) throw new TelegramNotConfigured(missingApiKeys(config));
  return { apiId: config.apiId, apiHash: config.apiHash };
}

/** MTProto auth keys are 2048 bits. */
const AUTH_KEY_BYTES = 256;

/** `text` as a GramJS session (empty: a new one); an unreadable string is an invalid session (login again). */
export function parseSession(text: string, account?: string): StringSession {
  let session: StringSession;
  try {
    session = new StringSession(text.trim());
  } catch {
    // GramJS's message may quote the string; only the fact is kept.
    throw new TelegramSessionInvalid(account, 'MALFORMED');
  }
  if (text.trim() !== '' && session._key?.length !== AUTH_KEY_BYTES) throw new TelegramSessionInvalid(account, 'MALFORMED');
  return session;
}

/** True when the session holds an auth key (connecting needs no handshake). */
export function hasAuthKey(session: StringSession): boolean {
  return session._key?.length === AUTH_KEY_BYTES;
}

/** What kind of client: a long-lived connection (one try per call, the caller retries knowingly) or a login (GramJS
 *  may repeat a call after switching data centre, as a login on real Telegram requires). */
export type ClientPurpose = 'connection' | 'login';

export interface ClientOptions {
  readonly app: TelegramApp;
  readonly session: StringSession;
  readonly config: StarsConfig;
  readonly log: Logger;
  readonly purpose: ClientPurpose;
  readonly account?: string;
  /** Called with the code of a transport error (404: the server does not know the auth key; 429: too many connections). */
  readonly onTransportError?: (code: number) => void;
  /** Called every time a transport connection is opened, the first and every reconnect (GramJS then re-sends every
   *  request that had no answer: a caller that must know whether its request may have gone twice counts these). */
  readonly onConnect?: () => void;
  /** The account's proxy: a SOCKS5 one carries the MTProto connection (GramJS's own SOCKS client); an HTTP one
   *  cannot (GramJS has none), and the connection goes direct. */
  readonly proxy?: AccountProxy;
}

/** A GramJS client for `config`, not yet connected. */
export function createGramClient(opts: ClientOptions): TelegramClient {
  const { config, session } = opts;
  const server = config.server;
  if (server !== undefined) {
    try {
      trustServerKey(rsaPublicKeyFromPem(server.publicKey));
    } catch {
      throw new TelegramNotConfigured(['server.publicKey'], 'plugins.stars.server.publicKey is not a usable RSA public key');
    }
  }
  if (session.serverAddress === undefined) {
    const address = server?.host ?? TELEGRAM_DC_ADDRESSES[config.dcId];
    if (address === undefined) throw new TelegramNotConfigured(['dcId'], `plugins.stars.dcId ${config.dcId} names no Telegram data centre`);
    session.setDC(config.dcId, address, PLACEHOLDER_PORT);
  }
  const client = new TelegramClient(session, opts.app.apiId, opts.app.apiHash, {
    connection: watchedConnection(opts.onTransportError, opts.onConnect),
    ...(server === undefined ? {} : { networkSocket: socketTo(server.host, server.port) }),
    ...(opts.proxy?.kind === 'socks5' ? { proxy: socksProxy(opts.proxy, config.connectTimeoutSec) } : {}),
    baseLogger: new GramLog(opts.log, opts.account),
    timeout: config.connectTimeoutSec,
    connectionRetries: 2,
    retryDelay: 500,
    autoReconnect: true,
    requestRetries: opts.purpose === 'connection' ? 1 : 3,
    // Below any FLOOD_WAIT_n (0 included): GramJS never sleeps on its own, the error reaches the caller.
    floodSleepThreshold: -1,
    deviceModel: 'automint',
    appVersion: '1.0',
    langCode: 'en',
    systemLangCode: 'en',
  });
  return client;
}

/** A socket class that dials `host:port` whatever address GramJS asks for. */
function socketTo(host: string, port: number): typeof PromisedNetSockets {
  return class ServerSocket extends PromisedNetSockets {
    override connect(_port: number, _ip: string): Promise<unknown> {
      return super.connect(port, host);
    }
  };
}

/** GramJS's proxy option for a SOCKS5 account proxy. */
function socksProxy(proxy: AccountProxy, timeoutSec: number): SocksProxyType {
  return {
    ip: proxy.host, port: proxy.port, socksType: 5, timeout: timeoutSec,
    ...(proxy.username === undefined ? {} : { username: proxy.username }),
    ...(proxy.password === undefined ? {} : { password: proxy.password }),
  };
}

/** GramJS's TCP transport, reporting transport errors: a 4-byte packet holding a negative code, framed like any
 *  packet or (as some servers do) in place of the frame header. GramJS reacts to a 404 on the main connection by
 *  waiting forever; the report lets the caller fail instead. */
function watchedConnection(onTransportError: ((code: number) => void) | undefined, onConnect?: () => void): typeof ConnectionTCPFull {
  if (onTransportError === undefined && onConnect === undefined) return ConnectionTCPFull;
  return class WatchedConnection extends ConnectionTCPFull {
    override async connect(): Promise<void> {
      onConnect?.();
      return super.connect();
    }

    // GramJS declares _recv() as Promise<any>; a packet is a Buffer.
    override async _recv(): Promise<Buffer> {
      let data: unknown;
      try {
        data = await super._recv();
      } catch (e) {
        if (e instanceof InvalidBufferError && e.code !== undefined) onTransportError?.(e.code);
        throw e;
      }
      if (Buffer.isBuffer(data) && data.length === 4) onTransportError?.(-data.readInt32LE(0));
      return data as Buffer;
    }
  };
}
