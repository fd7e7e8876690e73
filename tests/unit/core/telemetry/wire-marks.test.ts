/** The wire marks end where the request really leaves: undici's head written to the socket, matched to the order
 *  that was marked (also when undici's pool queues it behind a busy connection), its answer read, and an undici
 *  request written inside a payment send, shared by every member of the same message. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markOrderRequest, runSend, type OrderWire, type SendWire } from '../../../../core/telemetry/wire-marks.js';

let server: http.Server;
let base: string;
/** Requests the server holds until released, so a test can keep a connection busy. */
const held: (() => void)[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const answer = (): void => void res.end(JSON.stringify({ path: req.url }));
    if (req.url?.includes('hold')) held.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const mark = (): OrderWire & { wired: number[] } => {
  const wired: number[] = [];
  return { wireAt: null, answerAt: null, wired, onWire: (at) => wired.push(at) };
};

describe('order requests on the wire', () => {
  it('marks the order request written after it was handed over and its answer read after that', async () => {
    const agent = new Agent({ connections: 1 });
    const m = mark();
    const handed = performance.now();
    markOrderRequest(m);
    const res = await request(`${base}/api/v1/shop/buy/crypto?count=1`, { method: 'POST', dispatcher: agent });
    await res.body.text();
    expect(m.wireAt).not.toBeNull();
    expect(m.wireAt!).toBeGreaterThanOrEqual(handed);
    expect(m.answerAt!).toBeGreaterThanOrEqual(m.wireAt!);
    expect(m.wired).toEqual([m.wireAt]);
    await agent.close();
  });

  it('matches queued order requests to their marks in order, and leaves unmarked requests alone', async () => {
    // One connection, kept busy by a held request: the orders wait in undici's pool and are created later.
    const agent = new Agent({ connections: 1, pipelining: 1 });
    const busy = request(`${base}/hold`, { method: 'GET', dispatcher: agent });
    await new Promise((r) => setTimeout(r, 50));
    const first = mark();
    const second = mark();
    markOrderRequest(first);
    const a = request(`${base}/api/v1/shop/buy/crypto?n=1`, { method: 'POST', dispatcher: agent });
    await Promise.resolve();
    markOrderRequest(second);
    const b = request(`${base}/api/v1/shop/buy?n=2`, { method: 'POST', dispatcher: agent });
    await new Promise((r) => setTimeout(r, 50));
    expect(first.wireAt).toBeNull();
    held.shift()!();
    await (await busy).body.text();
    const [ra, rb] = await Promise.all([a, b]);
    expect(JSON.parse(await ra.body.text())).toEqual({ path: '/api/v1/shop/buy/crypto?n=1' });
    await rb.body.text();
    expect(first.wireAt).not.toBeNull();
    expect(second.wireAt!).toBeGreaterThanOrEqual(first.wireAt!);
    expect(first.wired).toHaveLength(1);
    expect(second.wired).toHaveLength(1);
    await agent.close();
  });
});

describe('payment sends on the wire', () => {
  const agent = new Agent();
  afterAll(() => agent.close());
  /** toncenter's sendBoc as the TON plugin makes it: a POST over undici. */
  const post = async (): Promise<void> => {
    const answer = await request(`${base}/jsonRPC`, { method: 'POST', body: '{"method":"sendBoc"}', dispatcher: agent });
    await answer.body.text();
  };

  it('notes the first undici request written inside a send under its message, for every member of it', async () => {
    const written = new Map<string, number>();
    const last: SendWire = { group: 'boc:abc', written };
    const earlier: SendWire = { group: 'boc:abc', written };
    const before = performance.now();
    // The batch goes out from the member that arrives last; the earlier one only waits.
    await Promise.all([runSend(earlier, async () => undefined), runSend(last, post)]);
    expect(written.get('boc:abc')!).toBeGreaterThanOrEqual(before);
    const first = written.get('boc:abc');
    await runSend(last, post);
    expect(written.get('boc:abc')).toBe(first);
  });

  it('notes nothing for a send that writes no request, nor for requests outside any send', async () => {
    const written = new Map<string, number>();
    await runSend({ group: 'stars:1', written }, async () => undefined);
    await post();
    expect(written.size).toBe(0);
  });

  it('leaves an order marked in the same tick to its own request: a send never takes an order\'s mark', async () => {
    // The order's pool has its one connection busy, so the order's request is created (and written) only once freed.
    const orders = new Agent({ connections: 1, pipelining: 1 });
    const busy = request(`${base}/hold`, { method: 'GET', dispatcher: orders });
    await new Promise((r) => setTimeout(r, 50));
    const written = new Map<string, number>();
    const order = mark();
    // The order is marked, then a send's request is created (and written at once) before the order's, in that tick.
    markOrderRequest(order);
    const sent = runSend({ group: 'boc:def', written }, post);
    const ordered = request(`${base}/api/v1/shop/buy/crypto`, { method: 'POST', dispatcher: orders });
    await sent;
    expect(written.has('boc:def')).toBe(true);
    expect(order.wired).toEqual([]);
    held.shift()!();
    await (await busy).body.text();
    await (await ordered).body.text();
    expect(order.wired).toHaveLength(1);
    expect(order.wireAt!).toBeGreaterThan(written.get('boc:def')!);
    await orders.close();
  });
});
