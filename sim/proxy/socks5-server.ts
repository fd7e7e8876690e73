/** A small SOCKS5 proxy (RFC 1928, user/password auth of RFC 1929, CONNECT only) for the simulated world: accounts of a
 *  test fleet go out through it as they would through a paid proxy. Kept small on purpose (no BIND, no UDP): the
 *  client side is the real thing (GramJS and undici through the `socks` library); this side only has to speak the
 *  protocol right and tell the store which address it stands for. */
import net from 'node:net';
import { listenProxy, TunnelBook, type SimProxy } from './tunnel.js';

export type { SimProxy } from './tunnel.js';

const VERSION = 5;
const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;
const CONNECT = 0x01;
const REPLY_OK = 0x00;
const REPLY_REFUSED = 0x05;
const REPLY_COMMAND_UNSUPPORTED = 0x07;
const REPLY_ADDRESS_UNSUPPORTED = 0x08;

export interface ProxyServerOptions {
  /** Credentials a client must give; without them, no authentication. */
  readonly username?: string;
  readonly password?: string;
  /** The loopback address (127.0.0.x) its outbound connections leave from: the IP the store sees. */
  readonly outboundAddress?: string;
}

/** Reads exactly `n` bytes from a paused socket, waiting for them; rejects if the socket ends first. */
function readBytes(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk !== null) {
        socket.removeListener('readable', attempt);
        socket.removeListener('end', ended);
        resolve(chunk);
      }
    };
    const ended = (): void => {
      socket.removeListener('readable', attempt);
      reject(new Error('client closed during the SOCKS5 handshake'));
    };
    socket.on('readable', attempt);
    socket.once('end', ended);
    attempt();
  });
}

/** One client's handshake, then its tunnel. */
async function serve(client: net.Socket, opts: ProxyServerOptions, book: TunnelBook): Promise<void> {
  const [version, count] = await readBytes(client, 2);
  const methods = [...(await readBytes(client, count ?? 0))];
  if (version !== VERSION) return void client.destroy();
  const wantsAuth = opts.username !== undefined;
  const method = wantsAuth ? (methods.includes(USER_PASS) ? USER_PASS : NO_ACCEPTABLE) : methods.includes(NO_AUTH) ? NO_AUTH : NO_ACCEPTABLE;
  client.write(Buffer.from([VERSION, method]));
  if (method === NO_ACCEPTABLE) return void client.end();
  if (method === USER_PASS) {
    const [, userLength] = await readBytes(client, 2);
    const user = (await readBytes(client, userLength ?? 0)).toString('utf8');
    const [passLength] = await readBytes(client, 1);
    const pass = (await readBytes(client, passLength ?? 0)).toString('utf8');
    const ok = user === opts.username && pass === (opts.password ?? '');
    client.write(Buffer.from([1, ok ? 0 : 1]));
    if (!ok) {
      book.refusedLogins += 1;
      return void client.end();
    }
  }
  const [, command, , addressType] = await readBytes(client, 4);
  let host: string;
  if (addressType === 1) host = [...(await readBytes(client, 4))].join('.');
  else if (addressType === 3) host = (await readBytes(client, (await readBytes(client, 1))[0] ?? 0)).toString('utf8');
  else return void client.end(reply(REPLY_ADDRESS_UNSUPPORTED));
  const port = (await readBytes(client, 2)).readUInt16BE(0);
  if (command !== CONNECT) return void client.end(reply(REPLY_COMMAND_UNSUPPORTED));
  let upstream: net.Socket;
  try {
    upstream = await book.connect(host, port);
  } catch {
    return void client.end(reply(REPLY_REFUSED));
  }
  client.write(reply(REPLY_OK));
  book.splice(client, upstream, (client.read() as Buffer | null) ?? undefined);
}

/** A reply to the CONNECT request (bound address 0.0.0.0:0: clients do not use it). */
function reply(code: number): Buffer {
  return Buffer.from([VERSION, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}

/** Starts a SOCKS5 proxy on a loopback port chosen by the OS. */
export async function startSocks5Proxy(opts: ProxyServerOptions = {}): Promise<SimProxy> {
  const book = new TunnelBook(opts.outboundAddress);
  const server = net.createServer((client) => {
    book.track(client);
    client.on('error', () => client.destroy());
    serve(client, opts, book).catch(() => client.destroy());
  });
  return listenProxy(server, 'socks5', book, opts);
}
