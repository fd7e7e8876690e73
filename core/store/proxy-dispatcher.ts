/** The undici dispatcher of an account behind a proxy: an HTTP(S) proxy through undici's own `ProxyAgent` (CONNECT
 *  tunnels), a SOCKS5 proxy through an `Agent` whose connector opens the tunnel with the `socks` library (the one
 *  GramJS uses for the same account's Telegram connection; undici's own SOCKS5 agent is marked experimental). Also
 *  tells a failure of the proxy (refused, wrong credentials, no answer) from a failure of the store behind it. */
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { Agent, ProxyAgent, type Dispatcher, type buildConnector } from 'undici';
import { SocksClient } from 'socks';
import type { AccountProxy } from './proxy.js';

/** How long opening a tunnel (connect, handshake, CONNECT) may take before the proxy counts as not answering. */
export const PROXY_CONNECT_TIMEOUT_MS = 10_000;

/** Why a proxy failed, in the words of the error a person reads. */
export type ProxyFailureReason = 'refused' | 'auth' | 'timeout' | 'tunnel';

/** A failure of the proxy itself, raised by the SOCKS5 connector: nothing reached the store. */
export class ProxyTunnelFailure extends Error {
  constructor(readonly reason: ProxyFailureReason, detail: string) {
    super(detail);
    this.name = 'ProxyTunnelFailure';
  }
}

export interface ProxyDispatcherOptions {
  /** Most connections to the store at once through this proxy. */
  readonly connections: number;
  readonly keepAliveTimeout: number;
  /** How long opening a tunnel may take (PROXY_CONNECT_TIMEOUT_MS by default). */
  readonly connectTimeoutMs?: number;
}

/** A dispatcher sending every request of one account through its proxy. */
export function proxyDispatcher(proxy: AccountProxy, opts: ProxyDispatcherOptions): Dispatcher {
  if (proxy.kind === 'socks5') {
    return new Agent({ connections: opts.connections, keepAliveTimeout: opts.keepAliveTimeout, connect: socksConnector(proxy, opts.connectTimeoutMs ?? PROXY_CONNECT_TIMEOUT_MS) });
  }
  return new ProxyAgent({
    uri: proxy.url,
    connections: opts.connections,
    keepAliveTimeout: opts.keepAliveTimeout,
    proxyTls: { timeout: opts.connectTimeoutMs ?? PROXY_CONNECT_TIMEOUT_MS },
  });
}

/** undici's connector for a SOCKS5 proxy: a tunnel to the request's origin, then TLS over it for https. */
function socksConnector(proxy: AccountProxy, timeoutMs: number): buildConnector.connector {
  return (options, callback) => {
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    SocksClient.createConnection({
      proxy: {
        host: proxy.host, port: proxy.port, type: 5,
        ...(proxy.username === undefined ? {} : { userId: proxy.username }),
        ...(proxy.password === undefined ? {} : { password: proxy.password }),
      },
      command: 'connect',
      destination: { host: options.hostname, port },
      timeout: timeoutMs,
    }).then(
      ({ socket }) => {
        if (options.protocol !== 'https:') return callback(null, socket);
        // The TLS handshake runs over the tunnel, past the SOCKS library's timeout: a proxy that stalls after its reply
        // would hold the call for ever (undici does not abort a connection still being opened), so it has its own.
        let settled = false;
        const settle = (e: Error | null): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (e === null) callback(null, secure as unknown as Socket);
          else {
            secure.destroy();
            callback(e, null);
          }
        };
        const secure = tls.connect({ socket, servername: options.servername ?? options.hostname, ALPNProtocols: ['http/1.1'] });
        const timer = setTimeout(() => settle(new ProxyTunnelFailure('timeout', 'TLS handshake through the proxy did not finish in time')), timeoutMs);
        secure.once('secureConnect', () => settle(null));
        secure.once('error', (e) => settle(e));
      },
      (e: unknown) => callback(new ProxyTunnelFailure(socksReason(e), messageOf(e)), null),
    );
  };
}

/** The `socks` library's error in our words. */
function socksReason(e: unknown): ProxyFailureReason {
  const text = messageOf(e);
  if (/authentication|auth/i.test(text)) return 'auth';
  if (/timed out|timeout/i.test(text)) return 'timeout';
  if (/ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|ECONNRESET|EAI_AGAIN/.test(text)) return 'refused';
  return 'tunnel';
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Why a store call through `proxy` failed because of the proxy, or null when the failure was the store's (or the
 *  network's beyond the proxy). Looks through the error and its causes. */
export function proxyFailureOf(e: unknown, proxy: AccountProxy): ProxyFailureReason | null {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 6; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof ProxyTunnelFailure) return c.reason;
    const text = messageOf(c);
    // undici's ProxyAgent when the CONNECT is answered with anything but 200.
    const tunnel = /Proxy response \((\d{3})\)/.exec(text);
    if (tunnel) return tunnel[1] === '407' ? 'auth' : 'tunnel';
    const { code, port, syscall, hostname } = c as { code?: unknown; port?: unknown; syscall?: unknown; hostname?: unknown };
    // Failing to connect to the proxy itself (a ProxyAgent connects to the proxy, never to the store; a proxy named by
    // host name connects to an address, so the port and the connect call tell it). Only errors of the connect phase: a
    // reset of a connection already open may have carried a request.
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
    if ((code === 'ENOTFOUND' || code === 'EAI_AGAIN') && hostname === proxy.host) return 'refused';
    if (typeof code === 'string' && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)$/.test(code) && port === proxy.port && syscall === 'connect') {
      return code === 'ETIMEDOUT' ? 'timeout' : 'refused';
    }
  }
  return null;
}
