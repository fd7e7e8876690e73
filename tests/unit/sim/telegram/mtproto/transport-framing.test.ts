import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// GramJS's modules import each other in a cycle that only resolves when its root is loaded first.
import 'telegram';
import { AbridgedPacketCodec } from 'telegram/network/connection/TCPAbridged.js';
import { FullPacketCodec } from 'telegram/network/connection/TCPFull.js';
import { codecFor, MAX_FRAME_BYTES, type FramingKind } from '../../../../../sim/telegram/mtproto/transport-framing.js';
import { MtprotoProtocolError } from '../../../../../sim/telegram/mtproto/protocol-error.js';

const KINDS: FramingKind[] = ['abridged', 'intermediate', 'padded-intermediate', 'full'];

/** A GramJS packet reader over fixed bytes. */
function reader(bytes: Buffer): { read(n: number): Promise<Buffer>; readExactly(n: number): Promise<Buffer> } {
  let at = 0;
  const take = async (n: number): Promise<Buffer> => {
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  return { read: take, readExactly: take };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof MtprotoProtocolError ? e.code : 'other';
  }
  return undefined;
}

describe('MTProto framings', () => {
  it.each(KINDS)('%s reads back what it writes, however the bytes are split', (kind) => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }).map((words) => Buffer.alloc(words * 4, words & 0xff)), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 97 }),
        (payloads, step) => {
          const writer = codecFor(kind);
          const wire = Buffer.concat(payloads.map((p) => writer.encode(p)));
          const decoder = codecFor(kind);
          const got: Buffer[] = [];
          let pending = Buffer.alloc(0);
          for (let i = 0; i < wire.length; i += step) {
            pending = Buffer.concat([pending, wire.subarray(i, i + step)]);
            const { frames, consumed } = decoder.decode(pending);
            got.push(...frames.map((f) => Buffer.from(f)));
            pending = pending.subarray(consumed);
          }
          expect(pending.length).toBe(0);
          const expected = kind === 'padded-intermediate' ? got.map((g, i) => g.subarray(0, payloads[i]?.length)) : got;
          expect(expected).toEqual(payloads);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes abridged frames byte for byte like GramJS, short and long', () => {
    const gramjs = new AbridgedPacketCodec(undefined);
    for (const size of [4, 504, 508, 4096]) {
      const payload = Buffer.alloc(size, 7);
      expect(codecFor('abridged').encode(payload)).toEqual(gramjs.encodePacket(payload));
    }
  });

  it('writes TCP-full frames GramJS accepts, and reads the ones GramJS writes', async () => {
    const ours = codecFor('full');
    const gramjsWriter = new FullPacketCodec(undefined);
    const payloads = [Buffer.alloc(40, 1), Buffer.alloc(8, 2)];
    const fromGramjs = Buffer.concat(payloads.map((p) => gramjsWriter.encodePacket(p)));
    expect(ours.decode(fromGramjs).frames).toEqual(payloads);
    const toGramjs = Buffer.concat(payloads.map((p) => ours.encode(p)));
    const gramjsReader = new FullPacketCodec(undefined);
    const r = reader(toGramjs);
    // GramJS's readPacket wants a socket-like reader; the stand-in has the same read/readExactly surface.
    const readBack = [await gramjsReader.readPacket(r as never), await gramjsReader.readPacket(r as never)];
    expect(readBack).toEqual(payloads);
  });

  it('refuses a TCP-full frame with a wrong checksum or out of sequence', () => {
    const frame = codecFor('full').encode(Buffer.alloc(8, 3));
    const corrupt = Buffer.from(frame);
    corrupt[10] = (corrupt[10] ?? 0) ^ 0xff;
    expect(codeOf(() => codecFor('full').decode(corrupt))).toBe('FRAME_CRC_MISMATCH');
    const writer = codecFor('full');
    writer.encode(Buffer.alloc(8));
    const second = writer.encode(Buffer.alloc(8));
    expect(codeOf(() => codecFor('full').decode(second))).toBe('FRAME_SEQNO_MISMATCH');
  });

  it('refuses impossible lengths instead of waiting for them', () => {
    const huge = Buffer.alloc(4);
    huge.writeUInt32LE(MAX_FRAME_BYTES + 4);
    expect(codeOf(() => codecFor('intermediate').decode(huge))).toBe('FRAME_INVALID');
    expect(codeOf(() => codecFor('intermediate').decode(Buffer.from([6, 0, 0, 0])))).toBe('FRAME_INVALID');
    expect(codeOf(() => codecFor('abridged').decode(Buffer.from([0])))).toBe('FRAME_INVALID');
    expect(codeOf(() => codecFor('full').decode(Buffer.from([8, 0, 0, 0])))).toBe('FRAME_INVALID');
  });

  it('waits for the rest of a frame without consuming its start', () => {
    const frame = codecFor('intermediate').encode(Buffer.alloc(16, 9));
    expect(codecFor('intermediate').decode(frame.subarray(0, 10))).toEqual({ frames: [], consumed: 0 });
  });

  it('ignores the quick-ack bit of a client frame length', () => {
    const frame = codecFor('intermediate').encode(Buffer.alloc(8, 1));
    frame.writeUInt32LE((frame.readUInt32LE(0) | 0x80000000) >>> 0, 0);
    expect(codecFor('intermediate').decode(frame).frames).toEqual([Buffer.alloc(8, 1)]);
  });
});
