/** The server's RSA key for the handshake: 2048 bits, made at start, named by its real MTProto fingerprint, and the
 *  RSA_PAD decryption of req_DH_params (https://core.telegram.org/mtproto/auth_key#41-rsa-paddata-server-public-key-mentioned-above-is-implemented-as-follows).
 *  Published as SPKI PEM (what node and this repo's config read) and as PKCS#1 PEM (what Telegram publishes). A key
 *  whose fingerprint prints as fewer than 16 hex digits is made again (about 1 start in 16), so that a client
 *  comparing fingerprints printed without zero padding never trips over this server's. */
import { constants, createHash, generateKeyPair, privateDecrypt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { IGE } from 'telegram/crypto/IGE.js';
import { rsaFingerprint, rsaPublicKeyFromPem } from '../../../plugins/stars/server-key.js';
import { SimTelegramError } from '../errors.js';
import { MtprotoProtocolError } from './protocol-error.js';

const generateRsa = promisify(generateKeyPair);

const RSA_BYTES = 256;
const DATA_WITH_PADDING_BYTES = 192;
/** How many keys generate() tries before it gives up on its key maker (1 in 16 keys is refused). */
const MAX_KEY_ATTEMPTS = 32;

/** Makes one RSA key pair; injectable so tests can hand over keys with chosen fingerprints. */
export type RsaKeyPairMaker = () => Promise<{ readonly privateKey: KeyObject; readonly publicKey: KeyObject }>;

/** A fresh 2048-bit key with e = 65537, as Telegram's. */
export const makeRsa2048: RsaKeyPairMaker = () => generateRsa('rsa', { modulusLength: 2048, publicExponent: 65537 });

/** The server's RSA key pair. */
export class ServerRsaKey {
  private constructor(
    private readonly privateKey: KeyObject,
    /** SPKI PEM. */
    readonly publicKeyPem: string,
    /** PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`), the form Telegram publishes its keys in. */
    readonly publicKeyPkcs1: string,
    /** The MTProto fingerprint as a signed 64-bit value, as resPQ lists it. */
    readonly fingerprint: bigint,
  ) {}

  /** A fresh key from `makePair` (default 2048 bits, e = 65537) whose fingerprint has no leading zero hex digit.
   *  Throws SimTelegramError RSA_KEY_UNUSABLE when the maker gives nothing else. */
  static async generate(makePair: RsaKeyPairMaker = makeRsa2048): Promise<ServerRsaKey> {
    for (let attempt = 1; attempt <= MAX_KEY_ATTEMPTS; attempt++) {
      const { privateKey, publicKey } = await makePair();
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const fingerprint = BigInt(rsaFingerprint(rsaPublicKeyFromPem(pem)));
      if (printsShort(fingerprint)) continue;
      const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      return new ServerRsaKey(privateKey, pem, pkcs1, fingerprint);
    }
    throw new SimTelegramError('RSA_KEY_UNUSABLE', `no RSA key in ${MAX_KEY_ATTEMPTS} has a fingerprint without a leading zero`, {
      attempts: MAX_KEY_ATTEMPTS,
    });
  }

  /** Undoes RSA_PAD: returns data_with_padding (192 bytes: the TL inner data, then random padding) after checking
   *  the SHA-256 the client put next to it. */
  decryptRsaPad(encrypted: Buffer): Buffer {
    if (encrypted.length !== RSA_BYTES) throw invalid('RSA_PAD data is not 256 bytes', { length: encrypted.length });
    let keyAesEncrypted: Buffer;
    try {
      // Raw RSA (no padding scheme): OpenSSL refuses values not below the modulus, as Telegram does.
      keyAesEncrypted = privateDecrypt({ key: this.privateKey, padding: constants.RSA_NO_PADDING }, encrypted);
    } catch {
      throw invalid('RSA_PAD data is not below the modulus');
    }
    const tempKeyXor = keyAesEncrypted.subarray(0, 32);
    const aesEncrypted = keyAesEncrypted.subarray(32);
    const tempKey = xor(tempKeyXor, sha256(aesEncrypted));
    const dataWithHash = new IGE(tempKey, Buffer.alloc(32)).decryptIge(aesEncrypted);
    const dataWithPadding = Buffer.from(dataWithHash.subarray(0, DATA_WITH_PADDING_BYTES)).reverse();
    const hash = dataWithHash.subarray(DATA_WITH_PADDING_BYTES);
    if (!sha256(Buffer.concat([tempKey, dataWithPadding])).equals(hash)) throw invalid('RSA_PAD hash mismatch');
    return dataWithPadding;
  }
}

/** True when the fingerprint, as the unsigned 64-bit number clients print in hex, starts with a zero digit: printed
 *  without padding it would be shorter than 16 digits (a leading zero byte is the worst case of this). */
export function printsShort(fingerprint: bigint): boolean {
  return BigInt.asUintN(64, fingerprint) >> 60n === 0n;
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

function invalid(message: string, details: Record<string, unknown> = {}): MtprotoProtocolError {
  return new MtprotoProtocolError('HANDSHAKE_INVALID', message, details, -404);
}
