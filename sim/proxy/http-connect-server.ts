/** A small HTTP CONNECT proxy (with optional Basic `Proxy-Authorization`) for the simulated world: the other kind of
 *  proxy an account may name (`http://user:pass@host:port`). Tunnels only; a request in absolute form is refused. */
import http from 'node:http';
import type net from 'node:net';
import { listenProxy, TunnelBook, type SimProxy } from './tunnel.js';
import type { ProxyServerOptions } from './socks5-server.js';

/** Whether the request's Proxy-Authorization carries the expected credentials. */
function authorized(req: http.IncomingMessage, opts: ProxyServerOptions): boolean {
  if (opts.username === undefined) return true;
  const expected = Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64');
  return req.headers['proxy-authorization'] === `Basic ${expected}`;
}

/** Starts an HTTP CONNECT proxy on a loopback port chosen by the OS. */
export async function startHttpProxy(opts: ProxyServerOptions = {}): Promise<SimProxy> {
  const book = new TunnelBook(opts.outboundAddress);
  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('this proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    book.track(client);
    client.on('error', () => client.destroy());
    if (!authorized(req, opts)) {
      book.refusedLogins += 1;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="sim"\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const target = new URL(`http://${req.url ?? ''}`);
    book.connect(target.hostname, Number(target.port || 443)).then(
      (upstream) => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        book.splice(client, upstream, head);
      },
      () => client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'),
    );
  });
  return listenProxy(server, 'http', book, opts);
}
