/** The broadcast over undici: what it sends toncenter, and each way an answer can fail as the same clean
 *  TON_RPC_FAILED the reads raise (broadcast.ts decides from it whether to send again). */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BocSender } from '../../../../plugins/ton/boc-sender.js';
import { isTransientBroadcastFailure } from '../../../../plugins/ton/broadcast.js';

const API_KEY = 'feedface-toncenter-key-0042';

interface Seen {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const servers: Server[] = [];
const senders: BocSender[] = [];

afterEach(async () => {
  for (const s of senders.splice(0)) await s.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A toncenter whose answers the test writes; every request it got is kept. */
async function toncenter(answer: (res: ServerResponse) => void): Promise<{ endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      answer(res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/jsonRPC`, seen };
}

function sender(endpoint: string, opts: { keyless?: boolean } = {}): BocSender {
  const s = new BocSender(endpoint, opts.keyless === true ? undefined : API_KEY);
  senders.push(s);
  return s;
}

const json = (status: number, body: unknown) => (res: ServerResponse): void =>
  void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('sending a signed message to toncenter', () => {
  it("asks toncenter's JSON-RPC sendBoc at the configured endpoint with the API key, and resolves once taken", async () => {
    const t = await toncenter(json(200, { ok: true, result: { '@type': 'ok' }, jsonrpc: '2.0', id: 1 }));
    await sender(t.endpoint).send('te6cckEBAQEA');
    expect(t.seen).toHaveLength(1);
    expect(t.seen[0]!.url).toBe('/api/v2/jsonRPC');
    expect(t.seen[0]!.headers['x-api-key']).toBe(API_KEY);
    expect(t.seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(t.seen[0]!.body)).toEqual({ id: 1, jsonrpc: '2.0', method: 'sendBoc', params: { boc: 'te6cckEBAQEA' } });
    // Without a key, no key header.
    await sender(t.endpoint, { keyless: true }).send('te6cckEBAQEA');
    expect(t.seen[1]!.headers).not.toHaveProperty('x-api-key');
  });

  it('reports a refusal with its status and toncenter\'s text: a node that evaluated the message is not asked again', async () => {
    const t = await toncenter(json(500, { ok: false, error: 'cannot apply external message to current state : seqno mismatch', code: 500 }));
    const err = await sender(t.endpoint).send('te6cc').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'TON_RPC_FAILED',
      details: { operation: 'sendFile', status: 500, toncenterError: 'cannot apply external message to current state : seqno mismatch' },
    });
    expect(isTransientBroadcastFailure(err)).toBe(false);
    expect(JSON.stringify(err)).not.toContain(API_KEY);
  });

  it('reports a 200 that says ok: false as toncenter does through TonClient (status 200 and the text)', async () => {
    const t = await toncenter(json(200, { ok: false, error: 'Incorrect address', code: 416 }));
    await expect(sender(t.endpoint).send('te6cc')).rejects.toMatchObject({ details: { status: 200, toncenterError: 'Incorrect address' } });
  });

  it('sends again after a 429 or a 503 (transient), and reports a 200 it cannot read as malformed', async () => {
    for (const status of [429, 503]) {
      const t = await toncenter(json(status, { ok: false, error: 'Ratelimit exceed' }));
      const err = await sender(t.endpoint).send('te6cc').catch((e: unknown) => e);
      expect(err).toMatchObject({ details: { status } });
      expect(isTransientBroadcastFailure(err)).toBe(true);
    }
    const garbled = await toncenter((res) => void res.writeHead(200).end('<html>gateway</html>'));
    await expect(sender(garbled.endpoint).send('te6cc')).rejects.toMatchObject({ details: { status: 200, malformed: true } });
  });

  it('reads no more than 64 kB of an answer, however large', async () => {
    let written = 0;
    const t = await toncenter((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // Up to 50 MB, stopped once the client hangs up.
      const pump = (): void => {
        while (written < 50 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    await expect(sender(t.endpoint).send('te6cc')).rejects.toMatchObject({ details: { status: 200, malformed: true } });
    expect(written).toBeLessThan(50 * 1024 * 1024);
  });

  it('names only the transport failure when nothing answered, and that is worth sending again', async () => {
    const t = await toncenter(json(200, {}));
    const endpoint = t.endpoint;
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    const err = await sender(endpoint).send('te6cc').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TON_RPC_FAILED', details: { operation: 'sendFile', transport: 'ECONNREFUSED' } });
    expect((err as { details: object }).details).not.toHaveProperty('status');
    expect((err as Error).message).toBe('toncenter sendFile failed: ECONNREFUSED');
    expect(isTransientBroadcastFailure(err)).toBe(true);
  });

  it("warms its connection with a read of the node's sync time, null when the answer states none", async () => {
    const t = await toncenter(json(200, { ok: true, result: { '@type': 'raw.fullAccountState', balance: '0', sync_utime: 1_765_000_000 } }));
    const s = sender(t.endpoint);
    expect(await s.warm('EQAddress')).toBe(1_765_000_000);
    expect(JSON.parse(t.seen[0]!.body)).toEqual({ id: 1, jsonrpc: '2.0', method: 'getAddressInformation', params: { address: 'EQAddress' } });
    const odd = await toncenter(json(200, { ok: true, result: { sync_utime: 'soon' } }));
    expect(await sender(odd.endpoint).warm('EQAddress')).toBeNull();
    const refusing = await toncenter(json(429, { ok: false, error: 'Ratelimit exceed' }));
    await expect(sender(refusing.endpoint).warm('EQAddress')).rejects.toMatchObject({ details: { operation: 'getContractState', status: 429 } });
  });
});
