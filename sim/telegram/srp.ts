/** The server half of Telegram's 2FA SRP (https://core.telegram.org/api/srp), algorithm
 *  `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`: the verifier v = g^x from the password, the
 *  challenge B = k·v + g^b, and the check of the client's M1. The password itself is used once, to derive x. */
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Telegram's 2048-bit safe prime for SRP (the same as its DH prime). */
export const SRP_PRIME = Buffer.from(
  'C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F642477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B',
  'hex',
);
/** The generator Telegram uses with SRP_PRIME. */
export const SRP_G = 3;

const P = toBigInt(SRP_PRIME);
const G = BigInt(SRP_G);
const SIZE = 256;

/** The salts and verifier the server stores for a password (never the password). */
export interface SrpVerifier {
  readonly salt1: Buffer;
  readonly salt2: Buffer;
  /** v = g^x mod p. */
  readonly v: bigint;
}

/** One login attempt's server secret b and public B (sent as `srp_B`, 256 bytes). */
export interface SrpChallenge {
  readonly b: bigint;
  readonly B: Buffer;
}

/** Derives the verifier for `password` with fresh salts (salt1 40 bytes, salt2 16, as Telegram's). */
export async function createVerifier(password: string): Promise<SrpVerifier> {
  const salt1 = randomBytes(40);
  const salt2 = randomBytes(16);
  const x = toBigInt(await passwordHash(password, salt1, salt2));
  return { salt1, salt2, v: modPow(G, x, P) };
}

/** A fresh challenge for `verifier`: B = (k·v + g^b) mod p, with g^b and B in the ranges the client checks. */
export function createChallenge(verifier: SrpVerifier): SrpChallenge {
  const k = toBigInt(sha256(pad(SRP_PRIME), pad(toBuffer(G))));
  for (;;) {
    const b = toBigInt(randomBytes(SIZE));
    const gb = modPow(G, b, P);
    const B = (k * verifier.v + gb) % P;
    if (isGoodModExp(gb) && B > 0n && B < P) return { b, B: pad(toBuffer(B)) };
  }
}

/** True when the client's (A, M1) proves knowledge of the password behind `verifier` for this challenge. */
export function verifyProof(verifier: SrpVerifier, challenge: SrpChallenge, A: Buffer, M1: Buffer): boolean {
  const a = toBigInt(A);
  if (a <= 0n || a >= P || M1.length !== 32) return false;
  const aPad = pad(A);
  const bPad = pad(challenge.B);
  const u = toBigInt(sha256(aPad, bPad));
  if (u === 0n) return false;
  // S = (A · v^u)^b mod p equals the client's (B − k·v)^(a + u·x).
  const S = modPow((a * modPow(verifier.v, u, P)) % P, challenge.b, P);
  const K = sha256(pad(toBuffer(S)));
  const pg = xor(sha256(pad(SRP_PRIME)), sha256(pad(toBuffer(G))));
  const expected = sha256(pg, sha256(verifier.salt1), sha256(verifier.salt2), aPad, bPad, K);
  return timingSafeEqual(expected, M1);
}

/** PH2(password, salt1, salt2) = SH(pbkdf2(sha512, PH1, salt1, 100000), salt2), with SH(d, s) = H(s | d | s). */
async function passwordHash(password: string, salt1: Buffer, salt2: Buffer): Promise<Buffer> {
  const ph1 = salted(salted(Buffer.from(password, 'utf8'), salt1), salt2);
  return salted(await pbkdf2Async(ph1, salt1, 100_000, 64, 'sha512'), salt2);
}

function salted(data: Buffer, salt: Buffer): Buffer {
  return sha256(salt, data, salt);
}

/** The client refuses a g^b whose size or distance from p is under 2048 − 64 bits; the server avoids them. */
function isGoodModExp(value: bigint): boolean {
  const min = 2048 - 64;
  return value > 0n && value < P && bitLength(value) >= min && bitLength(P - value) >= min;
}

function bitLength(value: bigint): number {
  return value.toString(2).length;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
}

/** Left-pads a big-endian number to 256 bytes, as the protocol hashes numbers. */
function pad(data: Buffer): Buffer {
  return data.length >= SIZE ? data : Buffer.concat([Buffer.alloc(SIZE - data.length), data]);
}

function toBigInt(data: Buffer): bigint {
  return data.length === 0 ? 0n : BigInt(`0x${data.toString('hex')}`);
}

function toBuffer(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
