import { gzipSync } from 'node:zlib';
import bigInt from 'big-integer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import { startMtprotoServer, type MtprotoServer } from '../../../../../sim/telegram/mtproto/index.js';
import { testHandlers } from './handlers.js';
import { isFutureSalts, isRpcResult, RawClient, type RawFraming, type Received } from './raw-client.js';
import { waitUntil } from './gramjs.js';

let server: MtprotoServer;
const h = testHandlers();
const open: RawClient[] = [];

beforeAll(async () => {
  server = await startMtprotoServer({ handlers: h.handlers });
});

afterEach(() => {
  h.releaseSlow();
  for (const c of open.splice(0)) c.close();
});

afterAll(async () => {
  await server.close();
});

/** A raw client under a minted key that already knows a valid salt. */
async function ready(framing: RawFraming = 'intermediate', key = server.createAuthKey().key): Promise<RawClient> {
  const c = await RawClient.open(server.port, key, framing);
  open.push(c);
  await c.learnSalt();
  return c;
}

const big = (v: bigint): bigInt.BigInteger => bigInt(v.toString());
const is = <T>(cls: new (...args: never[]) => T) => (m: Received): boolean => m.obj instanceof cls;
/** A msgs_ack naming `msgId`. */
const acknowledges = (msgId: bigint) => (m: Received): boolean => m.obj instanceof Api.MsgsAck && m.obj.msgIds.some((x) => x.toString() === msgId.toString());

/** The TL object inside an rpc_result. */
function resultObject(r: { body?: Buffer }): unknown {
  if (!r.body) throw new Error('rpc_result carries an error');
  return new BinaryReader(r.body).tgReadObject();
}

