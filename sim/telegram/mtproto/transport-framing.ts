/** MTProto's TCP framings (https://core.telegram.org/mtproto/mtproto-transports): how one payload (an MTProto
 *  message or a 4-byte transport error) is cut out of the byte stream and wrapped for the way back. One codec per
 *  connection, in the framing the client chose; it answers in the same one. */
import { randomBytes, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { MtprotoProtocolError } from './protocol-error.js';

export type FramingKind = 'abridged' | 'intermediate' | 'padded-intermediate' | 'full';

/** The largest payload accepted from a client (Telegram's own limit is about 1 MiB per message). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Frames cut from the front of a buffer, and how many bytes they used. */
export interface DecodedFrames {
  readonly frames: Buffer[];
  readonly consumed: number;
}

/** One framing in both directions. Decoders keep state (TCP-full's sequence numbers), so one codec per connection. */
export interface FrameCodec {
  readonly kind: FramingKind;
  /** True when payloads may carry up to 15 random trailing bytes the MTProto layer must ignore. */
  readonly padded: boolean;
  /** Takes every complete frame off the front of `buf`. Throws MtprotoProtocolError on an impossible frame. */
  decode(buf: Buffer): DecodedFrames;
  /** Wraps one payload for the wire. */
  encode(payload: Buffer): Buffer;
}

function invalidLength(kind: FramingKind, length: number): MtprotoProtocolError {
  return new MtprotoProtocolError('FRAME_INVALID', `${kind} frame with impossible length ${length}`, { kind, length });
}

/** Abridged: one length byte in 4-byte words (0x7f + 3 bytes for long frames); the top bit asks for a quick ack,
 *  which the simulator does not send. */
export class AbridgedCodec implements FrameCodec {
  readonly kind = 'abridged';
  readonly padded = false;

  decode(buf: Buffer): DecodedFrames {
    const frames: Buffer[] = [];
    let at = 0;
    for (;;) {
      if (buf.length - at < 1) break;
      let words = (buf[at] ?? 0) & 0x7f;
      let head = 1;
      if (words === 0x7f) {
        if (buf.length - at < 4) break;
        words = buf.readUIntLE(at + 1, 3);
        head = 4;
      }
      const length = words * 4;
      if (length === 0 || length > MAX_FRAME_BYTES) throw invalidLength(this.kind, length);
      if (buf.length - at < head + length) break;
      frames.push(buf.subarray(at + head, at + head + length));
      at += head + length;
    }
    return { frames, consumed: at };
  }

  encode(payload: Buffer): Buffer {
    const words = payload.length >> 2;
    if (words < 0x7f) return Buffer.concat([Buffer.from([words]), payload]);
    const head = Buffer.alloc(4);
    head[0] = 0x7f;
    head.writeUIntLE(words, 1, 3);
    return Buffer.concat([head, payload]);
  }
}

/** Intermediate (and padded intermediate): a 4-byte little-endian length, the top bit a quick-ack request. The
 *  padded variant appends 0–15 random bytes to every payload, both ways. */
export class IntermediateCodec implements FrameCodec {
  readonly kind: FramingKind;

  constructor(readonly padded: boolean) {
    this.kind = padded ? 'padded-intermediate' : 'intermediate';
  }

  decode(buf: Buffer): DecodedFrames {
    const frames: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= 4) {
      const length = buf.readUInt32LE(at) & 0x7fffffff;
      const aligned = this.padded || length % 4 === 0;
      if (length < 4 || length > MAX_FRAME_BYTES || !aligned) throw invalidLength(this.kind, length);
      if (buf.length - at < 4 + length) break;
      frames.push(buf.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    return { frames, consumed: at };
  }

  encode(payload: Buffer): Buffer {
    const padding = this.padded ? randomBytes(randomInt(0, 16)) : Buffer.alloc(0);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(payload.length + padding.length);
    return Buffer.concat([head, payload, padding]);
  }
}

/** Full: length (of the whole frame), a per-direction sequence number from 0, the payload, crc32 of all before it.
 *  A wrong checksum or sequence number ends the connection. */
export class FullCodec implements FrameCodec {
  readonly kind = 'full';
  readonly padded = false;
  private receiveSeq = 0;
  private sendSeq = 0;

  decode(buf: Buffer): DecodedFrames {
    const frames: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= 4) {
      const length = buf.readInt32LE(at);
      if (length < 16 || length % 4 !== 0 || length > MAX_FRAME_BYTES + 12) throw invalidLength(this.kind, length);
      if (buf.length - at < length) break;
      const seq = buf.readInt32LE(at + 4);
      const expected = buf.readUInt32LE(at + length - 4);
      const actual = crc32(buf.subarray(at, at + length - 4));
      if (actual !== expected) {
        throw new MtprotoProtocolError('FRAME_CRC_MISMATCH', 'TCP-full frame checksum mismatch', { expected, actual });
      }
      if (seq !== this.receiveSeq) {
        throw new MtprotoProtocolError('FRAME_SEQNO_MISMATCH', 'TCP-full frame out of sequence', { seq, expected: this.receiveSeq });
      }
      this.receiveSeq++;
      frames.push(buf.subarray(at + 8, at + length - 4));
      at += length;
    }
    return { frames, consumed: at };
  }

  encode(payload: Buffer): Buffer {
    const head = Buffer.alloc(8);
    head.writeInt32LE(payload.length + 12, 0);
    head.writeInt32LE(this.sendSeq++, 4);
    const body = Buffer.concat([head, payload]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(body));
    return Buffer.concat([body, crc]);
  }
}

/** A fresh codec of the given kind. */
export function codecFor(kind: FramingKind): FrameCodec {
  switch (kind) {
    case 'abridged':
      return new AbridgedCodec();
    case 'intermediate':
      return new IntermediateCodec(false);
    case 'padded-intermediate':
      return new IntermediateCodec(true);
    case 'full':
      return new FullCodec();
  }
}
