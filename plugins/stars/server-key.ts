/** Telegram server RSA keys as MTProto names them: by fingerprint, the low 64 bits of SHA-1 over the TL-serialised
 *  `rsa_public_key n:bytes e:bytes`. GramJS trusts only keys in its table; a self-hosted or simulated server's key is
 *  added to it under its real fingerprint, never a made-up one. */
import { createHash, createPublicKey } from 'node:crypto';
import bigInt from 'big-integer';
import { _serverKeys } from 'telegram/crypto/RSA.js';

/** An RSA public key as big-endian magnitudes. */
export interface RsaPublicKey {
  readonly n: Buffer;
  readonly e: Buffer;
}

/** The public key in a PEM (SPKI or PKCS#1) text. Line breaks may have been folded into spaces (a PEM written as
 *  one YAML scalar, or passed through an environment variable): the body is re-wrapped before parsing. */
export function rsaPublicKeyFromPem(pem: string): RsaPublicKey {
  const jwk = createPublicKey(normalizePem(pem)).export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new TypeError('not an RSA public key');
  return { n: Buffer.from(jwk.n, 'base64url'), e: Buffer.from(jwk.e, 'base64url') };
}

/** The key's MTProto fingerprint as the signed decimal GramJS keys its table by. */
export function rsaFingerprint(key: RsaPublicKey): string {
  const body = Buffer.concat([tlBytes(stripZeros(key.n)), tlBytes(stripZeros(key.e))]);
  const digest = createHash('sha1').update(body).digest();
  return digest.subarray(12, 20).readBigInt64LE().toString();
}

/** Makes GramJS accept the server holding this key (process-wide: GramJS's key table is global). */
export function trustServerKey(key: RsaPublicKey): string {
  const fingerprint = rsaFingerprint(key);
  _serverKeys.set(fingerprint, { n: bigInt(key.n.toString('hex'), 16), e: Number(BigInt(`0x${key.e.toString('hex')}`)) });
  return fingerprint;
}

function normalizePem(pem: string): string {
  const m = /-----BEGIN ((?:RSA )?PUBLIC KEY)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) return pem;
  const body = m[2]!.replace(/\s+/g, '');
  return `-----BEGIN ${m[1]}-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${m[1]}-----\n`;
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** TL `bytes`: a length prefix (1 byte, or 0xfe + 3 bytes), the bytes, zero padding to a multiple of 4. */
function tlBytes(data: Buffer): Buffer {
  const head = data.length < 254 ? Buffer.from([data.length]) : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff]);
  const raw = Buffer.concat([head, data]);
  return Buffer.concat([raw, Buffer.alloc((4 - (raw.length % 4)) % 4)]);
}
