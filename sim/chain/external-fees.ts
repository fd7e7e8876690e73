/** Fees of an external message, split the way toncenter's `estimateFee` reports them (`source_fees`). */
import type { Transaction } from '@ton/core';

/** What processing an external message would cost its receiver, split as toncenter's `source_fees`. */
export interface ExternalFees {
  readonly inFwdFee: bigint;
  readonly storageFee: bigint;
  readonly gasFee: bigint;
  readonly fwdFee: bigint;
}

/** The split of a transaction's total fees: import (in_fwd_fee), storage, gas, and forwarding of what it sends. */
export function feesOf(tx: Transaction): ExternalFees {
  const d = tx.description;
  if (d.type !== 'generic') return { inFwdFee: tx.totalFees.coins, storageFee: 0n, gasFee: 0n, fwdFee: 0n };
  const gasFee = d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n;
  const storageFee = d.storagePhase?.storageFeesCollected ?? 0n;
  const actionFees = d.actionPhase?.totalActionFees ?? 0n;
  // total_fees = import fee + storage + gas + action fees; the import fee is what toncenter calls in_fwd_fee.
  return {
    inFwdFee: tx.totalFees.coins - gasFee - storageFee - actionFees,
    storageFee,
    gasFee,
    fwdFee: d.actionPhase?.totalFwdFees ?? 0n,
  };
}
