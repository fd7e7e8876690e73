/** One TON payment of one order: its transfer signed into its wallet's batch (see wallet-batcher.ts), recorded by the
 *  host under its own key, broadcast with the batch once every member is recorded, then confirmed by the wallet
 *  seqno moving AND the batch transaction's transfer with the order's comment being found. */
import type { PaymentAttempt, Settlement } from '../../core/plugins/payment.js';
import type { TransferBatch } from './transfer-batch.js';

/** The ledger payload of a TON intent (no secret: the signed message is public once broadcast). Every member of a
 *  batch records the same message (seqno, valid_until, BOC) and the batch's order ids, so reconciliation can tell
 *  whether every order the message pays is known to the ledger before it sends it again. */
export type TonIntentPayload = {
  readonly walletAddress: string;
  readonly seqno: number;
  readonly validUntil: number;
  readonly boc: string;
  readonly bocHash: string;
  readonly comment: string;
  readonly batch: { readonly size: number; readonly orderIds: readonly string[] };
};

/** The idempotency key of a TON intent: one wallet, one seqno, one order of the message sent at that seqno. */
export function tonIntentKey(walletRaw: string, seqno: number, orderId: string): string {
  return `ton:${walletRaw}:${seqno}:${orderId}`;
}

export class TonAttempt implements PaymentAttempt {
  readonly idempotencyKey: string;
  readonly payload: TonIntentPayload;

  constructor(private readonly batch: TransferBatch, private readonly index: number) {
    const { wallet, signed, orderIds } = batch;
    const orderId = orderIds[index]!;
    this.idempotencyKey = tonIntentKey(wallet.address.toRawString(), signed.seqno, orderId);
    this.payload = {
      walletAddress: wallet.address.toString({ bounceable: false }), seqno: signed.seqno, validUntil: signed.validUntil,
      boc: signed.boc, bocHash: signed.bocHash, comment: orderId, batch: { size: orderIds.length, orderIds: [...orderIds] },
    };
  }

  /** Arrives at the batch's barrier (the host calls this only after recording the intent); resolves once broadcast. */
  send(signal: AbortSignal): Promise<void> {
    return this.batch.send(this.index, signal);
  }

  /** The batch's outcome for this order (its share of the fee when paid). */
  confirm(signal: AbortSignal): Promise<Settlement> {
    return this.batch.confirm(this.index, signal);
  }

  /** Lets go of the batch; before sending, that means the batch is never broadcast. */
  dispose(): void {
    this.batch.release(this.index);
  }
}
