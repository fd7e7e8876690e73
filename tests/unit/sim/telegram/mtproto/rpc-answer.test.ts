import bigInt from 'big-integer';
import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import { serializeRpcAnswer } from '../../../../../sim/telegram/mtproto/rpc-answer.js';
import type { RpcAnswer } from '../../../../../sim/telegram/rpc.js';

describe('handler answers as TL', () => {
  it('writes a TL object with its own serialiser', () => {
    const dc = new Api.NearestDc({ country: 'NL', thisDc: 2, nearestDc: 2 });
    expect(serializeRpcAnswer(dc)).toEqual(dc.getBytes());
  });

  it('writes booleans as boolTrue / boolFalse', () => {
    expect(new BinaryReader(serializeRpcAnswer(true)).tgReadObject()).toBe(true);
    expect(new BinaryReader(serializeRpcAnswer(false)).tgReadObject()).toBe(false);
  });

  it('writes a boxed vector of TL objects', () => {
    const users = [new Api.User({ id: bigInt(1), firstName: 'A' }), new Api.User({ id: bigInt(2), firstName: 'B' })];
    const read = new BinaryReader(serializeRpcAnswer(users)).tgReadObject() as Api.User[];
    expect(read.map((u) => u.firstName)).toEqual(['A', 'B']);
  });

  it('writes bigints as longs and numbers as ints', () => {
    const longs = serializeRpcAnswer([1n, -2n, 2n ** 63n + 5n]);
    expect(longs.readUInt32LE(0)).toBe(0x1cb5c415);
    expect(longs.readInt32LE(4)).toBe(3);
    expect([longs.readBigInt64LE(8), longs.readBigInt64LE(16), longs.readBigUInt64LE(24)]).toEqual([1n, -2n, 2n ** 63n + 5n]);
    const ints = serializeRpcAnswer([7, -1]);
    expect([ints.readInt32LE(8), ints.readInt32LE(12)]).toEqual([7, -1]);
    expect(serializeRpcAnswer([])).toEqual(Buffer.from('15c4b51c00000000', 'hex'));
  });

  it('refuses what is not a TL answer, so the server can report the handler bug', () => {
    expect(() => serializeRpcAnswer(undefined as unknown as RpcAnswer)).toThrow(TypeError);
    expect(() => serializeRpcAnswer({ className: 'Fake' } as unknown as RpcAnswer)).toThrow(TypeError);
    expect(() => serializeRpcAnswer([1.5])).toThrow(TypeError);
    expect(() => serializeRpcAnswer([2n ** 64n])).toThrow(TypeError);
  });
});
