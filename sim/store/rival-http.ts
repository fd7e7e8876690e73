/** A rival's HTTP client: plain node:http over one keep-alive agent, so a rival's requests reach the store through
 *  its real socket and middleware chain (rate limits, auth, faults, the request log) exactly like the bot's, from a
 *  loopback address of its own (another person's bot calls from another IP: sharing ours would put its polls in our
 *  per-IP window), and every socket and request can be torn down at once when the store closes. */
import { Agent, request } from 'node:http';

/** What a rival reads of one answer. */
export interface RivalAnswer {
  readonly status: number;
  /** `Retry-After` in seconds, when the answer carried one that reads as a number. */
  readonly retryAfterSec: number | null;
  /** The parsed body, or null when it was not JSON. */
  readonly body: unknown;
}

/** Bodies a rival reads are a collection or an invoice link; anything longer is not worth reading. */
const MAX_BODY_BYTES = 256 * 1024;
/** A rival gives up on a request after this long (a slow-answer fault must not hold it for ever). */
const REQUEST_TIMEOUT_MS = 10_000;

/** The loopback address the rival at `index` (0-based) calls from: 127.9.x.y, apart from the world's own 127.0.0.1
 *  and its proxies' 127.0.x.y. Linux answers on all of 127.0.0.0/8. */
export function rivalAddress(index: number): string {
  const n = index + 1;
  return `127.9.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** One keep-alive connection pool to the store from one source address, closed with `close`. */
export class RivalHttp {
  private readonly agent: Agent;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly baseUrl: string,
    localAddress?: string,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ...(localAddress === undefined ? {} : { localAddress }) });
  }

  /** Sends one request with `token` as bearer; rejects on a transport failure, a timeout or `close`. */
  send(method: 'GET' | 'POST', pathAndQuery: string, token: string): Promise<RivalAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(pathAndQuery, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: this.shutdown.signal,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const header = res.headers['retry-after'];
            const retryAfter = header === undefined ? NaN : Number(header);
            resolve({
              status: res.statusCode ?? 0,
              retryAfterSec: Number.isFinite(retryAfter) ? retryAfter : null,
              body: size > MAX_BODY_BYTES ? null : parseJson(Buffer.concat(chunks).toString('utf8')),
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('rival request timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  /** Aborts every request in flight and destroys the pool's sockets. */
  close(): void {
    this.shutdown.abort();
    this.agent.destroy();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