describe('MTProto server: sessions and service messages', () => {
  it('tells a client with a wrong salt the right one, then opens its session with new_session_created', async () => {
    const c = await RawClient.open(server.port, server.createAuthKey().key);
    open.push(c);
    await c.learnSalt();
    const pingId = await c.send(new Api.Ping({ pingId: bigInt(7) }));
    const created = (await c.waitFor(is(Api.NewSessionCreated))).obj as Api.NewSessionCreated;
    expect(BigInt(created.firstMsgId.toString())).toBe(pingId);
    const pong = (await c.waitFor(is(Api.Pong))).obj as Api.Pong;
    expect(BigInt(pong.msgId.toString())).toBe(pingId);
    expect(pong.pingId.toString()).toBe('7');
  });

  it('numbers its answers ≡ 1 and its unsolicited messages ≡ 3 (mod 4), always increasing', async () => {
    const c = await ready();
    await c.send(new Api.Ping({ pingId: bigInt(1) }));
    await c.waitFor(is(Api.Pong));
    const created = await c.waitFor(is(Api.NewSessionCreated));
    const pong = await c.waitFor(is(Api.Pong));
    expect(created.msgId % 4n).toBe(3n);
    expect(pong.msgId % 4n).toBe(1n);
    const ids = c.received.map((m) => m.msgId);
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('acknowledges content-related messages with msgs_ack', async () => {
    const c = await ready();
    const id = await c.send(new Api.help.GetNearestDc());
    await c.result(id);
    const ack = await c.waitFor((m) => m.obj instanceof Api.MsgsAck && m.obj.msgIds.some((x) => x.toString() === id.toString()));
    expect(ack.seqNo % 2).toBe(0);
  });

  it('answers get_future_salts with salts starting now, the first being the current one', async () => {
    const c = await ready();
    const id = await c.send(new Api.GetFutureSalts({ num: 3 }));
    const answer = (await c.waitFor((m) => isFutureSalts(m.obj))).obj;
    if (!isFutureSalts(answer)) throw new Error('not future_salts');
    const now = Math.floor(Date.now() / 1000);
    expect(answer.reqMsgId).toBe(id);
    expect(Math.abs(answer.now - now)).toBeLessThanOrEqual(1);
    expect(answer.salts).toHaveLength(3);
    const [first, second] = answer.salts;
    if (!first || !second) throw new Error('salts missing');
    expect(first.validSince <= now && now < first.validUntil).toBe(true);
    expect(second.validSince).toBeGreaterThan(first.validSince);
    expect(second.validSince).toBeLessThan(first.validUntil);
    // The first salt is the one in force: a query under it is served without bad_server_salt.
    const before = server.stats().badServerSalts;
    c.salt = first.salt;
    const q = await c.send(new Api.help.GetNearestDc());
    expect(resultObject(await c.result(q))).toBeInstanceOf(Api.NearestDc);
    expect(server.stats().badServerSalts).toBe(before);
  });

  it('answers msgs_state_req with what it knows of each message', async () => {
    const c = await ready();
    const answered = await c.send(new Api.help.GetNearestDc());
    await c.result(answered);
    const skipped = c.nextMsgId();
    const later = await c.send(new Api.Ping({ pingId: bigInt(2) }));
    await c.waitFor(is(Api.Pong));
    const future = later + (60n << 32n);
    const ancient = later - (400n << 32n);
    const req = await c.send(new Api.MsgsStateReq({ msgIds: [answered, skipped, future, ancient].map(big) }));
    const info = (await c.waitFor(is(Api.MsgsStateInfo))).obj as Api.MsgsStateInfo;
    expect(info.reqMsgId.toString()).toBe(req.toString());
    const states = [...Buffer.from(info.info, 'latin1')];
    // received (4) + acknowledged (8) + a query (32) + answered (64); never received (2); too high (3); too low (1).
    expect(states).toEqual([4 | 8 | 32 | 64, 2, 3, 1]);
  });

  it('destroys another session of the same key, and answers destroy_session_none for an unknown one', async () => {
    const key = server.createAuthKey().key;
    const a = await ready('intermediate', key);
    const b = await ready('intermediate', key);
    await b.send(new Api.Ping({ pingId: bigInt(3) }));
    await b.waitFor(is(Api.NewSessionCreated));

    await a.send(new Api.DestroySession({ sessionId: big(b.sessionId) }));
    const ok = (await a.waitFor(is(Api.DestroySessionOk))).obj as Api.DestroySessionOk;
    expect(ok.sessionId.toString()).toBe(b.sessionId.toString());
    await a.send(new Api.DestroySession({ sessionId: big(b.sessionId) }));
    const none = (await a.waitFor(is(Api.DestroySessionNone))).obj as Api.DestroySessionNone;
    expect(none.sessionId.toString()).toBe(b.sessionId.toString());

    // The destroyed session starts over on its next message.
    const created = b.received.filter(is(Api.NewSessionCreated)).length;
    await b.send(new Api.Ping({ pingId: bigInt(4) }));
    await waitUntil(() => b.received.filter(is(Api.NewSessionCreated)).length === created + 1, 'a second new_session_created');
  });

  it('takes msgs_ack and http_wait without answering them', async () => {
    const c = await ready();
    await c.send(new Api.MsgsAck({ msgIds: [bigInt(4)] }), { contentRelated: false });
    await c.send(new Api.HttpWait({ maxDelay: 0, waitAfter: 0, maxWait: 0 }));
    await c.send(new Api.Ping({ pingId: bigInt(5) }));
    await c.waitFor(is(Api.Pong));
    expect(c.received.filter((m) => m.obj instanceof Api.BadMsgNotification || isRpcResult(m.obj))).toEqual([]);
  });

  it('takes a msgs_ack with an odd seqno without bad_msg_notification, and never acknowledges it', async () => {
    const c = await ready();
    const ackId = await c.send(new Api.MsgsAck({ msgIds: [bigInt(4)] }), { seqNo: c.seqNo(true) });
    const probe = await c.send(new Api.help.GetNearestDc());
    await c.result(probe);
    await c.waitFor(acknowledges(probe));
    expect(c.received.some(is(Api.BadMsgNotification))).toBe(false);
    expect(c.received.some(acknowledges(ackId))).toBe(false);
  });

  it.each([
    ['ping', () => new Api.Ping({ pingId: bigInt(15) }), is(Api.Pong)],
    ['ping_delay_disconnect', () => new Api.PingDelayDisconnect({ pingId: bigInt(16), disconnectDelay: 75 }), is(Api.Pong)],
    ['get_future_salts', () => new Api.GetFutureSalts({ num: 2 }), (m: Received) => isFutureSalts(m.obj)],
    ['msgs_state_req', () => new Api.MsgsStateReq({ msgIds: [bigInt(4)] }), is(Api.MsgsStateInfo)],
    ['destroy_session', () => new Api.DestroySession({ sessionId: bigInt(12345) }), is(Api.DestroySessionNone)],
  ] as const)('answers %s and puts it in no msgs_ack (the answer is the acknowledgment)', async (_name, make, answered) => {
    const c = await ready();
    const id = await c.send(make());
    await c.waitFor(answered);
    // A query after it: its msgs_ack goes out after any the server would have sent for the service message.
    const probe = await c.send(new Api.help.GetNearestDc());
    await c.result(probe);
    await c.waitFor(acknowledges(probe));
    expect(c.received.some(acknowledges(id))).toBe(false);
  });

  it('reports an answered ping to msgs_state_req as received, needing no acknowledgment, answered', async () => {
    const c = await ready();
    const ping = await c.send(new Api.Ping({ pingId: bigInt(17) }));
    await c.waitFor((m) => m.obj instanceof Api.Pong && m.obj.msgId.toString() === ping.toString());
    await c.send(new Api.MsgsStateReq({ msgIds: [big(ping)] }));
    const info = (await c.waitFor(is(Api.MsgsStateInfo))).obj as Api.MsgsStateInfo;
    expect([...Buffer.from(info.info, 'latin1')]).toEqual([4 | 16 | 64]);
  });

  it.each([
    ['not divisible by 4', (id: bigint) => id + 1n, 18],
    ['older than 300 s', (id: bigint) => id - (301n << 32n), 16],
    ['more than 30 s ahead', (id: bigint) => id + (31n << 32n), 17],
  ])('answers a msg_id %s with bad_msg_notification %i', async (_what, mangle, code) => {
    const c = await ready();
    const badId = mangle(c.nextMsgId());
    await c.send(new Api.Ping({ pingId: bigInt(6) }), { msgId: badId });
    const bad = (await c.waitFor(is(Api.BadMsgNotification))).obj as Api.BadMsgNotification;
    expect(bad.errorCode).toBe(code);
    expect(bad.badMsgId.toString()).toBe(BigInt.asIntN(64, badId).toString());
    expect(c.received.some(is(Api.Pong))).toBe(false);
  });

  it('answers a query with an even seqno with bad_msg_notification 35', async () => {
    const c = await ready();
    await c.send(new Api.help.GetNearestDc(), { seqNo: c.seqNo(false) });
    const bad = (await c.waitFor(is(Api.BadMsgNotification))).obj as Api.BadMsgNotification;
    expect(bad.errorCode).toBe(35);
  });

  it('serves every message of a container, and refuses a container holding an id not below its own', async () => {
    const c = await ready();
    const first = { msgId: c.nextMsgId(), seqNo: c.seqNo(true), body: new Api.help.GetNearestDc().getBytes() };
    const second = { msgId: c.nextMsgId(), seqNo: c.seqNo(true), body: new Api.Ping({ pingId: bigInt(8) }).getBytes() };
    await c.send(c.container([first, second]), { contentRelated: false });
    expect(resultObject(await c.result(first.msgId))).toBeInstanceOf(Api.NearestDc);
    await c.waitFor((m) => m.obj instanceof Api.Pong && m.obj.msgId.toString() === second.msgId.toString());

    const containerId = c.nextMsgId();
    const inner = { msgId: c.nextMsgId(), seqNo: c.seqNo(true), body: new Api.Ping({ pingId: bigInt(9) }).getBytes() };
    await c.send(c.container([inner]), { msgId: containerId, contentRelated: false });
    const bad = (await c.waitFor(is(Api.BadMsgNotification))).obj as Api.BadMsgNotification;
    expect(bad.errorCode).toBe(64);
    expect(bad.badMsgId.toString()).toBe(containerId.toString());
  });

  it('unpacks a gzip_packed query', async () => {
    const c = await ready();
    const query = new Api.help.GetNearestDc().getBytes();
    const packed = gzipSync(query);
    const body = Buffer.concat([Buffer.from('a1cf7230', 'hex'), tlBytes(packed)]);
    const id = await c.send(body);
    expect(resultObject(await c.result(id))).toBeInstanceOf(Api.NearestDc);
  });

  it('serves a repeated msg_id only once', async () => {
    const c = await ready();
    const id = c.nextMsgId();
    await c.send(new Api.Ping({ pingId: bigInt(10) }), { msgId: id });
    await c.send(new Api.Ping({ pingId: bigInt(10) }), { msgId: id });
    await c.send(new Api.Ping({ pingId: bigInt(11) }));
    await c.waitFor((m) => m.obj instanceof Api.Pong && m.obj.pingId.toString() === '11');
    expect(c.received.filter((m) => m.obj instanceof Api.Pong && m.obj.msgId.toString() === id.toString())).toHaveLength(1);
  });

  it('runs invokeAfterMsg once the named query is done, and fails it with MSG_WAIT_FAILED when that one failed', async () => {
    const c = await ready();
    const slow = await c.send(new Api.help.GetTermsOfServiceUpdate());
    const after = await c.send(new Api.InvokeAfterMsg({ msgId: big(slow), query: new Api.help.GetNearestDc() }));
    await waitUntil(() => h.calls.some((x) => x.method === 'help.GetTermsOfServiceUpdate'), 'the slow handler to start');
    const probe = await c.send(new Api.Ping({ pingId: bigInt(12) }));
    await c.waitFor((m) => m.obj instanceof Api.Pong && m.obj.msgId.toString() === probe.toString());
    expect(c.received.some((m) => isRpcResult(m.obj) && m.obj.reqMsgId.toString() === after.toString())).toBe(false);
    h.releaseSlow();
    expect(resultObject(await c.result(after))).toBeInstanceOf(Api.NearestDc);
    const order = c.received.filter((m) => isRpcResult(m.obj)).map((m) => (isRpcResult(m.obj) ? m.obj.reqMsgId.toString() : ''));
    expect(order.indexOf(slow.toString())).toBeLessThan(order.indexOf(after.toString()));

    const failing = await c.send(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }));
    const dependent = await c.send(new Api.InvokeAfterMsg({ msgId: big(failing), query: new Api.help.GetNearestDc() }));
    expect((await c.result(dependent)).error?.errorMessage).toBe('MSG_WAIT_FAILED');
  });

  it('drops the answer of a running query on rpc_drop_answer, and says unknown for one it never saw', async () => {
    const c = await ready();
    const slow = await c.send(new Api.help.GetTermsOfServiceUpdate());
    await waitUntil(() => h.calls.some((x) => x.method === 'help.GetTermsOfServiceUpdate'), 'the slow handler to start');
    const drop = await c.send(new Api.RpcDropAnswer({ reqMsgId: big(slow) }));
    expect(resultObject(await c.result(drop))).toBeInstanceOf(Api.RpcAnswerDroppedRunning);
    h.releaseSlow();
    const unknown = await c.send(new Api.RpcDropAnswer({ reqMsgId: big(c.nextMsgId() - 400n) }));
    expect(resultObject(await c.result(unknown))).toBeInstanceOf(Api.RpcAnswerUnknown);
    const probe = await c.send(new Api.Ping({ pingId: bigInt(13) }));
    await c.waitFor((m) => m.obj instanceof Api.Pong && m.obj.msgId.toString() === probe.toString());
    expect(c.received.some((m) => isRpcResult(m.obj) && m.obj.reqMsgId.toString() === slow.toString())).toBe(false);
  });

  it('answers an unknown constructor with 400 INPUT_METHOD_INVALID', async () => {
    const c = await ready();
    const id = await c.send(Buffer.from('78563412000000000000000000000000', 'hex'));
    const r = await c.result(id);
    expect(r.error?.errorCode).toBe(400);
    expect(r.error?.errorMessage).toBe('INPUT_METHOD_INVALID');
  });

  it('closes the connection when ping_delay_disconnect is not followed by another ping in time', async () => {
    const c = await ready();
    await c.send(new Api.PingDelayDisconnect({ pingId: bigInt(14), disconnectDelay: 1 }));
    await c.waitFor(is(Api.Pong));
    await waitUntil(() => c.closed, 'the server to close the connection');
  });

  it.each(['abridged', 'intermediate', 'padded-intermediate', 'full'] as const)('answers in the %s framing it was spoken to in', async (framing) => {
    const c = await ready(framing);
    const id = await c.send(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
    const users = resultObject(await c.result(id));
    expect(users).toHaveLength(1);
  });
});

function tlBytes(data: Buffer): Buffer {
  const head = data.length < 254 ? Buffer.from([data.length]) : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, data.length >> 16]);
  const raw = Buffer.concat([head, data]);
  return Buffer.concat([raw, Buffer.alloc((4 - (raw.length % 4)) % 4)]);
}
