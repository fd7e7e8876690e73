/** What the simulated chain tells the rest of the simulated world about money that moved. The store confirms TON
 *  orders from these: a transfer to its wallet with the order id as text comment and the right amount, in time. */

/** One incoming internal message that a transaction on the chain processed. */
export interface ChainTransfer {
  /** Sender, raw form `0:<hex>`. */
  readonly from: string;
  /** Receiver, raw form `0:<hex>`. */
  readonly to: string;
  /** Value carried, in nanotons. */
  readonly amount: bigint;
  /** The text comment (op 0 + UTF-8 tail), or null when the body is not a text comment. */
  readonly comment: string | null;
  /** Logical time and hash (hex) of the receiver's transaction. */
  readonly lt: bigint;
  readonly txHash: string;
  /** Unix seconds of the block that carried it. */
  readonly utime: number;
  /** False when the receiving transaction aborted (the value bounced back or was lost). */
  readonly success: boolean;
}

/** A live feed of transfers, as the simulated store consumes it. */
export interface TransferFeed {
  /** Every transfer received by `address` (raw or friendly form), oldest first. */
  transfersTo(address: string): readonly ChainTransfer[];
  /** Calls `listener` for each transfer as its block is produced; returns an unsubscribe function. */
  onTransfer(listener: (t: ChainTransfer) => void): () => void;
}
