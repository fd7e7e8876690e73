/** Message identifiers (https://core.telegram.org/mtproto/description#message-identifier-msg-id): about unix time
 *  × 2^32, strictly increasing. The server's are ≡ 1 mod 4 when they answer a client message and ≡ 3 otherwise;
 *  the client's are ≡ 0 mod 4 and must lie within 300 s in the past and 30 s in the future of the server's clock. */

/** What a server message is, which fixes its msg_id's residue mod 4. */
export type ServerMessageKind = 'answer' | 'unsolicited';

/** The msg_id time part of an epoch-ms instant. */
export function msgIdAt(epochMs: number): bigint {
  const seconds = Math.floor(epochMs / 1000);
  const fraction = Math.floor(((epochMs % 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

/** The unix second a msg_id claims. */
export function msgIdSeconds(msgId: bigint): number {
  return Number(msgId >> 32n);
}

/** Hands out server msg_ids: time-based, strictly increasing across the whole server, with the residue mod 4 the
 *  message kind asks for. */
export class ServerMsgIds {
  private last = 0n;

  constructor(private readonly now: () => number = Date.now) {}

  /** The next msg_id for a message of this kind. */
  next(kind: ServerMessageKind): bigint {
    const residue = kind === 'answer' ? 1n : 3n;
    let id = (msgIdAt(this.now()) & ~3n) | residue;
    if (id <= this.last) {
      id = (this.last & ~3n) | residue;
      if (id <= this.last) id += 4n;
    }
    this.last = id;
    return id;
  }
}
