/** The symmetric pieces of the auth key handshake (https://core.telegram.org/mtproto/auth_key): the temporary
 *  AES-256-IGE key that wraps server_DH_inner_data and client_DH_inner_data, the new_nonce hashes of dh_gen_*, and
 *  the first server salt. Nonces are their little-endian wire bytes (16 or 32). */
import { createHash } from 'node:crypto';
import { IGE } from 'telegram/crypto/IGE.js';
import { authKeyAuxHash } from './auth-keys.js';

function sha1(...parts: Buffer[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The temporary AES cipher both sides derive from new_nonce and server_nonce. */
export function temporaryCipher(newNonce: Buffer, serverNonce: Buffer): IGE {
  const newServer = sha1(newNonce, serverNonce);
  const serverNew = sha1(serverNonce, newNonce);
  const key = Buffer.concat([newServer, serverNew.subarray(0, 12)]);
  const iv = Buffer.concat([serverNew.subarray(12, 20), sha1(newNonce, newNonce), newNonce.subarray(0, 4)]);
  return new IGE(key, iv);
}

/** `SHA1(data) + data + random padding` to a multiple of 16, encrypted: the encrypted_answer of server_DH_params_ok. */
export function sealAnswer(cipher: IGE, data: Buffer): Buffer {
  // encryptIge pads with random bytes up to the block size.
  return cipher.encryptIge(Buffer.concat([sha1(data), data]));
}

/** Decrypts `SHA1(data) + data + padding`; `measure` tells how long data is (by parsing it). Undefined when the
 *  hash or the padding length is wrong. */
export function openAnswer(cipher: IGE, encrypted: Buffer, measure: (plain: Buffer) => number): Buffer | undefined {
  if (encrypted.length === 0 || encrypted.length % 16 !== 0) return undefined;
  const plain = cipher.decryptIge(encrypted);
  const length = measure(plain.subarray(20));
  const data = plain.subarray(20, 20 + length);
  const padding = plain.length - 20 - length;
  if (padding < 0 || padding > 15 || !sha1(data).equals(plain.subarray(0, 20))) return undefined;
  return data;
}

/** new_nonce_hash1/2/3 (for dh_gen_ok/retry/fail): the low 128 bits of SHA1(new_nonce + [n] + auth_key_aux_hash),
 *  as 16 little-endian bytes. */
export function newNonceHash(newNonce: Buffer, n: 1 | 2 | 3, authKey: Buffer): Buffer {
  return sha1(newNonce, Buffer.from([n]), authKeyAuxHash(authKey)).subarray(4, 20);
}

/** The first server salt: new_nonce[0..8] ⊕ server_nonce[0..8], read as a little-endian long. */
export function initialSalt(newNonce: Buffer, serverNonce: Buffer): bigint {
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) out[i] = (newNonce[i] ?? 0) ^ (serverNonce[i] ?? 0);
  return out.readBigInt64LE();
}
