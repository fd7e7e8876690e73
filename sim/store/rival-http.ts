/** The rivals' HTTP client: plain node:http over one keep-alive agent, so a rival's requests reach the store through
 *  its real socket and middleware chain (rate limits, auth, faults, the request log) exactly like the bot's, and every
 *  socket and request can be torn down at once when the store closes. */
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

/** One keep-alive connection pool to the store, closed with `close`. */
export class RivalHttp {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly shutdown = new AbortController();

  constructor(private readonly baseUrl: string) {}

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
