/** A proxy in front of the simulated store that twists some of its answers the way a real store (or a proxy, a CDN, a
 *  redeploy) might: the JSON changed, another status, a huge body, a body that trickles forever. Every other request
 *  and answer passes unchanged, so the world's own chain and order book still say what money moved. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a twisted request gets instead of the store's answer. */
export type Twist =
  /** The store's answer, with its envelope's `data` rewritten (status and headers kept; the length recomputed). */
  | { readonly kind: 'data'; readonly rewrite: (data: unknown) => unknown }
  /** The store's answer body rewritten as text (status kept). */
  | { readonly kind: 'text'; readonly rewrite: (text: string) => string }
  /** A made-up answer; the store never sees the request. */
  | { readonly kind: 'answer'; readonly status: number; readonly body: string; readonly headers?: Record<string, string> }
  /** A 200 of `bytes` bytes of JSON-looking padding, with or without a content-length. */
  | { readonly kind: 'huge'; readonly bytes: number; readonly declared: boolean }
  /** A 200 whose body never ends: one byte every `everyMs`. */
  | { readonly kind: 'trickle'; readonly everyMs: number };

/** Which requests are twisted and how: null passes the request through. */
export type TwistRule = (req: { method: string; path: string }) => Twist | null;

export interface TwistingStore {
  readonly url: string;
  /** Requests twisted so far. */
  readonly twisted: () => number;
  /** Bytes written of each huge body before the client went away. */
  readonly hugeWritten: () => readonly number[];
  close(): Promise<void>;
}

export async function startTwistingStore(upstream: string, rule: TwistRule): Promise<TwistingStore> {
  const target = new URL(upstream);
  let twisted = 0;
  const hugeWritten: number[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const forward = (req: http.IncomingMessage, onAnswer: (res: http.IncomingMessage) => void, fail: () => void): void => {
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      onAnswer,
    );
    out.on('error', fail);
    req.pipe(out);
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const twist = rule({ method: req.method ?? 'GET', path });
    const fail = (): void => {
      res.destroy();
    };
    if (twist === null) {
      forward(req, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      }, fail);
      return;
    }
    twisted++;
    switch (twist.kind) {
      case 'data':
      case 'text':
        forward(req, (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body = text;
            if (twist.kind === 'text') body = twist.rewrite(text);
            else body = rewriteData(text, twist.rewrite);
            const { 'content-length': _length, etag: _etag, 'transfer-encoding': _te, ...headers } = up.headers;
            res.writeHead(up.statusCode ?? 502, { ...headers, 'content-length': Buffer.byteLength(body) });
            res.end(body);
          });
        }, fail);
        return;
      case 'answer':
        req.resume();
        res.writeHead(twist.status, { 'content-type': 'application/json', ...twist.headers });
        res.end(twist.body);
        return;
      case 'huge': {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', ...(twist.declared ? { 'content-length': String(twist.bytes) } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const index = hugeWritten.push(0) - 1;
        const pump = (): void => {
          while (hugeWritten[index]! < twist.bytes && !res.destroyed) {
            const part = chunk.subarray(0, Math.min(chunk.length, twist.bytes - hugeWritten[index]!));
            hugeWritten[index]! += part.length;
            if (!res.write(part)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
      case 'trickle': {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"ok":true,"data":');
        const t = setInterval(() => {
          if (res.destroyed) {
            clearInterval(t);
            timers.delete(t);
          } else res.write(' ');
        }, twist.everyMs);
        timers.add(t);
        res.on('error', () => undefined);
        return;
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    twisted: () => twisted,
    hugeWritten: () => hugeWritten,
    close: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `text` with its envelope's `data` rewritten; anything but a success envelope (a 404, a refusal) passes unchanged. */
function rewriteData(text: string, rewrite: (data: unknown) => unknown): string {
  let envelope: { ok?: unknown; data?: unknown };
  try {
    envelope = JSON.parse(text) as { ok?: unknown; data?: unknown };
  } catch {
    return text;
  }
  return envelope.ok === true ? JSON.stringify({ ...envelope, data: rewrite(envelope.data) }) : text;
}
