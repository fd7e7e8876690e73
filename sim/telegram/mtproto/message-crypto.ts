/** MTProto 2.0 message encryption (https://core.telegram.org/mtproto/description): msg_key is the middle 128 bits of
 *  SHA-256 over part of the auth key and the plaintext, AES-256-IGE keys come from msg_key and the auth key, with
 *  x = 0 for client→server and x = 8 for server→client. Every check of the security guidelines is applied on
 *  receipt; a message that fails one is never looked at. */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { IGE } from 'telegram/crypto/IGE.js';
import { MtprotoProtocolError } from './protocol-error.js';

/** The plaintext header and body of one encrypted message. */
export interface MessageEnvelope {
  readonly salt: bigint;
  readonly sessionId: bigint;
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

const HEADER_BYTES = 32;
const MIN_PADDING = 12;
const MAX_PADDING = 1024;

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** AES key and IV for one message. */
function messageKeys(authKey: Buffer, msgKey: Buffer, x: 0 | 8): { key: Buffer; iv: Buffer } {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
    iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]),
  };
}

function msgKeyOf(authKey: Buffer, plaintext: Buffer, x: 0 | 8): Buffer {
  return sha256(authKey.subarray(88 + x, 120 + x), plaintext).subarray(8, 24);
}

function undecryptable(reason: string, details: Record<string, unknown> = {}): MtprotoProtocolError {
  return new MtprotoProtocolError('MESSAGE_UNDECRYPTABLE', reason, details);
}

/** Decrypts a client packet (auth_key_id, msg_key, encrypted data) under `authKey`. With a padded transport, up to
 *  15 trailing bytes past the last AES block are transport padding and are ignored. */
export function decryptClientMessage(authKey: Buffer, packet: Buffer, paddedTransport: boolean): MessageEnvelope {
  let encryptedLength = packet.length - 24;
  if (paddedTransport) encryptedLength -= encryptedLength % 16;
  if (encryptedLength < HEADER_BYTES + 16 || encryptedLength % 16 !== 0 || packet.length - 24 - encryptedLength > 15) {
    throw undecryptable('encrypted message has an impossible length', { length: packet.length });
  }
  const msgKey = packet.subarray(8, 24);
  const { key, iv } = messageKeys(authKey, msgKey, 0);
  const plaintext = new IGE(key, iv).decryptIge(packet.subarray(24, 24 + encryptedLength));
  if (!msgKeyOf(authKey, plaintext, 0).equals(msgKey)) throw undecryptable('msg_key does not match the plaintext');
  const length = plaintext.readInt32LE(28);
  const padding = plaintext.length - HEADER_BYTES - length;
  if (length < 4 || length % 4 !== 0 || padding < MIN_PADDING || padding > MAX_PADDING) {
    throw undecryptable('message_data_length does not fit the plaintext', { length, padding });
  }
  return {
    salt: plaintext.readBigInt64LE(0),
    sessionId: plaintext.readBigInt64LE(8),
    msgId: plaintext.readBigInt64LE(16),
    seqNo: plaintext.readInt32LE(24),
    body: plaintext.subarray(HEADER_BYTES, HEADER_BYTES + length),
  };
}

/** Encrypts a server message under the auth key `authKey` whose id is `authKeyId`. */
export function encryptServerMessage(authKey: Buffer, authKeyId: bigint, m: MessageEnvelope): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeBigInt64LE(BigInt.asIntN(64, m.salt), 0);
  header.writeBigInt64LE(BigInt.asIntN(64, m.sessionId), 8);
  header.writeBigInt64LE(BigInt.asIntN(64, m.msgId), 16);
  header.writeInt32LE(m.seqNo, 24);
  header.writeInt32LE(m.body.length, 28);
  const unpadded = HEADER_BYTES + m.body.length;
  // 12..1024 bytes of padding, the total a multiple of 16; a random extra block or two hides the exact length.
  const paddingLength = MIN_PADDING + ((16 - ((unpadded + MIN_PADDING) % 16)) % 16) + 16 * randomInt(0, 3);
  const plaintext = Buffer.concat([header, m.body, randomBytes(paddingLength)]);
  const msgKey = msgKeyOf(authKey, plaintext, 8);
  const { key, iv } = messageKeys(authKey, msgKey, 8);
  const id = Buffer.alloc(8);
  id.writeBigUInt64LE(BigInt.asUintN(64, authKeyId));
  return Buffer.concat([id, msgKey, new IGE(key, iv).encryptIge(plaintext)]);
}
