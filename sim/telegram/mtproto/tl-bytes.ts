/** TL primitives the server writes itself (service messages, rpc_result, containers) with native bigints, and the
 *  conversions at the border with GramJS, whose TL classes carry longs as `big-integer` values. */
import bigInt, { type BigInteger } from 'big-integer';

/** Constructor of a bare TL vector. */
export const TL_VECTOR = 0x1cb5c415;
export const TL_BOOL_TRUE = 0x997275b5;
export const TL_BOOL_FALSE = 0xbc799737;

/** Appends TL values to a growing buffer. */
export class TlWriter {
  private readonly parts: Buffer[] = [];

  /** A signed 32-bit int. */
  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.parts.push(b);
    return this;
  }

  /** A constructor id (unsigned 32-bit). */
  ctor(id: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(id >>> 0);
    this.parts.push(b);
    return this;
  }

  /** A 64-bit long; unsigned values past 2^63 are written with the same bits. */
  long(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt.asIntN(64, value));
    this.parts.push(b);
    return this;
  }

  /** TL `bytes` / `string`: length prefix, data, zero padding to 4. */
  bytes(data: Buffer): this {
    this.parts.push(tlBytes(data));
    return this;
  }

  /** Bytes as they are (an already serialised object). */
  raw(data: Buffer): this {
    this.parts.push(data);
    return this;
  }

  /** A vector of longs. */
  longVector(values: readonly bigint[]): this {
    this.ctor(TL_VECTOR).int(values.length);
    for (const v of values) this.long(v);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** TL `bytes`: a length prefix (1 byte, or 0xfe + 3 bytes), the bytes, zero padding to a multiple of 4. */
export function tlBytes(data: Buffer): Buffer {
  const head =
    data.length < 254
      ? Buffer.from([data.length])
      : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff]);
  const padding = (4 - ((head.length + data.length) % 4)) % 4;
  return Buffer.concat([head, data, Buffer.alloc(padding)]);
}

/** A GramJS long (big-integer) as a native bigint. */
export function fromBigInteger(value: BigInteger): bigint {
  return BigInt(value.toString());
}

/** A native bigint as the big-integer GramJS's TL classes take. */
export function toBigInteger(value: bigint): BigInteger {
  return bigInt(value.toString());
}

/** A GramJS int128/int256 field as its little-endian wire bytes. */
export function littleEndianBytes(value: BigInteger, size: 16 | 32): Buffer {
  const v = BigInt.asUintN(size * 8, fromBigInteger(value));
  const out = Buffer.alloc(size);
  let rest = v;
  for (let i = 0; i < size; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Little-endian wire bytes of an int128/int256 as the signed big-integer GramJS's TL classes take. */
export function bigIntegerFromLittleEndian(bytes: Buffer): BigInteger {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] ?? 0);
  return toBigInteger(BigInt.asIntN(bytes.length * 8, v));
}

/** A big-endian unsigned number (TL `bytes` holding pq, p, q, g_a, g_b) as a bigint. */
export function uintFromBigEndian(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

/** A non-negative bigint as big-endian bytes, at least `minLength` long (left-padded with zeros). */
export function uintToBigEndian(value: bigint, minLength = 0): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const b = Buffer.from(hex, 'hex');
  return b.length >= minLength ? b : Buffer.concat([Buffer.alloc(minLength - b.length), b]);
}
