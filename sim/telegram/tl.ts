/** Conversions between the simulator's native values and GramJS's TL representations (`long` is a big-integer
 *  BigInteger, dates are unix seconds), and the random identifiers Telegram hands out. */
import { randomBytes } from 'node:crypto';
import bigInt from 'big-integer';

/** A bigint or safe integer as a TL `long`. */
export function tlLong(value: bigint | number): bigInt.BigInteger {
  return bigInt(value.toString());
}

/** A TL `long` as a bigint. */
export function fromTlLong(value: bigInt.BigInteger): bigint {
  return BigInt(value.toString());
}

/** Epoch milliseconds as a TL date (unix seconds). */
export function tlDate(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/** A fresh random positive 63-bit id (form ids, query ids, srp ids), never zero. */
export function randomLongId(): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() >> 1n;
    if (id !== 0n) return id;
  }
}
