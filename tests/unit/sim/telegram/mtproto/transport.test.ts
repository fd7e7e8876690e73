import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Transport } from '../../../../../sim/telegram/mtproto/transport.js';
import { codecFor } from '../../../../../sim/telegram/mtproto/transport-framing.js';
import { MtprotoProtocolError } from '../../../../../sim/telegram/mtproto/protocol-error.js';

const payload = Buffer.alloc(24, 0x11);

describe('transport detection', () => {
  it.each([
    ['abridged', Buffer.from('ef', 'hex'), 'abridged'],
    ['intermediate', Buffer.from('eeeeeeee', 'hex'), 'intermediate'],
    ['padded intermediate', Buffer.from('dddddddd', 'hex'), 'padded-intermediate'],
    ['full (no tag)', Buffer.alloc(0), 'full'],
  ] as const)('recognises %s from the first bytes and reads its frames', (_name, tag, kind) => {
    const wire = Buffer.concat([tag, codecFor(kind).encode(payload)]);
    const t = new Transport();
    const frames = [...wire].flatMap((byte) => t.receive(Buffer.from([byte])));
    expect(t.framing).toBe(kind);
    expect(frames.map((f) => f.subarray(0, payload.length))).toEqual([payload]);
  });

  it('answers in the framing it detected', () => {
    const t = new Transport();
    t.receive(Buffer.from('ef', 'hex'));
    expect(t.send(Buffer.alloc(8))).toEqual(Buffer.concat([Buffer.from([2]), Buffer.alloc(8)]));
  });

  it('refuses a connection that opens with an HTTP request', () => {
    expect(() => new Transport().receive(Buffer.from('POST /api HTTP/1.1\r\n'))).toThrow(MtprotoProtocolError);
  });

  it('refuses 64 opening bytes that do not decrypt to a known obfuscation tag', () => {
    const header = randomBytes(64);
    header[0] = 0x01;
    header.writeUInt32LE(1, 4);
    expect(() => new Transport().receive(header)).toThrow(MtprotoProtocolError);
  });
});
