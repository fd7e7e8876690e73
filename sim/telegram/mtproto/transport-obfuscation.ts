/** The obfuscated transport (https://core.telegram.org/mtproto/mtproto-transports#transport-obfuscation): the client
 *  opens with 64 random-looking bytes holding AES-256-CTR keys for both directions; the protocol tag of the inner
 *  framing sits, encrypted, at bytes 56–60. MTProxy secrets are not supported: the keys are used as sent. */
import { createDecipheriv, type Decipher } from 'node:crypto';

export const OBFUSCATED_HEADER_BYTES = 64;

/** The two AES-CTR streams of one obfuscated connection. */
export class Obfuscation {
  private constructor(
    private readonly inbound: Decipher,
    private readonly outbound: Decipher,
  ) {}

  /** Reads the client's 64-byte header: the keys, and the (decrypted) 4-byte tag of the framing inside. */
  static fromHeader(header: Buffer): { obfuscation: Obfuscation; tag: Buffer } {
    const reversed = Buffer.from(header.subarray(8, 56)).reverse();
    const inbound = createDecipheriv('aes-256-ctr', header.subarray(8, 40), header.subarray(40, 56));
    const outbound = createDecipheriv('aes-256-ctr', reversed.subarray(0, 32), reversed.subarray(32, 48));
    // The client encrypted the whole header with its stream, so ours must pass over it too.
    const plainHeader = inbound.update(header);
    return { obfuscation: new Obfuscation(inbound, outbound), tag: plainHeader.subarray(56, 60) };
  }

  /** Client bytes after the header, in the clear. */
  decrypt(data: Buffer): Buffer {
    return this.inbound.update(data);
  }

  /** Server bytes as they go on the wire (CTR is its own inverse). */
  encrypt(data: Buffer): Buffer {
    return this.outbound.update(data);
  }
}
