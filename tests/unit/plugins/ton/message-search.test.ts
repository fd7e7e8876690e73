import type { Transaction } from '@ton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMessage } from '../../../../plugins/ton/message-search.js';
import { BATCH_COMMENTS, SINGLE_COMMENT, walletHistory, type WalletHistory } from './wallet-history.js';

/** The listing as toncenter would page it: each argument one page, newest first. */
async function* pages(...listing: (readonly Transaction[])[]): AsyncGenerator<readonly Transaction[]> {
  for (const page of listing) yield page;
}

const hashOf = (tx: Transaction): string => tx.hash().toString('hex');

describe('finding one of our messages in the wallet\'s history by its seqno', () => {
  let h: WalletHistory;
  /** [seqno 2, top-up, seqno 1, top-up, seqno 0, funding] */
  let seq2: Transaction, topUp2: Transaction, seq1: Transaction, topUp1: Transaction, seq0: Transaction, funding: Transaction;

  beforeAll(async () => {
    h = await walletHistory();
    [seq2, topUp2, seq1, topUp1, seq0, funding] = h.txs as Transaction[];
  });

  afterAll(async () => {
    await h?.close();
  });

  it('finds ours by the hash of its message, walking past newer messages and incoming transfers', async () => {
    // No comment to match: the hash alone proves it.
    const found = await findMessage(pages(h.txs), { seqno: 0, bocHash: h.batch.bocHash, comments: [] });
    expect(found.kind).toBe('ours');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(hashOf(seq0!));
  });

  it('finds ours by one of its order ids when the intent kept no hash, even among other transfers of the batch', async () => {
    const found = await findMessage(pages([seq2!, topUp2!], [seq1!, topUp1!, seq0!]), { seqno: 0, comments: [BATCH_COMMENTS[1]] });
    expect(found.kind).toBe('ours');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(hashOf(seq0!));
  });

  it('finds ours by an order id when the hash it kept is of another serialization', async () => {
    const found = await findMessage(pages(h.txs), { seqno: 2, bocHash: 'ab'.repeat(32), comments: ['order-other', SINGLE_COMMENT] });
    expect(found.kind).toBe('ours');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(hashOf(seq2!));
  });

  it('proves another message took the seqno when neither the hash nor any order id matches', async () => {
    const found = await findMessage(pages(h.txs), { seqno: 0, bocHash: h.single.bocHash, comments: ['order-never'] });
    expect(found.kind).toBe('overtaken');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(hashOf(seq0!));
  });

  it('does not take a transfer without a comment for ours', async () => {
    // Nothing was kept to compare the inbound message with: only the order ids can make it ours, and it carries none.
    const found = await findMessage(pages(h.txs), { seqno: 1, comments: ['order-never'] });
    expect(found.kind).toBe('overtaken');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(hashOf(seq1!));
  });

  it('proves nothing once it reaches an older seqno without the one sought (the listing lags the state)', async () => {
    const found = await findMessage(pages([seq2!, topUp2!], [topUp1!, seq0!, funding!]), { seqno: 1, bocHash: 'ab'.repeat(32), comments: ['order-x'] });
    expect(found).toEqual({ kind: 'not-listed', reason: 'the wallet\'s transactions reach back to seqno 0 without the one that used seqno 1' });
  });

  it('proves nothing about a seqno newer than any listed, stopping at the newest message', async () => {
    const found = await findMessage(pages(h.txs), { seqno: 3, comments: [SINGLE_COMMENT] });
    expect(found).toEqual({ kind: 'not-listed', reason: 'the wallet\'s transactions reach back to seqno 2 without the one that used seqno 3' });
  });

  it('proves nothing when the listing ends without any message, counting every transaction it read', async () => {
    const found = await findMessage(pages([topUp2!], [], [topUp1!, funding!]), { seqno: 1, comments: ['order-x'] });
    expect(found).toEqual({ kind: 'not-listed', reason: 'no transaction used seqno 1 among the 3 listed' });
  });
});
