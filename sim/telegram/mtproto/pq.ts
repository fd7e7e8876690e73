/** The proof of work at the start of the handshake: the server sends pq, the product of two random distinct primes
 *  below 2^31, and the client must send back p < q. */
import { generatePrimeSync } from 'node:crypto';
import { uintFromBigEndian, uintToBigEndian } from './tl-bytes.js';

export interface PqChallenge {
  readonly p: bigint;
  readonly q: bigint;
  readonly pq: bigint;
}

/** Two fresh 31-bit primes (each in [2^30, 2^31)) and their product. */
export function newPqChallenge(): PqChallenge {
  const a = generatePrimeSync(31, { bigint: true });
  let b = generatePrimeSync(31, { bigint: true });
  while (b === a) b = generatePrimeSync(31, { bigint: true });
  const [p, q] = a < b ? [a, b] : [b, a];
  return { p, q, pq: p * q };
}

/** pq as TL bytes carry it (big-endian, no leading zeros). */
export function pqBytes(c: PqChallenge): Buffer {
  return uintToBigEndian(c.pq);
}

/** True when the client's p and q (big-endian TL bytes) are the challenge's factors in order. */
export function isPqSolution(c: PqChallenge, p: Buffer, q: Buffer): boolean {
  return uintFromBigEndian(p) === c.p && uintFromBigEndian(q) === c.q;
}
