/** Broadcasting a signed message to toncenter over undici, on keep-alive connections of its own, kept warm by the
 *  plugin's clock reads (`warm`). TonClient (axios) still does every other read; the send is the one call on a drop's
 *  hot path, and through axios it cost ~10 ms of this process's time between the payer's send and the request on the
 *  socket (the bench, one account), plus a connection opened at the drop. The call is
 *  toncenter v2's JSON-RPC `sendBoc`, the same TonClient's `sendFile` makes, and its failures are the same
 *  TonPaymentError (`TON_RPC_FAILED`: status, toncenter's error text, or the transport's code; never the URL nor the
 *  API key). */
import { Pool } from 'undici';
import { parseJson, toncenterCallFailure, type ToncenterOperation } from './ton-payment-error.js';

/** Most of an answer read: toncenter's answers to sendBoc are a few hundred bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** As long as TonClient waits for any call. */
const TIMEOUT_MS = 15_000;
/** Longest closing waits for calls still out before it cuts them (a run's end must not hang on toncenter). */
const CLOSE_WAIT_MS = 2_000;
/** Longest an idle connection is kept (when the server's keep-alive hint allows it). */
const KEEP_ALIVE_MS = 30_000;

export class BocSender {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(endpoint: string, apiKey: string | undefined) {
    const url = new URL(endpoint);
    // Idle connections are kept for as long as the server allows, up to half a minute: the clock reads (warm) come
    // every 20 s, so where toncenter keeps a connection that long the drop's send finds one open.
    // As many sends at once as a fleet's wallets make at a drop (TonClient's axios had no cap at all).
    this.pool = new Pool(url.origin, {
      connections: 32, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_MS, keepAliveMaxTimeout: KEEP_ALIVE_MS,
    });
    this.path = url.pathname + url.search;
    this.headers = { 'content-type': 'application/json', ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }) };
  }

  /** Sends the message (base64 BOC); resolves once toncenter took it, rejects with TON_RPC_FAILED otherwise. */
  async send(boc: string, signal?: AbortSignal): Promise<void> {
    await this.call('sendFile', 'sendBoc', { boc }, signal);
  }

  /** Opens (or keeps open) a connection before the drop with a read whose answer is of use: the Unix time toncenter's
   *  node last synced at, as `getAddressInformation` of `address` states it (null when it does not). */
  async warm(address: string): Promise<number | null> {
    const result = await this.call('getContractState', 'getAddressInformation', { address });
    const utime = typeof result === 'object' && result !== null ? (result as { sync_utime?: unknown }).sync_utime : undefined;
    return typeof utime === 'number' && Number.isFinite(utime) ? utime : null;
  }

  /** One JSON-RPC call: its `result`, or TON_RPC_FAILED named after `operation`. */
  private async call(operation: ToncenterOperation, method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    let status: number;
    let text: string;
    try {
      const answer = await this.pool.request({
        method: 'POST', path: this.path, headers: this.headers, signal,
        body: JSON.stringify({ id: 1, jsonrpc: '2.0', method, params }),
      });
      status = answer.statusCode;
      text = await readCapped(answer.body);
    } catch (e) {
      // No answer: only the transport's code is kept (undici's error may name the URL).
      const code = (e as { code?: unknown }).code;
      throw toncenterCallFailure(operation, typeof code === 'string' ? { transport: code } : {});
    }
    const body = parseJson(text);
    const ok = typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === true;
    if (status === 200 && ok) return (body as { result?: unknown }).result;
    throw toncenterCallFailure(operation, { status, body: body ?? null, malformed: body === undefined && status === 200 });
  }

  /** Closes its connections (once: closing again does nothing), waiting at most CLOSE_WAIT_MS for calls still out. */
  async close(): Promise<void> {
    if (this.pool.closed || this.pool.destroyed) return;
    const closing = this.pool.close().then(() => true, () => true);
    const waited = await Promise.race([closing, new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_WAIT_MS).unref())]);
    if (!waited) await this.pool.destroy();
  }
}

/** The answer as text, at most MAX_ANSWER_BYTES of it (a larger one is cut, and will not parse). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES + 1).toString('utf8');
}
