/** Unencrypted messages (https://core.telegram.org/mtproto/description#unencrypted-message), used only by the
 *  auth key handshake: auth_key_id = 0, msg_id, message_data_length, message_data. */
import { MtprotoProtocolError } from './protocol-error.js';

export interface PlainMessage {
  readonly msgId: bigint;
  readonly body: Buffer;
}

const HEADER_BYTES = 20;

/** Reads a plain message; with a padded transport, bytes past message_data are transport padding. */
export function readPlainMessage(packet: Buffer, paddedTransport: boolean): PlainMessage {
  if (packet.length < HEADER_BYTES + 4) throw malformed('plain message shorter than its header', packet.length);
  const msgId = packet.readBigInt64LE(8);
  const length = packet.readInt32LE(16);
  const extra = packet.length - HEADER_BYTES - length;
  if (length < 4 || extra < 0 || (extra > 0 && !paddedTransport) || extra > 15 || msgId === 0n) {
    throw malformed('plain message length does not match the packet', packet.length);
  }
  return { msgId, body: packet.subarray(HEADER_BYTES, HEADER_BYTES + length) };
}

/** A plain message from the server. */
export function writePlainMessage(msgId: bigint, body: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeBigInt64LE(BigInt.asIntN(64, msgId), 8);
  head.writeInt32LE(body.length, 16);
  return Buffer.concat([head, body]);
}

function malformed(message: string, length: number): MtprotoProtocolError {
  return new MtprotoProtocolError('MESSAGE_MALFORMED', message, { length }, -404);
}
