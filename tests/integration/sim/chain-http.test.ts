import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { TonClient, type Address } from '@ton/ton';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type SimChain } from '../../../sim/chain/index.js';

/** No block is needed here; keep the producer quiet. */
const MANUAL_BLOCKS_MS = 3_600_000;

interface HttpFailure {
  response: { status: number; data: { ok: boolean; error: string; code: number } };
}

/** TonClient's HTTP layer (axios) rejects non-2xx answers with the status and body on `response`. */
function isHttpFailure(e: unknown): e is HttpFailure {
  return typeof e === 'object' && e !== null && 'response' in e && typeof (e as HttpFailure).response?.status === 'number';
}

/** The toncenter error body of a failed TonClient call. */
async function toncenterFailure(call: Promise<unknown>): Promise<{ status: number; body: { ok: boolean; error: string; code: number } }> {
  try {
    await call;
  } catch (e) {
    if (isHttpFailure(e)) return { status: e.response.status, body: e.response.data };
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('simulated toncenter HTTP', () => {
  let chain: SimChain;
  const apiKey = 'sim-key-' + randomBytes(8).toString('hex');

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS, apiKey, maxBodyBytes: 4096 });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('limits callers without the API key to 1 rps with 429, and lets the key through', async () => {
    const keyless = new TonClient({ endpoint: chain.endpoint });
    const results = await Promise.allSettled([1, 2, 3].map(() => keyless.getMasterchainInfo()));
    const limited = results.filter((r) => r.status === 'rejected');
    expect(limited.length).toBeGreaterThanOrEqual(2);
    const reason = (limited[0] as PromiseRejectedResult).reason;
    expect(isHttpFailure(reason) && reason.response.status).toBe(429);
    expect(isHttpFailure(reason) && reason.response.data).toMatchObject({ ok: false, code: 429 });

    const keyed = new TonClient({ endpoint: chain.endpoint, apiKey });
    const infos = await Promise.all([1, 2, 3, 4, 5].map(() => keyed.getMasterchainInfo()));
    expect(infos).toHaveLength(5);
  });

  it('answers 401 to a wrong API key', async () => {
    const wrong = new TonClient({ endpoint: chain.endpoint, apiKey: 'not-the-key' });
    const failure = await toncenterFailure(wrong.getMasterchainInfo());
    expect(failure.status).toBe(401);
  });

  it('serves the /api/v2/jsonRPC path, and answers other paths and verbs with 404 and 405', async () => {
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
    const body = JSON.stringify({ id: 7, jsonrpc: '2.0', method: 'getMasterchainInfo', params: {} });
    const v2 = await fetch(chain.endpoint.replace('/jsonRPC', '/api/v2/jsonRPC'), { method: 'POST', headers, body });
    expect(v2.status).toBe(200);
    expect(await v2.json()).toMatchObject({ ok: true, id: 7, result: { '@type': 'blocks.masterchainInfo' } });
    expect((await fetch(chain.endpoint.replace('/jsonRPC', '/elsewhere'), { method: 'POST', headers, body })).status).toBe(404);
    const get = await fetch(chain.endpoint, { headers });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers invalid JSON with 400, an unknown method with 422 and a bad address with 416', async () => {
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
    const invalid = await fetch(chain.endpoint, { method: 'POST', headers, body: '{"method": ' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ ok: false, code: 400 });

    const unknown = await fetch(chain.endpoint, { method: 'POST', headers, body: JSON.stringify({ id: '1', method: 'getEverything', params: {} }) });
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ ok: false, error: 'Unknown method', id: '1' });

    const keyed = new TonClient({ endpoint: chain.endpoint, apiKey });
    const badAddress = await toncenterFailure(keyed.getBalance('nonsense' as unknown as Address));
    expect(badAddress.status).toBe(416);
  });

  it('answers an oversized body with 413', async () => {
    const res = await fetch(chain.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ id: '1', method: 'sendBoc', params: { boc: 'A'.repeat(8192) } }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ ok: false, code: 413 });
  });

  it('keeps the connection alive across requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const body = JSON.stringify({ id: '1', jsonrpc: '2.0', method: 'getMasterchainInfo', params: {} });
    const reused: boolean[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        reused.push(
          await new Promise<boolean>((resolve, reject) => {
            const req = http.request(chain.endpoint, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': apiKey } }, (res) => {
              res.resume();
              res.on('end', () => resolve(req.reusedSocket));
            });
            req.on('error', reject);
            req.end(body);
          }),
        );
      }
    } finally {
      agent.destroy();
    }
    expect(reused).toEqual([false, true, true]);
  });
});
