/** The store's calls through an account's proxy, over real sockets: the simulated SOCKS5 and HTTP CONNECT proxies,
 *  with and without credentials, in front of a plain HTTP server that records the address it saw. */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseProxy } from '../../../../core/store/proxy.js';
import { proxyDispatcher, proxyFailureOf } from '../../../../core/store/proxy-dispatcher.js';
import { startSocks5Proxy, type SimProxy } from '../../../../sim/proxy/socks5-server.js';
import { startHttpProxy } from '../../../../sim/proxy/http-connect-server.js';

let server: http.Server;
let origin: string;
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.socket.remoteAddress ?? '');
    res.end(JSON.stringify({ ok: true, data: 'hello' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** What a GET through `url` gives: the body, or the proxy failure it was classified as. */
async function through(url: string): Promise<{ body?: string; failure?: string | null }> {
  const proxy = parseProxy(url);
  const dispatcher = proxyDispatcher(proxy, { connections: 2, keepAliveTimeout: 1_000 });
  try {
    const res = await request(`${origin}/api`, { dispatcher });
    return { body: await res.body.text() };
  } catch (e) {
    return { failure: proxyFailureOf(e, proxy) };
  } finally {
    await dispatcher.destroy();
  }
}

describe.each([
  ['SOCKS5', startSocks5Proxy],
  ['HTTP CONNECT', startHttpProxy],
] as const)('an account behind a %s proxy', (_kind, start) => {
  let proxy: SimProxy;
  beforeAll(async () => {
    proxy = await start({ username: 'alice', password: 'pr0xy-pass', outboundAddress: '127.0.0.7' });
  });
  afterAll(() => proxy.close());

  it('reaches the store through the proxy, which the store sees as the address it stands for', async () => {
    const before = proxy.book.tunnelsTo(Number(new URL(origin).port));
    expect(await through(proxy.url)).toEqual({ body: '{"ok":true,"data":"hello"}' });
    expect(proxy.book.tunnelsTo(Number(new URL(origin).port))).toBe(before + 1);
    expect(seen.at(-1)).toBe('127.0.0.7');
  });

  it('tells a refused password from the store failing', async () => {
    expect(await through(proxy.url.replace('pr0xy-pass', 'wrong-pass'))).toEqual({ failure: 'auth' });
    expect(proxy.book.refusedLogins).toBeGreaterThan(0);
  });
});

describe('a proxy that is not there', () => {
  it('is a refused proxy, for both kinds', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await through(`socks5://u:p@127.0.0.1:${port}`)).toEqual({ failure: 'refused' });
    expect(await through(`http://127.0.0.1:${port}`)).toEqual({ failure: 'refused' });
  });

  it('calls a proxy that cannot reach the store a tunnel failure: nothing was sent', async () => {
    const proxy = await startSocks5Proxy();
    try {
      const dead = net.createServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const port = (dead.address() as net.AddressInfo).port;
      await new Promise((resolve) => dead.close(resolve));
      const p = parseProxy(proxy.url);
      const dispatcher = proxyDispatcher(p, { connections: 1, keepAliveTimeout: 1_000 });
      const error = await request(`http://127.0.0.1:${port}/`, { dispatcher }).then(() => null, (e: unknown) => e);
      await dispatcher.destroy();
      // The proxy answered, but could not reach the store: a tunnel failure, not the store's answer.
      expect(proxyFailureOf(error, p)).toBe('tunnel');
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a TLS handshake that stalls inside the tunnel (a timeout of the proxy, nothing sent)', async () => {
    // The origin accepts the tunnel's connection and never answers the TLS hello.
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => void held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const proxy = await startSocks5Proxy();
    const p = parseProxy(proxy.url);
    const dispatcher = proxyDispatcher(p, { connections: 1, keepAliveTimeout: 1_000, connectTimeoutMs: 300 });
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const error = await request(`https://127.0.0.1:${port}/`, { dispatcher }).then(() => null, (e: unknown) => e);
      expect(proxyFailureOf(error, p)).toBe('timeout');
    } finally {
      await dispatcher.destroy();
      await proxy.close();
      for (const s of held) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 10_000);

  it('names a refusing HTTP proxy given by host name', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await through(`http://localhost:${port}`)).toEqual({ failure: 'refused' });
  });
});
