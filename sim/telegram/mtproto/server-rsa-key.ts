/** The server's RSA key for the handshake: 2048 bits, made at start, named by its real MTProto fingerprint, and the
 *  RSA_PAD decryption of req_DH_params (https://core.telegram.org/mtproto/auth_key#41-rsa-paddata-server-public-key-mentioned-above-is-implemented-as-follows). */
import { constants, createHash, generateKeyPair, privateDecrypt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { IGE } from 'telegram/crypto/IGE.js';
import { rsaFingerprint, rsaPublicKeyFromPem } from '../../../plugins/stars/server-key.js';
import { MtprotoProtocolError } from './protocol-error.js';

const generateRsa = promisify(generateKeyPair);

const RSA_BYTES = 256;
const DATA_WITH_PADDING_BYTES = 192;

/** The server's RSA key pair. */
export class ServerRsaKey {
  private constructor(
    private readonly privateKey: KeyObject,
    /** SPKI PEM. */
    readonly publicKeyPem: string,
    /** The MTProto fingerprint as a signed 64-bit value, as resPQ lists it. */
    readonly fingerprint: bigint,
  ) {}

  /** A fresh 2048-bit key with e = 65537. */
  static async generate(): Promise<ServerRsaKey> {
    const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 65537 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return new ServerRsaKey(privateKey, pem, BigInt(rsaFingerprint(rsaPublicKeyFromPem(pem))));
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
