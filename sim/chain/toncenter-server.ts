/** The HTTP face of the simulated chain: toncenter v2's JSON-RPC endpoint (`POST /jsonRPC`, also under
 *  `/api/v2/jsonRPC`). Answers carry toncenter's envelope `{ok, result | error, code, id, jsonrpc}` with the HTTP
 *  status toncenter uses for the same failure. With an API key configured, a request presenting it (header
 *  `X-API-Key` or query `api_key`) passes freely, a wrong key gets 401, and a request without one is held to
 *  1 rps per client and otherwise gets 429, as on toncenter. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ToncenterError } from './errors.js';
import { RateLimit } from './rate-limit.js';
import type { RpcMethod } from './rpc.js';

export interface ToncenterServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly methods: ReadonlyMap<string, RpcMethod>;
  readonly apiKey?: string;
  /** Requests with a larger body get 413. */
  readonly maxBodyBytes: number;
}

export interface ToncenterServer {
  /** `http://HOST:PORT/jsonRPC`, what TonClient takes as `endpoint`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const PATHS = new Set(['/jsonRPC', '/api/v2/jsonRPC']);
const KEYLESS_RPS = 1;

type Envelope = { ok: true; result: unknown } | { ok: false; error: string; code: number };

/** Starts listening; resolves once the port is bound. */
export async function startToncenterServer(opts: ToncenterServerOptions): Promise<ToncenterServer> {
  const limit = new RateLimit(KEYLESS_RPS);
  const keyDigest = opts.apiKey === undefined ? undefined : digest(opts.apiKey);

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // Only a failure to write the answer gets here; the client is gone or the socket broke.
      process.emitWarning(`toncenter simulator could not answer: ${(e as Error).message}`);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!PATHS.has(url.pathname)) return send(res, 404, { ok: false, error: 'Not Found', code: 404 });
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return send(res, 405, { ok: false, error: 'Method Not Allowed', code: 405 });
    }

    const presented = headerValue(req.headers['x-api-key']) ?? url.searchParams.get('api_key') ?? undefined;
    if (keyDigest !== undefined) {
      if (presented !== undefined && !timingSafeEqual(digest(presented), keyDigest)) {
        return send(res, 401, { ok: false, error: 'API key does not exist', code: 401 });
      }
      if (presented === undefined) {
        const decision = limit.take(req.socket.remoteAddress ?? 'unknown', performance.now());
        if (!decision.allowed) {
          res.setHeader('Retry-After', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
          return send(res, 429, { ok: false, error: 'Ratelimit exceed', code: 429 });
        }
      }
    }

    const body = await readBody(req, opts.maxBodyBytes);
    if (body === 'too-large') {
      res.setHeader('Connection', 'close');
      return send(res, 413, { ok: false, error: `Request body exceeds ${opts.maxBodyBytes} bytes`, code: 413 });
    }
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return send(res, 400, { ok: false, error: `Invalid JSON: ${(e as Error).message}`, code: 400 }, null);
    }
    if (typeof request !== 'object' || request === null || typeof (request as { method?: unknown }).method !== 'string') {
      return send(res, 422, { ok: false, error: 'Validation error: body must be a JSON-RPC request with a method', code: 422 }, null);
    }
    const { method, params, id } = request as { method: string; params?: unknown; id?: unknown };
    const call = opts.methods.get(method);
    if (!call) return send(res, 422, { ok: false, error: 'Unknown method', code: 422 }, id);
    const outcome = await invoke(call, params);
    return send(res, outcome.ok ? 200 : outcome.code, outcome, id);
  }

  // Idle keep-alive sockets outlive the clients' own idle timeouts (Node's agent: 5 s), so a client never sends a
  // request on a socket the server is closing at that instant (an ECONNRESET no real toncenter would cause).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  return {
    endpoint: `http://${host}:${port}/jsonRPC`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Runs one method; a ToncenterError becomes toncenter's error answer, anything else its generic 503. */
async function invoke(call: RpcMethod, params: unknown): Promise<Envelope> {
  try {
    return { ok: true, result: await call(params) };
  } catch (e) {
    if (e instanceof ToncenterError) return { ok: false, error: e.message, code: e.status };
    return { ok: false, error: e instanceof Error ? e.message : String(e), code: 503 };
  }
}

/** The whole body, or 'too-large' as soon as it is known to exceed `max` bytes. The rest is left unread (not
 *  destroyed, which would take the socket and the 413 with it); the answer closes the connection instead. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve('too-large');
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, status: number, envelope: Envelope, id?: unknown): void {
  const body = JSON.stringify({ ...envelope, ...(id === undefined ? {} : { id }), jsonrpc: '2.0' });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
