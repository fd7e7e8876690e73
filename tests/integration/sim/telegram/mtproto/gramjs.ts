/** The unchanged GramJS client pointed at a simulated MTProto server: its RSA key trusted, its socket redirected to
 *  the server's port (GramJS always dials port 80), its logger silenced. */
import { TelegramClient } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { PromisedNetSockets } from 'telegram/extensions/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import type { Connection } from 'telegram/network/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import { rsaPublicKeyFromPem, trustServerKey } from '../../../../../plugins/stars/server-key.js';
import type { MtprotoServer } from '../../../../../sim/telegram/mtproto/index.js';

export interface ClientOptions {
  /** A saved StringSession, or a session object to use as is; default a fresh one (DH handshake on connect). */
  readonly session?: string | StringSession;
  /** GramJS connection class (TCP full by default). */
  readonly connection?: typeof Connection;
  readonly autoReconnect?: boolean;
}

/** A GramJS socket class that dials `port` on loopback whatever address the client asks for. */
function socketTo(port: number): typeof PromisedNetSockets {
  return class LoopbackSockets extends PromisedNetSockets {
    override connect(_port: number, _ip: string): Promise<unknown> {
      return super.connect(port, '127.0.0.1');
    }
  };
}

/** A client for the server (not connected yet). */
export function gramjsClient(server: MtprotoServer, opts: ClientOptions = {}): TelegramClient {
  trustServerKey(rsaPublicKeyFromPem(server.publicKeyPem));
  const session = opts.session instanceof StringSession ? opts.session : new StringSession(opts.session ?? '');
  // StringSession.save() writes the port as int16: keep a small placeholder, the socket class redirects.
  if (!opts.session) session.setDC(2, '127.0.0.1', 443);
  const client = new TelegramClient(session, 1, 'hash', {
    networkSocket: socketTo(server.port),
    ...(opts.connection ? { connection: opts.connection } : {}),
    // GramJS builds a 255-byte auth key when g_ab happens to start with a zero byte (1 in 256), which real
    // Telegram rejects as well; one retry keeps such a handshake from failing a test.
    connectionRetries: 2,
    retryDelay: 10,
    autoReconnect: opts.autoReconnect ?? false,
    // FLOOD_WAIT must surface as an error, not be slept through.
    floodSleepThreshold: 0,
    baseLogger: new Logger(LogLevel.NONE),
  });
  client.setLogLevel(LogLevel.NONE);
  return client;
}

/** A StringSession holding an auth key minted by the server, as if a handshake had made it. */
export async function sessionWithMintedKey(server: MtprotoServer): Promise<{ session: StringSession; keyId: string }> {
  const { keyId, key } = server.createAuthKey();
  const authKey = new AuthKey();
  await authKey.setKey(key);
  const session = new StringSession('');
  session.setDC(2, '127.0.0.1', 443);
  session.setAuthKey(authKey);
  return { session, keyId };
}

/** The decimal auth key id a client's session holds. */
export function clientKeyId(client: TelegramClient): string {
  return String(client.session.getAuthKey()?.keyId ?? '');
}

/** Polls `probe` until it returns true, or fails after `timeoutMs`. */
export async function waitUntil(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
