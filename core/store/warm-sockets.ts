/** Store connections opened before the drop, so that the drop's first orders are written on sockets already
 *  connected (and, over HTTPS, past the TLS handshake: one to three network round trips each, the largest part of
 *  "detect → on the wire" on a real network). undici opens a connection only for a request, so these are opened by
 *  undici's own connector and handed to its pool through the Agent's `connect` option when the pool next needs a new
 *  connection to that origin. A warm socket is handed out only while fresh (WARM_SOCKET_MAX_AGE_MS, the idle time
 *  undici itself trusts a kept-alive connection for); an older one, or one the server closed, is dropped. */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/** Longest a warm socket waits for a request: a server may close a connection that sent nothing (Node's 5 s
 *  keep-alive, a proxy's header timeout); undici's own default keep-alive is 4 s. */
export const WARM_SOCKET_MAX_AGE_MS = 4_000;

interface Warm {
  readonly socket: Socket;
  readonly openedAt: number;
  /** Stops watching the socket for the server closing it (it is being handed to undici). */
  unwatch(): void;
}

export class WarmSockets {
  private readonly base: buildConnector.connector;
  /** Fresh connected sockets by origin (`protocol//hostname:port`), oldest first. */
  private readonly stash = new Map<string, Warm[]>();
  private closed = false;
  /** How many connections undici's pool took warm, and how many it had to open (for the run's log). */
  readonly used = { warm: 0, cold: 0 };

  constructor(private readonly now: () => number = () => performance.now(), options: buildConnector.BuildOptions = {}) {
    this.base = buildConnector(options);
  }

  /** The Agent's connector: a fresh warm socket to the origin when there is one, else a new connection. */
  readonly connect: buildConnector.connector = (options, callback) => {
    const warm = this.take(originKey(options.protocol, options.hostname, options.port));
    if (warm !== null) {
      this.used.warm += 1;
      // Never from inside the call: undici's client is still in the middle of asking (a connection opened on the
      // network always answers later).
      process.nextTick(() => callback(null, warm));
      return;
    }
    this.used.cold += 1;
    this.base(options, callback);
  };

  /** Tops the origin's warm sockets up to `count` that stay fresh for at least `lifeMs` more (the others closed
   *  first: a caller topping up every `lifeMs` is never without); resolves with how many are ready. A failed
   *  connection is left out: the drop opens its own, as without warming. */
  async warm(origin: string, count: number, lifeMs = 0): Promise<number> {
    const url = new URL(origin);
    const key = originKey(url.protocol, url.hostname, url.port);
    const fresh = this.fresh(key, lifeMs);
    const missing = Math.max(0, count - fresh.length);
    const opened = await Promise.all(Array.from({ length: missing }, () => this.open(url)));
    for (const socket of opened) {
      if (socket === null) continue;
      if (this.closed) {
        socket.destroy();
        continue;
      }
      this.keep(key, socket);
    }
    return this.fresh(key).length;
  }

  /** How many fresh warm sockets wait for `origin`. */
  ready(origin: string): number {
    const url = new URL(origin);
    return this.fresh(originKey(url.protocol, url.hostname, url.port)).length;
  }

  /** Closes every warm socket; later warm-ups open nothing. */
  close(): void {
    this.closed = true;
    for (const list of this.stash.values()) for (const w of list) w.socket.destroy();
    this.stash.clear();
  }

  private open(url: URL): Promise<Socket | null> {
    return new Promise((resolve) => {
      this.base({ protocol: url.protocol, hostname: url.hostname, host: url.host, port: url.port, servername: url.hostname }, (err, socket) => {
        resolve(err === null ? socket : null);
      });
    });
  }

  private keep(key: string, socket: Socket): void {
    let list = this.stash.get(key);
    if (list === undefined) {
      list = [];
      this.stash.set(key, list);
    }
    const stashed = list;
    // Closed by the server (or reset) while waiting: it is no longer handed out.
    const forget = (): void => {
      const at = stashed.indexOf(warm);
      if (at >= 0) stashed.splice(at, 1);
    };
    const ended = (): void => {
      forget();
      socket.destroy();
    };
    // Read as undici reads (paused, on 'readable'), so that the server's close is seen as it comes: nothing is sent
    // before a request, so anything read means the socket cannot carry one.
    const readable = (): void => {
      if (socket.read() !== null) ended();
    };
    socket.once('close', forget);
    socket.once('end', ended);
    socket.on('readable', readable);
    const warm: Warm = {
      socket, openedAt: this.now(),
      unwatch: () => {
        socket.off('close', forget);
        socket.off('end', ended);
        socket.off('readable', readable);
      },
    };
    stashed.push(warm);
  }

  /** The origin's fresh sockets (fresh for `lifeMs` more), after closing the others and the dead ones. */
  private fresh(key: string, lifeMs = 0): Warm[] {
    const list = this.stash.get(key) ?? [];
    const now = this.now();
    for (let i = list.length - 1; i >= 0; i -= 1) {
      const w = list[i]!;
      if (now + lifeMs - w.openedAt > WARM_SOCKET_MAX_AGE_MS || w.socket.destroyed || !w.socket.writable) {
        list.splice(i, 1);
        w.socket.destroy();
      }
    }
    return list;
  }

  /** The newest fresh socket for the origin (it has the longest left to live), or null. */
  private take(key: string): Socket | null {
    const warm = this.fresh(key).pop();
    if (warm === undefined) return null;
    warm.unwatch();
    return warm.socket;
  }
}

function originKey(protocol: string, hostname: string, port: string): string {
  const p = port === '' ? (protocol === 'https:' ? '443' : '80') : port;
  // URL keeps an IPv6 literal's brackets; undici hands its connector the address without them.
  return `${protocol}//${hostname.replace(/^\[(.*)\]$/, '$1')}:${p}`;
}
