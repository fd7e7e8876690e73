/** Reading the wallet transaction that executed one of our external messages: which of the batch's transfers it
 *  carried, and each paid member's share of what the wallet lost beyond the amounts (the transaction's fees plus the
 *  forwarding fees its messages carry), split so that the shares add up to exactly that loss. */
import { type Address, beginCell, type Cell, storeMessage, type Transaction } from '@ton/core';
import type { Nano } from '../../core/money.js';
import { readTextComment } from './text-comment.js';

/** One transfer of a batch as the member paying it knows it. */
export interface OwnTransfer {
  readonly destination: Address;
  readonly amount: Nano;
  /** The order id, sent as the text comment. */
  readonly comment: string;
}

/** A member's part of an executed batch. */
export type MemberOutcome =
  | { readonly kind: 'paid'; readonly fee: Nano }
  /** The transaction is ours but carries no transfer with this comment: the action phase skipped it, nothing moved. */
  | { readonly kind: 'absent' }
  /** A transfer with this comment left with another destination or amount than signed: money moved, not as expected. */
  | { readonly kind: 'mismatch'; readonly reason: string };

/** Hash (hex) of the inbound message of a transaction, as `bocHash` records it for the message we sent. */
export function inboundHash(tx: Transaction): string | null {
  return tx.inMessage ? beginCell().store(storeMessage(tx.inMessage)).endCell().hash().toString('hex') : null;
}

/** The text comments of the transfers `tx` sent (null for a transfer without one), in order. */
export function outgoingComments(tx: Transaction): (string | null)[] {
  return outgoing(tx).map((o) => o.comment);
}

/**
 * What the batch transaction `tx` did for member `index` of `comments` (the batch's order ids in signing order).
 * A paid member's fee is its share of the whole loss: total / paid, the remainder to the paid member of lowest index.
 */
export function memberOutcome(tx: Transaction, comments: readonly string[], index: number, own: OwnTransfer): MemberOutcome {
  const outs = outgoing(tx);
  const mine = outs.filter((o) => o.comment === own.comment);
  if (mine.length === 0) return { kind: 'absent' };
  if (mine.length > 1 || !mine[0]!.to.equals(own.destination) || mine[0]!.amount !== own.amount) {
    return { kind: 'mismatch', reason: `transaction carries a transfer with comment ${own.comment} that differs from the signed one` };
  }
  const sent = new Set(outs.map((o) => o.comment));
  const paid = comments.map((c, i) => (sent.has(c) ? i : -1)).filter((i) => i >= 0);
  const loss = tx.totalFees.coins + outs.reduce((sum, o) => sum + o.forwardFee, 0n);
  return { kind: 'paid', fee: feeShare(loss, paid, index) };
}

/** Member `index`'s share of `total` among the `paid` member indexes (ascending): total / n each, the remainder to
 *  the lowest index, so the shares always sum to `total`. */
export function feeShare(total: bigint, paid: readonly number[], index: number): Nano {
  const n = BigInt(paid.length);
  if (n === 0n || !paid.includes(index)) return 0n as Nano;
  const lowest = Math.min(...paid);
  return (total / n + (index === lowest ? total % n : 0n)) as Nano;
}

interface Outgoing {
  readonly to: Address;
  readonly amount: bigint;
  readonly forwardFee: bigint;
  readonly comment: string | null;
}

/** The internal messages a transaction sent, with their text comments. */
function outgoing(tx: Transaction): Outgoing[] {
  const outs: Outgoing[] = [];
  for (const out of tx.outMessages.values()) {
    if (out.info.type !== 'internal') continue;
    outs.push({ to: out.info.dest, amount: out.info.value.coins, forwardFee: out.info.forwardFee, comment: readTextComment(out.body) });
  }
  return outs;
}

