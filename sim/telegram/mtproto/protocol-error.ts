/** Why the simulated MTProto server gave up on a connection: a client broke the protocol (garbage bytes, a bad
 *  checksum, a forged msg_key, a handshake that does not add up, an auth key it does not know). Telegram answers such
 *  a client by closing the connection, sometimes after a 4-byte transport error (-404), and so does the simulator. */
import { AutomintError } from '../../../core/errors.js';

export type MtprotoProtocolErrorCode =
  /** The first bytes match no transport (abridged, intermediate, padded intermediate, full, obfuscated). */
  | 'TRANSPORT_UNKNOWN'
  /** A frame's length is impossible (not a multiple of 4, too short, beyond the size limit). */
  | 'FRAME_INVALID'
  /** A TCP-full frame's crc32 does not match its bytes. */
  | 'FRAME_CRC_MISMATCH'
  /** A TCP-full frame's sequence number is not the next one. */
  | 'FRAME_SEQNO_MISMATCH'
  /** The auth key id names no key the server holds (never made, forgotten, or expired). */
  | 'AUTH_KEY_UNKNOWN'
  /** An encrypted message is too short, not block-aligned, or its msg_key does not match its plaintext. */
  | 'MESSAGE_UNDECRYPTABLE'
  /** A message's inner layout (lengths, padding, gzip) is broken. */
  | 'MESSAGE_MALFORMED'
  /** A DH handshake step is out of order or its content fails a check (nonces, p and q, RSA_PAD hash, g_b range). */
  | 'HANDSHAKE_INVALID';

/** A protocol violation by the client. `transportError` (e.g. -404) is sent before the connection closes. */
export class MtprotoProtocolError extends AutomintError {
  constructor(
    code: MtprotoProtocolErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    readonly transportError?: number,
  ) {
    super(code, message, details);
  }
}

/** Telegram's transport error for a missing auth key or a message it cannot accept. */
export const TRANSPORT_ERROR_NOT_FOUND = -404;
