import { randomBytes } from 'node:crypto';
import bigInt from 'big-integer';
import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { BinaryWriter } from 'telegram/extensions/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { MTProtoState } from 'telegram/network/MTProtoState.js';
import { authKeyIdOf } from '../../../../../sim/telegram/mtproto/auth-keys.js';
import { decryptClientMessage, encryptServerMessage } from '../../../../../sim/telegram/mtproto/message-crypto.js';
import { MtprotoProtocolError } from '../../../../../sim/telegram/mtproto/protocol-error.js';

async function gramjsState(key: Buffer): Promise<MTProtoState> {
  const authKey = new AuthKey();
  await authKey.setKey(key);
  const state = new MTProtoState(authKey, new Logger(LogLevel.NONE));
  state.salt = bigInt(77);
  return state;
}

describe('MTProto 2.0 message encryption', () => {
  it('computes the auth key id GramJS computes', async () => {
    const key = randomBytes(256);
    const authKey = new AuthKey();
    await authKey.setKey(key);
    expect(authKeyIdOf(key).toString()).toBe(authKey.keyId?.toString());
  });

  it('decrypts what GramJS encrypts, header and body', async () => {
    const key = randomBytes(256);
    const state = await gramjsState(key);
    const writer = new BinaryWriter(Buffer.alloc(0));
    const body = new Api.help.GetNearestDc().getBytes();
    const msgId = await state.writeDataAsMessage(writer, body, true);
    const packet = await state.encryptMessageData(writer.getValue());
    const m = decryptClientMessage(key, packet, false);
    expect(m.salt).toBe(77n);
    expect(m.msgId.toString()).toBe(msgId.toString());
    expect(m.seqNo).toBe(1);
    expect(m.body).toEqual(body);
  });

  it('encrypts what GramJS decrypts', async () => {
    const key = randomBytes(256);
    const state = await gramjsState(key);
    const body = new Api.Pong({ msgId: bigInt(8), pingId: bigInt(9) }).getBytes();
    const packet = encryptServerMessage(key, authKeyIdOf(key), { salt: 5n, sessionId: 6n, msgId: 0x65000000_00000001n, seqNo: 3, body });
    const message = await state.decryptMessageData(packet);
    expect(message.obj).toBeInstanceOf(Api.Pong);
    expect((message.obj as Api.Pong).pingId.toString()).toBe('9');
  });

  it('refuses a packet whose msg_key was tampered with, or that is cut short', async () => {
    const key = randomBytes(256);
    const state = await gramjsState(key);
    const writer = new BinaryWriter(Buffer.alloc(0));
    await state.writeDataAsMessage(writer, new Api.help.GetNearestDc().getBytes(), true);
    const packet = await state.encryptMessageData(writer.getValue());
    const forged = Buffer.from(packet);
    forged[9] = (forged[9] ?? 0) ^ 1;
    expect(() => decryptClientMessage(key, forged, false)).toThrow(MtprotoProtocolError);
    expect(() => decryptClientMessage(key, packet.subarray(0, packet.length - 16), false)).toThrow(MtprotoProtocolError);
    expect(() => decryptClientMessage(randomBytes(256), packet, false)).toThrow(MtprotoProtocolError);
  });

  it('ignores transport padding only when the transport is padded', async () => {
    const key = randomBytes(256);
    const state = await gramjsState(key);
    const writer = new BinaryWriter(Buffer.alloc(0));
    await state.writeDataAsMessage(writer, new Api.help.GetNearestDc().getBytes(), true);
    const padded = Buffer.concat([await state.encryptMessageData(writer.getValue()), randomBytes(7)]);
    expect(decryptClientMessage(key, padded, true).body).toEqual(new Api.help.GetNearestDc().getBytes());
    expect(() => decryptClientMessage(key, padded, false)).toThrow(MtprotoProtocolError);
  });
});
