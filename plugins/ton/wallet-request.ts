/** The signed request a WalletV5R1 transaction executed: which seqno it used. Every external message the wallet
 *  accepts carries one (op "sign", wallet id, valid_until, seqno, actions, signature at the tail), and the contract
 *  accepts it only at the seqno it stores, then moves the seqno on before it sends anything. So the wallet's
 *  external transactions, newest first, name the seqnos in descending order, and the one naming seqno N is the
 *  message that consumed N: ours, or proof that ours can never execute. */
import type { Transaction } from '@ton/core';
import { WalletContractV5R1 } from '@ton/ton';

/** What a wallet transaction's inbound external message asked for. */
export interface SignedRequest {
  readonly seqno: number;
  readonly validUntil: number;
}

/** The signed request of `tx`'s inbound external message, or null (an incoming transfer, another contract's shape). */
export function signedRequestOf(tx: Transaction): SignedRequest | null {
  const inbound = tx.inMessage;
  if (inbound?.info.type !== 'external-in') return null;
  try {
    const body = inbound.body.beginParse();
    if (body.remainingBits < 128) return null;
    if (body.loadUint(32) !== WalletContractV5R1.OpCodes.auth_signed_external) return null;
    body.skip(32); // wallet id
    const validUntil = body.loadUint(32);
    const seqno = body.loadUint(32);
    return { seqno, validUntil };
  } catch {
    return null;
  }
}
