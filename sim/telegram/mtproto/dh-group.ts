/** The Diffie-Hellman group of the auth key handshake: Telegram's published 2048-bit safe prime with g = 3
 *  (https://core.telegram.org/mtproto/auth_key), and the range checks both sides apply to g_a and g_b. The modular
 *  exponentiations run in OpenSSL through one shared node DiffieHellman object, built once per process because
 *  building one tests the prime (about a quarter of a second). */
import { createDiffieHellman, randomBytes, type DiffieHellman } from 'node:crypto';
import { uintFromBigEndian } from './tl-bytes.js';

const DH_PRIME_HEX =
  'C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F642477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B';

/** dh_prime, big-endian, 256 bytes. */
export const DH_PRIME = Buffer.from(DH_PRIME_HEX, 'hex');
export const DH_G = 3;
const PRIME = uintFromBigEndian(DH_PRIME);
/** g_a and g_b must lie in [2^(2048-64), dh_prime - 2^(2048-64)]. */
const MARGIN = 1n << (2048n - 64n);

let shared: DiffieHellman | undefined;

function group(): DiffieHellman {
  shared ??= createDiffieHellman(DH_PRIME, Buffer.from([DH_G]));
  return shared;
}

/** True when `value` (big-endian) is an acceptable g_a / g_b: 1 < value < p − 1, and at least 2^1984 away from
 *  either end. */
export function isSafeDhPublic(value: Buffer): boolean {
  const v = uintFromBigEndian(value);
  return v > 1n && v < PRIME - 1n && v >= MARGIN && v <= PRIME - MARGIN;
}

/** A fresh 2048-bit secret `a` and g^a mod p (256 bytes, big-endian), drawn again until g_a passes the range check. */
export function dhKeyPair(): { secret: Buffer; publicValue: Buffer } {
  const dh = group();
  for (;;) {
    const secret = randomBytes(256);
    // setPrivateKey + generateKeys derives the public value from the given secret; all synchronous, so the shared
    // object never sees two handshakes interleave.
    dh.setPrivateKey(secret);
    const publicValue = dh.generateKeys();
    if (isSafeDhPublic(publicValue)) return { secret, publicValue };
  }
}

/** (peer's public value)^secret mod p, as 256 big-endian bytes: the auth key. */
export function dhSharedKey(secret: Buffer, peerPublic: Buffer): Buffer {
  const dh = group();
  dh.setPrivateKey(secret);
  const key = dh.computeSecret(peerPublic);
  return key.length === 256 ? key : Buffer.concat([Buffer.alloc(256 - key.length), key]);
}
