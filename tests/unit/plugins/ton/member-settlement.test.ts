import type { Transaction } from '@ton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNano, type Nano } from '../../../../core/money.js';
import { tonConfigSchema } from '../../../../plugins/ton/config.js';
import { confirmTransfer, settleMember, type MessageMember } from '../../../../plugins/ton/message-watch.js';
import { BATCH_COMMENTS, SINGLE_COMMENT, walletHistory, type WalletHistory } from './wallet-history.js';

const CONFIG = { ...tonConfigSchema.parse({}), confirmPollMs: 20, confirmTimeoutSec: 60 };
const never = new AbortController().signal;
const hashOf = (tx: Transaction): string => tx.hash().toString('hex');

/** What the wallet lost beyond the amounts: the transaction's fees and the forwarding fees of what it sent. */
function loss(tx: Transaction): bigint {
  let forward = 0n;
  for (const out of tx.outMessages.values()) if (out.info.type === 'internal') forward += out.info.forwardFee;
  return tx.totalFees.coins + forward;
}

describe('what a message\'s outcome means for each order it pays', () => {
  let h: WalletHistory;
  let batchTx: Transaction;
  const comments = [...BATCH_COMMENTS];
  const member = (index: number, over: Partial<MessageMember> = {}): MessageMember =>
    ({ index, destination: h.store, amount: toNano('0.1') as Nano, comment: comments[index]!, ...over });

  beforeAll(async () => {
    h = await walletHistory();
    batchTx = h.txs[4]!;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('is not paid when the message expired, and unknown when its fate is, each with the watch\'s reason', () => {
    expect(settleMember({ kind: 'expired', reason: 'expired at 5' }, comments, member(0))).toEqual({ outcome: 'not-paid', reason: 'expired at 5' });
    expect(settleMember({ kind: 'unknown', reason: 'no answer' }, comments, member(0))).toEqual({ outcome: 'unknown', reason: 'no answer' });
  });

  it('pays each member of an executed batch its share of the fees, the shares adding up to what the wallet lost', () => {
    const executed = { kind: 'executed' as const, tx: batchTx };
    const a = settleMember(executed, comments, member(0));
    const b = settleMember(executed, comments, member(1));
    expect(a).toMatchObject({ outcome: 'paid', txHash: hashOf(batchTx) });
    expect(b).toMatchObject({ outcome: 'paid', txHash: hashOf(batchTx) });
    const fees = [(a as { fee: bigint }).fee, (b as { fee: bigint }).fee];
    expect(fees[0]! + fees[1]!).toBe(loss(batchTx));
    expect(fees[1]).toBeGreaterThan(0n);
  });

  it('calls unknown a transfer that left with another amount than signed, naming the transaction', () => {
    const settled = settleMember({ kind: 'executed', tx: batchTx }, comments, member(1, { amount: toNano('0.2') as Nano }));
    expect(settled).toEqual({
      outcome: 'unknown',
      reason: `transaction carries a transfer with comment ${BATCH_COMMENTS[1]} that differs from the signed one (transaction ${hashOf(batchTx)})`,
    });
  });

  it('is not paid when our executed message carries no transfer for the order', () => {
    const settled = settleMember({ kind: 'executed', tx: batchTx }, [...comments, 'order-z'], member(2, { comment: 'order-z' }));
    expect(settled).toEqual({ outcome: 'not-paid', reason: `our message executed in transaction ${hashOf(batchTx)} without the transfer for order order-z` });
  });

  it('confirms a single transfer on chain, its whole fee its own', async () => {
    const settled = await confirmTransfer(h.wallet, { ...h.single, destination: h.store, amount: toNano('0.1') as Nano, comment: SINGLE_COMMENT }, CONFIG, never);
    expect(settled).toEqual({ outcome: 'paid', txHash: hashOf(h.txs[0]!), fee: loss(h.txs[0]!) });
  });

  it('confirms each member of a batch at its own place in the message', async () => {
    const confirm = (comment: string) => confirmTransfer(h.wallet, { ...h.batch, destination: h.store, amount: toNano('0.1') as Nano, comment, comments },
      CONFIG, never);
    const [a, b] = [await confirm(comments[0]!), await confirm(comments[1]!)];
    expect(a).toEqual(settleMember({ kind: 'executed', tx: batchTx }, comments, member(0)));
    expect(b).toEqual(settleMember({ kind: 'executed', tx: batchTx }, comments, member(1)));
  });
});
