/** The simulated Telegram's MTProto server: a TCP listener that speaks Telegram's transports, runs the auth key
 *  handshake, MTProto 2.0 encryption, sessions and service messages like Telegram, and hands RPC queries to the
 *  handlers of `sim/telegram/rpc.ts`. Tests and the demo connect the unchanged GramJS client to it. */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { RpcHandlers } from '../rpc.js';
import { AuthKeyStore } from './auth-keys.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { MessageIntake } from './message-intake.js';
import { ServerMsgIds } from './msg-id.js';
import { RpcDispatcher } from './rpc-dispatch.js';
import { ServerRsaKey } from './server-rsa-key.js';
import { SessionRegistry } from './sessions.js';
import { StatsCounter, type MtprotoStats } from './stats.js';

export interface MtprotoServerOptions {
  /** RPC handlers by method className. */
  handlers: RpcHandlers;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (the OS picks a free port). */
  port?: number;
  /** A handler threw something other than RpcFailure (a bug): the client gets 500 INTERNAL and this hears about
   *  it. Default: printed to stderr. */
  onUnexpectedError?: (e: unknown) => void;
}

export interface MtprotoServer {
  readonly host: string;
  readonly port: number;
  /** The server's RSA public key, SPKI PEM (clients trust it with trustServerKey(rsaPublicKeyFromPem(pem))). */
  readonly publicKeyPem: string;
  /** The same key as PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`), the form Telegram publishes. */
  readonly publicKeyPkcs1: string;
  /** An auth key made out of band, as if a client had done the DH handshake (the demo mints logged-in sessions).
   *  keyId is decimal and unsigned, as RpcContext.authKeyId and GramJS's `AuthKey.keyId.toString()`. */
  createAuthKey(): { keyId: string; key: Buffer };
  /** Forgets an auth key and its sessions (later requests under it get transport error -404, like Telegram after a
   *  key is destroyed). */
  forgetAuthKey(keyId: string): void;
  /** Closes every client connection now (fault injection); returns how many. */
  dropConnections(): number;
  /** Counters for tests: connections opened, handshakes completed, requests per method className, errors sent. */
  stats(): MtprotoStats;
  close(): Promise<void>;
}

/** Starts the server (generating its 2048-bit RSA key) and resolves once it listens. */
export async function startMtprotoServer(opts: MtprotoServerOptions): Promise<MtprotoServer> {
  const host = opts.host ?? '127.0.0.1';
  const now = Date.now;
  const rsa = await ServerRsaKey.generate();
  const keys = new AuthKeyStore(now);
  const sessions = new SessionRegistry();
  const stats = new StatsCounter();
  const onUnexpectedError = opts.onUnexpectedError ?? printUnexpected;
  const dispatcher = new RpcDispatcher({ handlers: opts.handlers, stats, onUnexpectedError });
  const connections = new Set<Connection>();
  const deps: ConnectionDeps = {
    intake: new MessageIntake({ keys, sessions, dispatcher, stats, now }),
    handshake: { rsa, keys, now, onKeyCreated: () => stats.handshakeCompleted() },
    msgIds: new ServerMsgIds(now),
    stats,
    now,
    onUnexpectedError,
    onClose: (c) => connections.delete(c),
  };
  const server = createServer((socket) => {
    stats.connectionOpened();
    connections.add(new Connection(socket, deps));
  });
  const port = await listen(server, host, opts.port ?? 0);

  return {
    host,
    port,
    publicKeyPem: rsa.publicKeyPem,
    publicKeyPkcs1: rsa.publicKeyPkcs1,
    createAuthKey() {
      const record = keys.mint();
      return { keyId: record.idText, key: Buffer.from(record.key) };
    },
    forgetAuthKey(keyId) {
      const record = keys.forget(keyId);
      if (record) sessions.forgetKey(record.id);
    },
    dropConnections() {
      const open = [...connections];
      for (const c of open) c.destroy();
      return open.length;
    },
    stats: () => stats.snapshot(),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.destroy();
      await closed;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function printUnexpected(e: unknown): void {
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`simulated Telegram: an RPC handler failed unexpectedly (client got 500 INTERNAL): ${text}\n`);
}
