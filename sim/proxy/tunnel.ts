/** What both simulated proxies share: opening the outbound leg of a tunnel from the address the proxy stands for (so
 *  the store, which rate-limits by the address it sees, tells two proxies apart), piping both ways, and counting the
 *  tunnels each destination got, so a test can prove which connections went through which proxy. */
import net from 'node:net';
import type http from 'node:http';

/** One tunnel the proxy opened: where to, and when. */
export interface TunnelRecord {
  readonly host: string;
  readonly port: number;
  readonly at: number;
}

/** A proxy's shared state: its outbound address, its credentials and what it has tunnelled. */
export class TunnelBook {
  readonly tunnels: TunnelRecord[] = [];
  /** Handshakes refused for bad credentials. */
  refusedLogins = 0;
  private readonly open = new Set<net.Socket>();

  constructor(
    /** The loopback address outbound legs leave from (127.0.0.x): the IP this proxy "is" to the store. */
    readonly outboundAddress: string | undefined,
  ) {}

  /** Opens the outbound leg to host:port; resolves once connected, rejects when the destination refuses. */
  connect(host: string, port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const upstream = net.connect({ host, port, ...(this.outboundAddress === undefined ? {} : { localAddress: this.outboundAddress }) });
      upstream.once('connect', () => {
        upstream.removeListener('error', reject);
        this.tunnels.push({ host, port, at: Date.now() });
        resolve(upstream);
      });
      upstream.once('error', reject);
    });
  }

  /** Pipes client and upstream both ways until either side ends; both are destroyed with the proxy. */
  splice(client: net.Socket, upstream: net.Socket, head?: Buffer): void {
    this.track(client);
    this.track(upstream);
    if (head !== undefined && head.length > 0) upstream.write(head);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Remembers a socket so `destroyAll` can end it. */
  track(socket: net.Socket): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  /** Ends every open connection (the proxy is closing). */
  destroyAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  /** Tunnels opened to `port` (a destination server's port). */
  tunnelsTo(port: number): number {
    return this.tunnels.filter((t) => t.port === port).length;
  }
}

/** A simulated proxy listening on loopback. */
export interface SimProxy {
  /** The URL an account's `proxy` names (credentials included). */
  readonly url: string;
  readonly port: number;
  readonly book: TunnelBook;
  close(): Promise<void>;
}

/** Listens on a loopback port chosen by the OS and gives the proxy's URL (`scheme://user:pass@127.0.0.1:port`) and a
 *  close that ends every tunnel first (shared by the SOCKS5 and the HTTP CONNECT proxy). */
export async function listenProxy(
  server: net.Server | http.Server, scheme: string, book: TunnelBook, credentials: { readonly username?: string; readonly password?: string },
): Promise<SimProxy> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const { username, password } = credentials;
  const auth = username === undefined ? '' : `${encodeURIComponent(username)}:${encodeURIComponent(password ?? '')}@`;
  return {
    url: `${scheme}://${auth}127.0.0.1:${port}`,
    port,
    book,
    close: () => new Promise((resolve) => {
      book.destroyAll();
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
