/** Finding one of our external messages in the wallet's history by its seqno, never by a clock: the walk goes back,
 *  newest first, to the transaction that used the message's seqno. That transaction executed our message (its
 *  inbound message hashes to the one we signed), or it executed another one, which proves ours never will (the
 *  wallet took that seqno once). Reaching an older seqno first means the transaction that used ours is not listed
 *  yet (an indexer behind the state), so nothing is proven. */
import type { Transaction } from '@ton/core';
import { inboundHash, outgoingComments } from './batch-transaction.js';
import { signedRequestOf } from './wallet-request.js';

/** The message looked for. */
export interface SoughtMessage {
  readonly seqno: number;
  /** Hash of the external message cell (hex); absent in intents recorded before it was kept. */
  readonly bocHash?: string;
  /** The order ids its transfers carry as comments. */
  readonly comments: readonly string[];
}

/** Where the walk ended. */
export type MessageSearch =
  /** Our message executed in `tx`. */
  | { readonly kind: 'ours'; readonly tx: Transaction }
  /** Another message used the seqno in `tx`: ours can never execute. */
  | { readonly kind: 'overtaken'; readonly tx: Transaction }
  /** The walk ended without the transaction that used the seqno. */
  | { readonly kind: 'not-listed'; readonly reason: string };

/** Walks `pages` (the wallet's transactions, newest first) back to the transaction that used `m.seqno`. */
export async function findMessage(pages: AsyncIterable<readonly Transaction[]>, m: SoughtMessage): Promise<MessageSearch> {
  let seen = 0;
  for await (const page of pages) {
    for (const tx of page) {
      seen += 1;
      const request = signedRequestOf(tx);
      // Incoming transfers and bounces use no seqno: they neither are our message nor bound the walk.
      if (request === null) continue;
      if (request.seqno > m.seqno) continue;
      if (request.seqno < m.seqno) {
        return { kind: 'not-listed', reason: `the wallet's transactions reach back to seqno ${request.seqno} without the one that used seqno ${m.seqno}` };
      }
      return isOurs(tx, m) ? { kind: 'ours', tx } : { kind: 'overtaken', tx };
    }
  }
  return { kind: 'not-listed', reason: `no transaction used seqno ${m.seqno} among the ${seen} listed` };
}

/** The transaction at our seqno executed our message: same inbound message, or (for an intent that kept no hash, or
 *  a cell serialized another way) a transfer commented with one of our order ids, which no one else's carries. */
function isOurs(tx: Transaction, m: SoughtMessage): boolean {
  if (m.bocHash !== undefined && inboundHash(tx) === m.bocHash) return true;
  const wanted = new Set(m.comments);
  return outgoingComments(tx).some((c) => c !== null && wanted.has(c));
}
