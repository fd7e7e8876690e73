/** One connection's transport: recognises the framing from the first bytes the way Telegram does (0xef abridged,
 *  0xeeeeeeee intermediate, 0xdddddddd padded intermediate, no tag and a zero sequence number TCP full, anything
 *  else a 64-byte obfuscation header naming one of the tagged framings), then turns incoming bytes into payloads and
 *  outgoing payloads into bytes. */
import { codecFor, type FrameCodec, type FramingKind } from './transport-framing.js';
import { Obfuscation, OBFUSCATED_HEADER_BYTES } from './transport-obfuscation.js';
import { MtprotoProtocolError } from './protocol-error.js';

const TAG_ABRIDGED = 0xef;
const TAG_INTERMEDIATE = 0xeeeeeeee;
const TAG_PADDED = 0xdddddddd;
/** Openings of other protocols (HTTP verbs, a TLS record) that Telegram's TCP ports do not take here. */
const FOREIGN_OPENINGS = ['HEAD', 'POST', 'GET ', 'OPTI', 'PUT '].map((s) => Buffer.from(s).readUInt32LE(0)).concat([0x02010316]);

/** The framing a (decrypted) 4-byte obfuscation tag names. */
function framingOfTag(tag: Buffer): FramingKind | undefined {
  const word = tag.readUInt32LE(0);
  if (word === 0xefefefef) return 'abridged';
  if (word === TAG_INTERMEDIATE) return 'intermediate';
  if (word === TAG_PADDED) return 'padded-intermediate';
  return undefined;
}

/** The transport of one connection, from its first byte on. */
export class Transport {
  private codec: FrameCodec | undefined;
  private obfuscation: Obfuscation | undefined;
  private pending: Buffer = Buffer.alloc(0);

  /** The framing in use, once the first bytes have shown it. */
  get framing(): FramingKind | undefined {
    return this.codec?.kind;
  }

  get obfuscated(): boolean {
    return this.obfuscation !== undefined;
  }

  /** True when payloads may carry random trailing bytes (padded intermediate). */
  get padded(): boolean {
    return this.codec?.padded ?? false;
  }

  /** Feeds bytes from the socket; returns the complete payloads they finish. Throws MtprotoProtocolError. */
  receive(chunk: Buffer): Buffer[] {
    const clear = this.obfuscation ? this.obfuscation.decrypt(chunk) : chunk;
    this.pending = this.pending.length === 0 ? clear : Buffer.concat([this.pending, clear]);
    if (!this.codec && !this.detect()) return [];
    const codec = this.codec;
    if (!codec) return [];
    const { frames, consumed } = codec.decode(this.pending);
    // Copy the frames out: the pending buffer is reused below.
    const out = frames.map((f) => Buffer.from(f));
    this.pending = this.pending.subarray(consumed);
    return out;
  }

  /** Wraps a payload for the wire in the client's framing (and obfuscation). */
  send(payload: Buffer): Buffer {
    if (!this.codec) throw new MtprotoProtocolError('TRANSPORT_UNKNOWN', 'nothing may be sent before the client picked a transport');
    const framed = this.codec.encode(payload);
    return this.obfuscation ? this.obfuscation.encrypt(framed) : framed;
  }

  /** Sets the codec once enough opening bytes are in; false while more are needed. */
  private detect(): boolean {
    const b = this.pending;
    if (b.length < 1) return false;
    if (b[0] === TAG_ABRIDGED) return this.start('abridged', 1);
    if (b.length < 4) return false;
    const first = b.readUInt32LE(0);
    if (first === TAG_INTERMEDIATE) return this.start('intermediate', 4);
    if (first === TAG_PADDED) return this.start('padded-intermediate', 4);
    if (FOREIGN_OPENINGS.includes(first)) {
      throw new MtprotoProtocolError('TRANSPORT_UNKNOWN', 'connection opened with another protocol', { opening: first });
    }
    if (b.length < 8) return false;
    if (b.readUInt32LE(4) === 0) return this.start('full', 0);
    if (b.length < OBFUSCATED_HEADER_BYTES) return false;
    const { obfuscation, tag } = Obfuscation.fromHeader(b.subarray(0, OBFUSCATED_HEADER_BYTES));
    const framing = framingOfTag(tag);
    if (!framing) throw new MtprotoProtocolError('TRANSPORT_UNKNOWN', 'unrecognised opening bytes', { tag: tag.toString('hex') });
    this.obfuscation = obfuscation;
    this.pending = obfuscation.decrypt(b.subarray(OBFUSCATED_HEADER_BYTES));
    this.codec = codecFor(framing);
    return true;
  }

  private start(kind: FramingKind, tagBytes: number): boolean {
    this.codec = codecFor(kind);
    this.pending = this.pending.subarray(tagBytes);
    return true;
  }
}
