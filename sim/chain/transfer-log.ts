/** The TransferFeed of the simulated chain: every internal message a transaction received, kept per receiver and
 *  pushed to listeners as its block is produced. */
import { Address, type Transaction } from '@ton/core';
import type { ChainTransfer, TransferFeed } from './transfer.js';
import { readTextComment } from '../../plugins/ton/text-comment.js';

/** The transfer a transaction received, or null when its inbound message is not an internal one. */
export function transferOf(tx: Transaction, txHash: Buffer): ChainTransfer | null {
  const msg = tx.inMessage;
  if (!msg || msg.info.type !== 'internal') return null;
  return {
    from: msg.info.src.toRawString(),
    to: msg.info.dest.toRawString(),
    amount: msg.info.value.coins,
    comment: readTextComment(msg.body),
    lt: tx.lt,
    txHash: txHash.toString('hex'),
    utime: tx.now,
    success: credited(tx),
  };
}

/** Whether the value stayed with the receiver. An aborted transaction keeps the value unless it bounced it back
 *  (or tried to and could not pay, losing it); a transfer to an undeployed wallet is aborted yet credited. */
function credited(tx: Transaction): boolean {
  const d = tx.description;
  if (d.type !== 'generic') return false;
  return !d.aborted || d.bouncePhase === undefined || d.bouncePhase === null;
}

export class TransferLog implements TransferFeed {
  private readonly byReceiver = new Map<string, ChainTransfer[]>();
  private readonly listeners = new Set<(t: ChainTransfer) => void>();

  /** Records a transfer and tells every listener; a listener that throws does not stop the others or the chain. */
  publish(transfer: ChainTransfer): void {
    let list = this.byReceiver.get(transfer.to);
    if (!list) {
      list = [];
      this.byReceiver.set(transfer.to, list);
    }
    list.push(transfer);
    for (const listener of [...this.listeners]) {
      try {
        listener(transfer);
      } catch (e) {
        process.emitWarning(`transfer listener failed: ${(e as Error).message}`, { code: 'AUTOMINT_SIM_CHAIN_LISTENER' });
      }
    }
  }

  transfersTo(address: string): readonly ChainTransfer[] {
    return [...(this.byReceiver.get(Address.parse(address).toRawString()) ?? [])];
  }

  onTransfer(listener: (t: ChainTransfer) => void): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const subscription = (t: ChainTransfer): void => listener(t);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }
}
