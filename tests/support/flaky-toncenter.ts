/** A toncenter in front of the simulated chain that answers the next few calls of a method with a failure (toncenter's
 *  429 by default, or any status), as the real one does to a client over its rate or during an outage; everything
 *  else is passed through. `down()` fails every call until `up()`; `listNothing(true)` answers every transaction
 *  listing with an empty one, as an indexer that lags the state does; `holdNext(method)` keeps the next call of a
 *  method unanswered until released (a slow answer). Counts what reached it per method. */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlakyToncenter {
  readonly endpoint: string;
  /** The next `times` calls of `method` get `status` (429 unless told). */
  failNext(method: string, times: number, status?: number): void;
  failuresLeft(method: string): number;
  /** Every call fails with 503 until `up()`. */
  down(): void;
  up(): void;
  /** While on, a sendBoc never reaches the chain: it is answered 503 and the outage starts (`down()`), as when the
   *  connection to toncenter is lost with the message. */
  loseSends(on: boolean): void;
  /** While on, getTransactions answers an empty listing. */
  listNothing(on: boolean): void;
  /** The next call of `method` is held unanswered until `release()`; `arrived` resolves once it has come. */
  holdNext(method: string): { arrived: Promise<void>; release(): void };
  /** Calls of `method` that reached this proxy (failed or passed on). */
  calls(method: string): number;
  /** The params of every call of `method` since the last `forget()`, oldest first. */
  params(method: string): Record<string, unknown>[];
  /** The method of every call since the last `forget()`, oldest first. */
  methods(): string[];
  forget(): void;
  close(): Promise<void>;
}

export async function startFlakyToncenter(upstream: string): Promise<FlakyToncenter> {
  const failures = new Map<string, { left: number; status: number }>();
  const seen = new Map<string, number>();
  let log: { method: string; params: Record<string, unknown> }[] = [];
  let outage = false;
  let emptyListings = false;
  let losingSends = false;
  const holds = new Map<string, { arrive: () => void; released: Promise<void> }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const call = JSON.parse(body) as { method?: string; params?: Record<string, unknown> };
      const method = call.method ?? '';
      seen.set(method, (seen.get(method) ?? 0) + 1);
      log.push({ method, params: call.params ?? {} });
      const hold = holds.get(method);
      holds.delete(method);
      hold?.arrive();
      void (hold?.released ?? Promise.resolve()).then(() => answer(method, body, res));
    });
  });
  /** Answers one call as planned: failed, empty, or passed on to the chain. */
  function answer(method: string, body: string, res: ServerResponse): void {
    if (losingSends && method.startsWith('sendBoc')) outage = true;
    const planned = failures.get(method);
    if (outage || (planned && planned.left > 0)) {
      if (planned && planned.left > 0 && !outage) planned.left -= 1;
      const status = outage ? 503 : planned!.status;
      const error = status === 429 ? 'Ratelimit exceed' : 'Service Unavailable';
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error, code: status }));
      return;
    }
    if (emptyListings && method === 'getTransactions') {
      const id = (JSON.parse(body) as { id?: unknown }).id ?? null;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: [], id, jsonrpc: '2.0' }));
      return;
    }
    fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      .then(async (answer) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
      .catch(() => res.writeHead(502).end());
  }
  // Longer than clients' idle timeout (Node's agent: 5 s), so a reused socket is never reset mid-request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jsonRPC`,
    failNext: (method, times, status = 429) => void failures.set(method, { left: times, status }),
    failuresLeft: (method) => failures.get(method)?.left ?? 0,
    down: () => void (outage = true),
    up: () => void (outage = false),
    listNothing: (on) => void (emptyListings = on),
    loseSends: (on) => void (losingSends = on),
    holdNext: (method) => {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((r) => (arrive = r));
      holds.set(method, { arrive, released: new Promise<void>((r) => (release = r)) });
      return { arrived, release };
    },
    calls: (method) => seen.get(method) ?? 0,
    params: (method) => log.filter((c) => c.method === method).map((c) => c.params),
    methods: () => log.map((c) => c.method),
    forget: () => void (log = []),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
