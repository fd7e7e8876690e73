import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import bigInt from 'big-integer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { startMtprotoServer, type MtprotoServer } from '../../../../../sim/telegram/mtproto/index.js';
import { waitUntil } from './gramjs.js';
import { testHandlers } from './handlers.js';
import { RawClient } from './raw-client.js';

let server: MtprotoServer;
const h = testHandlers();
const sockets: Socket[] = [];
const raws: RawClient[] = [];

beforeAll(async () => {
  server = await startMtprotoServer({ handlers: h.handlers });
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const r of raws.splice(0)) r.close();
});

afterAll(async () => {
  await server.close();
});

/** A plain socket and whether the server has closed it. */
async function socket(): Promise<{ s: Socket; closed: () => boolean }> {
  const s = connect(server.port, '127.0.0.1');
  sockets.push(s);
  let closed = false;
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  return { s, closed: () => closed };
}

async function raw(framing: 'intermediate' | 'full' = 'intermediate', key = server.createAuthKey().key): Promise<RawClient> {
  const c = await RawClient.open(server.port, key, framing);
  raws.push(c);
  return c;
}

/** The server still serves a well-behaved client. */
async function stillServes(): Promise<void> {
  const c = await raw();
  await c.learnSalt();
  const id = await c.send(new Api.help.GetNearestDc());
  expect((await c.result(id)).body).toBeDefined();
}

describe('MTProto server under hostile clients', () => {
  it.each([
    ['random bytes', () => randomBytes(512)],
    ['an HTTP request', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a TCP-full frame of impossible length', () => Buffer.from('ffffff7f00000000', 'hex')],
  ])('closes a connection that opens with %s, and keeps serving others', async (_what, bytes) => {
    const violations = server.stats().protocolViolations;
    const { s, closed } = await socket();
    s.write(bytes());
    await waitUntil(closed, 'the server to close the connection');
    expect(server.stats().protocolViolations).toBe(violations + 1);
    await stillServes();
  });

  it('closes a TCP-full connection whose frame has a wrong checksum', async () => {
    const c = await raw('full');
    const frame = Buffer.alloc(16);
    frame.writeInt32LE(16, 0);
    frame.writeInt32LE(0, 4);
    frame.writeUInt32LE(0x11223344, 8);
    frame.writeUInt32LE(0xdeadbeef, 12);
    c.writeRaw(frame);
    await waitUntil(() => c.closed, 'the server to close the connection');
    await stillServes();
  });

  it('closes a connection whose message carries a forged msg_key, without answering it', async () => {
    const c = await raw();
    await c.learnSalt();
    // A real auth key id, then garbage for msg_key and data.
    const payload = Buffer.alloc(24 + 64);
    const key = server.createAuthKey();
    payload.writeBigUInt64LE(BigInt(key.keyId), 0);
    randomBytes(80).copy(payload, 8);
    c.writePayload(payload);
    await waitUntil(() => c.closed, 'the server to close the connection');
    expect(c.transportErrors).toEqual([]);
    await stillServes();
  });

  it('answers a message under an unknown auth key with transport error -404 and closes', async () => {
    const c = await raw('intermediate', randomBytes(256));
    await c.send(new Api.Ping({ pingId: bigInt(1) }));
    await waitUntil(() => c.closed, 'the server to close the connection');
    expect(c.transportErrors).toEqual([-404]);
  });

  it('shrugs off a truncated frame and a client that vanishes mid-frame', async () => {
    const { s } = await socket();
    s.write(Buffer.from('eeeeeeee', 'hex'));
    s.write(Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    s.destroy();
    await stillServes();
  });

  it('refuses a handshake whose p and q are not the factors of pq, with -404', async () => {
    const c = await raw('intermediate', randomBytes(256));
    c.sendPlain(new Api.ReqPqMulti({ nonce: bigInt(12345) }));
    const resPq = (await c.waitFor((m) => m.obj instanceof Api.ResPQ)).obj as Api.ResPQ;
    expect(resPq.nonce.toString()).toBe('12345');
    c.sendPlain(
      new Api.ReqDHParams({
        nonce: resPq.nonce,
        serverNonce: resPq.serverNonce,
        p: Buffer.from([2]),
        q: Buffer.from([3]),
        publicKeyFingerprint: resPq.serverPublicKeyFingerprints[0] ?? bigInt(0),
        encryptedData: randomBytes(256),
      }),
    );
    await waitUntil(() => c.closed, 'the server to close the connection');
    expect(c.transportErrors).toEqual([-404]);
  });

  it('refuses a handshake step out of order, with -404', async () => {
    const c = await raw('intermediate', randomBytes(256));
    c.sendPlain(new Api.SetClientDHParams({ nonce: bigInt(1), serverNonce: bigInt(2), encryptedData: randomBytes(64) }));
    await waitUntil(() => c.closed, 'the server to close the connection');
    expect(c.transportErrors).toEqual([-404]);
  });

  it('sends a pq that is the product of two primes below 2^31', async () => {
    const c = await raw('intermediate', randomBytes(256));
    c.sendPlain(new Api.ReqPqMulti({ nonce: bigInt(1) }));
    const resPq = (await c.waitFor((m) => m.obj instanceof Api.ResPQ)).obj as Api.ResPQ;
    const pq = BigInt(`0x${resPq.pq.toString('hex')}`);
    const p = smallestFactor(pq);
    const q = pq / p;
    expect(p * q).toBe(pq);
    expect(p).toBeGreaterThan(1n);
    expect(q).toBeLessThan(1n << 31n);
    expect(p).toBeLessThan(q);
    expect(smallestFactor(q)).toBe(q);
  });
});

/** The smaller factor of n by Pollard's rho (n itself when n is prime), as clients find it. */
function smallestFactor(n: bigint): bigint {
  if (n % 2n === 0n) return 2n;
  let x = 2n;
  let y = 2n;
  let d = 1n;
  const f = (v: bigint): bigint => (v * v + 1n) % n;
  while (d === 1n) {
    x = f(x);
    y = f(f(y));
    d = gcd(x > y ? x - y : y - x, n);
  }
  return d === n ? n : d < n / d ? d : n / d;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}
