/** The simulated Telegram as the rest of the world uses it: an MTProto server the unchanged GramJS client logs in
 *  to (phone code, 2FA), which opens the store bot's Mini App with signed initData, serves the store's Stars
 *  invoices as payment forms and keeps Stars balances, with flood waits, RPC errors, late answers and disconnects
 *  injectable per method. */
import { createHash } from 'node:crypto';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { StringSession } from 'telegram/sessions/index.js';
import type { InvoiceDesk } from '../stars-invoices.js';
import { systemClock, type Clock } from '../store/clock.js';
import type { StoreBotSpec, TelegramUserSpec } from './accounts.js';
import type { FaultCounts } from './faults.js';
import { SIM_DC_ID } from './help.js';
import { startMtprotoServer, type MtprotoServer, type MtprotoStats } from './mtproto/index.js';
import { DEFAULT_FORM_TTL_MS } from './payment-forms.js';
import { RpcFailure } from './rpc.js';
import type { StarsPaymentRecord } from './stars-ledger.js';
import { TelegramRpc } from './telegram-rpc.js';

export type { StoreBotSpec, TelegramUserSpec } from './accounts.js';
export type { StarsPaymentRecord } from './stars-ledger.js';
export { SimTelegramError, type SimTelegramErrorCode } from './errors.js';

/** The port a saved StringSession names: GramJS cannot save ports above 32767, and clients redirect their socket to
 *  the real port anyway. */
export const SESSION_PLACEHOLDER_PORT = 443;

export interface SimTelegramOptions {
  readonly users: readonly TelegramUserSpec[];
  readonly storeBot: StoreBotSpec;
  /** The store's Stars invoices. */
  readonly invoices: InvoiceDesk;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Epoch ms; default the wall clock. */
  readonly clock?: () => number;
  /** How long a payment form may be paid; default 10 minutes. */
  readonly formTtlMs?: number;
}

/** Counters for tests and benchmarks. */
export interface SimTelegramStats {
  /** Requests that reached a handler, per method className (faulted ones included). */
  readonly requests: Record<string, number>;
  readonly faults: FaultCounts;
  /** The MTProto server's own counters (connections, handshakes, errors sent…). */
  readonly transport: MtprotoStats;
}

export interface SimTelegram {
  readonly host: string;
  readonly port: number;
  /** The server's RSA public key (SPKI PEM): clients trust it with trustServerKey(rsaPublicKeyFromPem(pem)). */
  readonly publicKeyPem: string;
  /** The same key as PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`), the form Telegram publishes its keys in. */
  readonly publicKeyPkcs1: string;
  readonly dcId: number;
  /** A GramJS StringSession string already logged in as userId (server-side auth key + authorization). */
  issueSession(userId: number): string;
  /** Login codes "sent" to a phone (any formatting), newest last. */
  codesSentTo(phone: string): readonly string[];
  starsOf(userId: number): bigint;
  setStars(userId: number, stars: bigint): void;
  /** Every Stars payment taken, oldest first. */
  payments(): readonly StarsPaymentRecord[];
  /** The next `times` (default 1) calls of `method` (a className like 'payments.SendStarsForm') fail with
   *  420 FLOOD_WAIT_<seconds>. */
  injectFloodWait(method: string, seconds: number, times?: number): void;
  /** The next `times` (default 1) calls of `method` close the connections instead of answering, after doing the work
   *  when `afterWork` (the client cannot know whether it happened). */
  injectDisconnect(method: string, opts?: { times?: number; afterWork?: boolean }): void;
  /** The next `times` (default 1) calls of `method` fail with the RPC error `code` `message` (e.g. 400
   *  BALANCE_TOO_LOW) without doing any work. */
  injectRpcError(method: string, code: number, message: string, times?: number): void;
  /** The next `times` (default 1) calls of `method` do their work and answer only after `ms`: a client that gives up
   *  sooner has lost the answer of a call Telegram carries out afterwards. */
  injectDelay(method: string, ms: number, times?: number): void;
  /** Closes every client connection now; returns how many. */
  dropConnections(): number;
  stats(): SimTelegramStats;
  close(): Promise<void>;
}

/** Starts the simulated Telegram on a loopback port. */
export async function startTelegram(opts: SimTelegramOptions): Promise<SimTelegram> {
  const clock: Clock = opts.clock ?? systemClock;
  let server: MtprotoServer | undefined;
  // Calls hung up on by an injected disconnect: they never answer, and are released when the server closes.
  const hungUp = new Set<(reason: unknown) => void>();
  const rpc = new TelegramRpc({
    users: opts.users,
    storeBot: opts.storeBot,
    invoices: opts.invoices,
    clock,
    formTtlMs: opts.formTtlMs ?? DEFAULT_FORM_TTL_MS,
    address: () => ({ host: server?.host ?? opts.host ?? '127.0.0.1', port: server?.port ?? 0 }),
    hangUp: () => {
      // The transport can only drop every connection; clients reconnect and re-send what went unanswered.
      server?.dropConnections();
      return new Promise<never>((_resolve, reject) => hungUp.add(reject));
    },
  });
  const mtproto = await startMtprotoServer({ handlers: rpc.handlers, host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  server = mtproto;

  let closing: Promise<void> | undefined;
  const shutDown = (): Promise<void> => {
    for (const reject of hungUp) reject(new RpcFailure(500, 'SERVER_SHUTDOWN'));
    hungUp.clear();
    return mtproto.close();
  };
  return {
    host: mtproto.host,
    port: mtproto.port,
    publicKeyPem: mtproto.publicKeyPem,
    publicKeyPkcs1: mtproto.publicKeyPkcs1,
    dcId: SIM_DC_ID,
    issueSession: (userId) => {
      const account = rpc.accounts.get(userId);
      const { keyId, key } = mtproto.createAuthKey();
      rpc.authorizations.bind(keyId, account.id);
      const session = new StringSession('');
      session.setDC(SIM_DC_ID, mtproto.host, SESSION_PLACEHOLDER_PORT);
      // AuthKey's constructor takes the key with its SHA-1, which keeps this synchronous (setKey is async).
      session.setAuthKey(new AuthKey(key, createHash('sha1').update(key).digest()));
      return session.save();
    },
    codesSentTo: (phone) => {
      const account = rpc.accounts.findByPhone(phone);
      return account ? rpc.codes.sentTo(account.phoneDigits) : [];
    },
    starsOf: (userId) => rpc.ledger.balance(rpc.accounts.get(userId).id),
    setStars: (userId, stars) => rpc.ledger.set(rpc.accounts.get(userId).id, stars),
    payments: () => rpc.ledger.payments(),
    injectFloodWait: (method, seconds, times) => rpc.faults.floodWait(method, seconds, times),
    injectDisconnect: (method, faultOpts) => rpc.faults.disconnect(method, faultOpts),
    injectRpcError: (method, code, message, times) => rpc.faults.rpcError(method, code, message, times),
    injectDelay: (method, ms, times) => rpc.faults.delay(method, ms, times),
    dropConnections: () => mtproto.dropConnections(),
    stats: () => ({ requests: rpc.requests(), faults: rpc.faults.counts(), transport: mtproto.stats() }),
    close: () => (closing ??= shutDown()),
  };
}
