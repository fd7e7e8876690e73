import { constants, createHash, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { generateKeyDataFromNonce } from 'telegram/Helpers.js';
import { rsaFingerprint, rsaPublicKeyFromPem } from '../../../../../plugins/stars/server-key.js';
import { DH_G, DH_PRIME, dhKeyPair, dhSharedKey, isSafeDhPublic } from '../../../../../sim/telegram/mtproto/dh-group.js';
import { initialSalt, newNonceHash, sealAnswer, temporaryCipher } from '../../../../../sim/telegram/mtproto/handshake-crypto.js';
import { isPqSolution, newPqChallenge } from '../../../../../sim/telegram/mtproto/pq.js';
import { MtprotoProtocolError } from '../../../../../sim/telegram/mtproto/protocol-error.js';
import { ServerRsaKey } from '../../../../../sim/telegram/mtproto/server-rsa-key.js';
import { bigIntegerFromLittleEndian, uintFromBigEndian, uintToBigEndian } from '../../../../../sim/telegram/mtproto/tl-bytes.js';

const P = uintFromBigEndian(DH_PRIME);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

function isProbablePrime(n: bigint): boolean {
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n]) if (n !== a && modPow(a, n - 1n, n) !== 1n) return false;
  return true;
}

describe('auth key handshake pieces', () => {
  it('poses pq as the product of two distinct primes below 2^31, p < q', () => {
    for (let i = 0; i < 5; i++) {
      const c = newPqChallenge();
      expect(c.p * c.q).toBe(c.pq);
      expect(c.p).toBeLessThan(c.q);
      expect(c.q).toBeLessThan(1n << 31n);
      expect(isProbablePrime(c.p) && isProbablePrime(c.q)).toBe(true);
      expect(isPqSolution(c, uintToBigEndian(c.p), uintToBigEndian(c.q))).toBe(true);
      expect(isPqSolution(c, uintToBigEndian(c.q), uintToBigEndian(c.p))).toBe(false);
    }
  });

  it('computes g_a = 3^a mod p and the shared key both ways', () => {
    const server = dhKeyPair();
    const client = dhKeyPair();
    expect(uintFromBigEndian(server.publicValue)).toBe(modPow(BigInt(DH_G), uintFromBigEndian(server.secret), P));
    const k1 = dhSharedKey(server.secret, client.publicValue);
    expect(k1).toHaveLength(256);
    expect(k1).toEqual(dhSharedKey(client.secret, server.publicValue));
  });

  it('refuses g_b values at or near the ends of the group', () => {
    expect(isSafeDhPublic(Buffer.from([1]))).toBe(false);
    expect(isSafeDhPublic(uintToBigEndian(P - 1n))).toBe(false);
    expect(isSafeDhPublic(uintToBigEndian(1n << 1983n))).toBe(false);
    expect(isSafeDhPublic(uintToBigEndian(P - (1n << 1983n)))).toBe(false);
    expect(isSafeDhPublic(dhKeyPair().publicValue)).toBe(true);
  });

  it('derives the temporary AES key and IV as GramJS does', async () => {
    const newNonce = randomBytes(32);
    const serverNonce = randomBytes(16);
    const gramjs = await generateKeyDataFromNonce(bigIntegerFromLittleEndian(serverNonce), bigIntegerFromLittleEndian(newNonce));
    const data = randomBytes(48);
    expect(temporaryCipher(newNonce, serverNonce).encryptIge(data)).toEqual(new IGE(gramjs.key, gramjs.iv).encryptIge(data));
    // sealAnswer prefixes the SHA-1 and pads to the AES block.
    const sealed = sealAnswer(temporaryCipher(newNonce, serverNonce), data);
    const opened = new IGE(gramjs.key, gramjs.iv).decryptIge(sealed);
    expect(opened.subarray(0, 20)).toEqual(createHash('sha1').update(data).digest());
    expect(opened.subarray(20, 68)).toEqual(data);
  });

  it('computes new_nonce_hash1 as GramJS checks it, and the first salt from the nonces', async () => {
    const newNonce = randomBytes(32);
    const key = randomBytes(256);
    const authKey = new AuthKey();
    await authKey.setKey(key);
    const expected = await authKey.calcNewNonceHash(bigIntegerFromLittleEndian(newNonce), 1);
    expect(bigIntegerFromLittleEndian(newNonceHash(newNonce, 1, key)).toString()).toBe(expected.toString());
    const serverNonce = Buffer.alloc(16, 0xff);
    const salt = Buffer.alloc(8);
    salt.writeBigInt64LE(initialSalt(newNonce, serverNonce));
    expect(salt).toEqual(Buffer.from(newNonce.subarray(0, 8).map((b) => b ^ 0xff)));
  });

  it('names its RSA key by the real fingerprint and undoes RSA_PAD', async () => {
    const rsa = await ServerRsaKey.generate();
    expect(rsa.fingerprint.toString()).toBe(rsaFingerprint(rsaPublicKeyFromPem(rsa.publicKeyPem)));

    const inner = new Api.PQInnerData({ pq: Buffer.from([1]), p: Buffer.from([1]), q: Buffer.from([1]), nonce: bigIntegerFromLittleEndian(randomBytes(16)), serverNonce: bigIntegerFromLittleEndian(randomBytes(16)), newNonce: bigIntegerFromLittleEndian(randomBytes(32)) }).getBytes();
    const dataWithPadding = Buffer.concat([inner, randomBytes(192 - inner.length)]);
    const encrypted = rsaPad(rsa.publicKeyPem, dataWithPadding);
    expect(rsa.decryptRsaPad(encrypted)).toEqual(dataWithPadding);
    expect(() => rsa.decryptRsaPad(rsaPad(rsa.publicKeyPem, dataWithPadding, true))).toThrow(MtprotoProtocolError);
    expect(() => rsa.decryptRsaPad(Buffer.alloc(256, 0xff))).toThrow(MtprotoProtocolError);
  });
});

/** RSA_PAD as a client does it (https://core.telegram.org/mtproto/auth_key), optionally with a wrong hash. */
function rsaPad(pem: string, dataWithPadding: Buffer, breakHash = false): Buffer {
  const n = uintFromBigEndian(rsaPublicKeyFromPem(pem).n);
  for (;;) {
    const tempKey = randomBytes(32);
    const hash = createHash('sha256').update(tempKey).update(dataWithPadding).digest();
    if (breakHash) hash[0] = (hash[0] ?? 0) ^ 1;
    const dataWithHash = Buffer.concat([Buffer.from(dataWithPadding).reverse(), hash]);
    const aesEncrypted = new IGE(tempKey, Buffer.alloc(32)).encryptIge(dataWithHash);
    const digest = createHash('sha256').update(aesEncrypted).digest();
    const tempKeyXor = Buffer.from(tempKey.map((b, i) => b ^ (digest[i] ?? 0)));
    const keyAesEncrypted = Buffer.concat([tempKeyXor, aesEncrypted]);
    if (uintFromBigEndian(keyAesEncrypted) >= n) continue;
    return publicEncrypt({ key: pem, padding: constants.RSA_NO_PADDING }, keyAesEncrypted);
  }
}
