import bigInt from 'big-integer';
import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import {
  badMsgNotification,
  badServerSalt,
  destroySessionResult,
  maybeGzip,
  msgContainer,
  msgsAck,
  msgsStateInfo,
  newSessionCreated,
  pong,
  rpcAnswerDropped,
  rpcError,
  rpcResult,
} from '../../../../../sim/telegram/mtproto/service-tl.js';

const read = (b: Buffer): unknown => new BinaryReader(b).tgReadObject();

describe('service messages as GramJS reads them', () => {
  it.each([
    ['pong', pong(-5n, 9n), Api.Pong, { msgId: '-5', pingId: '9' }],
    ['msgs_ack', msgsAck([4n, 8n]), Api.MsgsAck, { msgIds: ['4', '8'] }],
    ['new_session_created', newSessionCreated(1n, 2n, 3n), Api.NewSessionCreated, { firstMsgId: '1', uniqueId: '2', serverSalt: '3' }],
    ['bad_msg_notification', badMsgNotification(12n, 3, 18), Api.BadMsgNotification, { badMsgId: '12', badMsgSeqno: 3, errorCode: 18 }],
    ['bad_server_salt', badServerSalt(12n, 5, -7n), Api.BadServerSalt, { badMsgId: '12', errorCode: 48, newServerSalt: '-7' }],
    ['destroy_session_ok', destroySessionResult(11n, true), Api.DestroySessionOk, { sessionId: '11' }],
    ['destroy_session_none', destroySessionResult(11n, false), Api.DestroySessionNone, { sessionId: '11' }],
    ['msgs_state_info', msgsStateInfo(20n, [1, 4]), Api.MsgsStateInfo, { reqMsgId: '20', info: '\u0001\u0004' }],
    ['rpc_answer_unknown', rpcAnswerDropped('unknown'), Api.RpcAnswerUnknown, {}],
    ['rpc_answer_dropped_running', rpcAnswerDropped('running'), Api.RpcAnswerDroppedRunning, {}],
  ] as const)('writes %s with the right constructor and fields', (_name, bytes, cls, fields) => {
    const obj = read(bytes) as Record<string, unknown>;
    expect(obj).toBeInstanceOf(cls);
    for (const [k, v] of Object.entries(fields)) {
      const got = obj[k];
      expect(Array.isArray(got) ? got.map(String) : typeof got === 'object' ? String(got) : got).toEqual(v);
    }
  });

  it('wraps a result and an error in rpc_result as GramJS unpacks them', async () => {
    const ok = (await read(rpcResult(33n, new Api.NearestDc({ country: 'NL', thisDc: 2, nearestDc: 2 }).getBytes()))) as {
      reqMsgId: bigInt.BigInteger;
      body: Buffer;
    };
    expect(ok.reqMsgId.toString()).toBe('33');
    expect(read(ok.body)).toBeInstanceOf(Api.NearestDc);
    const failed = (await read(rpcError(34n, 420, 'FLOOD_WAIT_3'))) as { error: Api.RpcError };
    expect(failed.error.errorCode).toBe(420);
    expect(failed.error.errorMessage).toBe('FLOOD_WAIT_3');
  });

  it('gzips a big compressible result, which GramJS unpacks transparently, and leaves small ones alone', async () => {
    const users = Array.from({ length: 50 }, (_, i) => new Api.User({ id: bigInt(i), firstName: 'Same name' }));
    const vector = Buffer.concat([Buffer.from('15c4b51c', 'hex'), Buffer.from([50, 0, 0, 0]), ...users.map((u) => u.getBytes())]);
    const packed = maybeGzip(vector);
    expect(packed.readUInt32LE(0)).toBe(0x3072cfa1);
    expect(packed.length).toBeLessThan(vector.length);
    const result = (await read(rpcResult(1n, vector))) as { body: Buffer };
    expect(result.body).toEqual(vector);
    const small = Buffer.alloc(64, 1);
    expect(maybeGzip(small)).toBe(small);
  });

  it('packs messages in a msg_container GramJS opens', async () => {
    const container = (await read(
      msgContainer([
        { msgId: 5n, seqNo: 1, body: pong(1n, 2n) },
        { msgId: 9n, seqNo: 2, body: msgsAck([4n]) },
      ]),
    )) as { messages: { msgId: bigInt.BigInteger; obj: unknown }[] };
    expect(container.messages.map((m) => m.msgId.toString())).toEqual(['5', '9']);
    expect(container.messages[0]?.obj).toBeInstanceOf(Api.Pong);
    expect(container.messages[1]?.obj).toBeInstanceOf(Api.MsgsAck);
  });
});
