/** An in-memory TransferFeed for tests of the simulated store: a test "produces a block" by calling `deliver`, and
 *  listeners hear it at once, like the chain's feed does when a block lands. */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import type { ChainTransfer, TransferFeed } from '../../sim/chain/transfer.js';

export class MemoryTransferFeed implements TransferFeed {
  private readonly transfers: ChainTransfer[] = [];
  private readonly listeners = new Set<(t: ChainTransfer) => void>();
  private nextLt = 1_000n;

  /** `clock` (epoch ms) stamps `utime` on transfers that do not bring their own. */
  constructor(private readonly clock: () => number = Date.now) {}

  transfersTo(address: string): readonly ChainTransfer[] {
    const target = Address.parse(address);
    return this.transfers.filter((t) => Address.parse(t.to).equals(target));
  }

  onTransfer(listener: (t: ChainTransfer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a transfer (defaults: a fresh lt and hash, utime now, success) and tells every listener. */
  deliver(t: Pick<ChainTransfer, 'to' | 'amount' | 'comment'> & Partial<ChainTransfer>): ChainTransfer {
    const transfer: ChainTransfer = {
      from: t.from ?? new Address(0, Buffer.alloc(32, 0xaa)).toRawString(),
      to: Address.parse(t.to).toRawString(),
      amount: t.amount,
      comment: t.comment,
      lt: t.lt ?? (this.nextLt += 1n),
      txHash: t.txHash ?? randomBytes(32).toString('hex'),
      utime: t.utime ?? Math.floor(this.clock() / 1000),
      success: t.success ?? true,
    };
    this.transfers.push(transfer);
    for (const listener of this.listeners) listener(transfer);
    return transfer;
  }

  /** How many listeners are subscribed (to check that a store unsubscribes on close). */
  listenerCount(): number {
    return this.listeners.size;
  }
}
