import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaFingerprint, rsaPublicKeyFromPem } from '../../../../../plugins/stars/server-key.js';
import { SimTelegramError } from '../../../../../sim/telegram/errors.js';
import { printsShort, ServerRsaKey, type RsaKeyPairMaker } from '../../../../../sim/telegram/mtproto/server-rsa-key.js';

/** Public 512-bit moduli (e = 65537) found by trying keys: their MTProto fingerprints begin with a zero byte
 *  (0x00b4…) and with a zero hex digit only (0x0194…). */
const ZERO_BYTE_N = 'r0kjS0pCxgS1lj6N1TAtEgQvpcSQG511knk8R1_JivwJQMmnZD5a4S1sMD9drejwkWP6nMECjgRLeQkKXlGcXw';
const ZERO_DIGIT_N = '7L7vmopQis5kzjNA0Tzc4g9ZrrvbmMDbsuWcLC8fCDxF6nS58kYmbpEfaaYuuY_hqhBDaeqWXWBERUmx6xDmLw';

const publicKeyOf = (n: string): KeyObject => createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' });
const fingerprintOf = (key: KeyObject): bigint =>
  BigInt.asUintN(64, BigInt(rsaFingerprint(rsaPublicKeyFromPem(key.export({ type: 'spki', format: 'pem' }).toString()))));

/** Small keys: the fingerprint rule does not depend on the size, and they are made in milliseconds. */
const small = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('rsa', { modulusLength: 512, publicExponent: 65537 });

/** A maker handing out `first` (with an unrelated private key), then fresh small keys; counts its calls. */
function makerStartingWith(first: KeyObject): { make: RsaKeyPairMaker; calls: () => number } {
  let calls = 0;
  const make: RsaKeyPairMaker = () => {
    calls += 1;
    return Promise.resolve(calls === 1 ? { privateKey: small().privateKey, publicKey: first } : small());
  };
  return { make, calls: () => calls };
}

describe('the simulated Telegram server RSA key', () => {
  it('publishes the key as PKCS#1 PEM too, which node reads as pkcs1 to the same key as the SPKI PEM', async () => {
    const rsa = await ServerRsaKey.generate();
    expect(rsa.publicKeyPkcs1.startsWith('-----BEGIN RSA PUBLIC KEY-----\n')).toBe(true);
    expect(rsa.publicKeyPem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    const fromPkcs1 = createPublicKey({ key: rsa.publicKeyPkcs1, format: 'pem', type: 'pkcs1' });
    const fromSpki = createPublicKey(rsa.publicKeyPem);
    expect(fromPkcs1.equals(fromSpki)).toBe(true);
    expect(fromPkcs1.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(rsaFingerprint(rsaPublicKeyFromPem(rsa.publicKeyPkcs1))).toBe(rsa.fingerprint.toString());
  });

  it.each([
    ['a zero byte', ZERO_BYTE_N, 0x00n],
    ['a zero hex digit', ZERO_DIGIT_N, 0x01n],
  ])('makes another key when the first one’s fingerprint begins with %s', async (_what, n, topByte) => {
    const first = publicKeyOf(n);
    // The fixture is what it claims to be.
    expect(fingerprintOf(first) >> 56n).toBe(topByte);
    const maker = makerStartingWith(first);
    const rsa = await ServerRsaKey.generate(maker.make);
    expect(maker.calls()).toBeGreaterThanOrEqual(2);
    expect(createPublicKey(rsa.publicKeyPem).equals(first)).toBe(false);
    expect(printsShort(rsa.fingerprint)).toBe(false);
    expect(BigInt.asUintN(64, rsa.fingerprint).toString(16)).toHaveLength(16);
    expect(rsa.fingerprint.toString()).toBe(rsaFingerprint(rsaPublicKeyFromPem(rsa.publicKeyPem)));
  });

  it('gives up with RSA_KEY_UNUSABLE on a maker that only makes short-printing keys', async () => {
    const privateKey = small().privateKey;
    const publicKey = publicKeyOf(ZERO_BYTE_N);
    const error = await ServerRsaKey.generate(() => Promise.resolve({ privateKey, publicKey })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimTelegramError);
    expect(error).toMatchObject({ code: 'RSA_KEY_UNUSABLE' });
  });

  it('calls a fingerprint short when its unsigned hex form has fewer than 16 digits, whatever its sign', () => {
    expect(printsShort(0x00ffffffffffffffn)).toBe(true);
    expect(printsShort(0x0fffffffffffffffn)).toBe(true);
    expect(printsShort(0x1000000000000000n)).toBe(false);
    // Fingerprints are signed longs in resPQ: a negative one has its top bit set and prints 16 digits.
    expect(printsShort(-1n)).toBe(false);
    expect(printsShort(BigInt.asIntN(64, 0xc3b42b026ce86b21n))).toBe(false);
  });
});
