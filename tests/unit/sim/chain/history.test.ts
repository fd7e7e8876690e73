import { createHash } from 'node:crypto';
import { Address, type Transaction } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { TransactionHistory } from '../../../../sim/chain/history.js';

const alice = new Address(0, Buffer.alloc(32, 1));
const bob = new Address(0, Buffer.alloc(32, 2));

/** The two things the history reads from a transaction: its lt and its hash. */
function tx(lt: bigint): Transaction {
  const hash = createHash('sha256').update(`tx-${lt}`).digest();
  return { lt, hash: () => hash } as unknown as Transaction;
}

function historyOf(lts: bigint[]): TransactionHistory {
  const history = new TransactionHistory();
  for (const lt of lts) history.record(alice, tx(lt));
  return history;
}

const lts = (list: { tx: Transaction }[]): bigint[] => list.map((r) => r.tx.lt);

describe('transaction history', () => {
  it('lists an account newest first, up to the limit, without other accounts', () => {
    const history = historyOf([10n, 20n, 30n, 40n]);
    history.record(bob, tx(35n));
    expect(lts(history.list(alice, { limit: 3 }))).toEqual([40n, 30n, 20n]);
    expect(lts(history.list(bob, { limit: 10 }))).toEqual([35n]);
    expect(history.list(new Address(0, Buffer.alloc(32, 9)), { limit: 10 })).toEqual([]);
  });

  it('starts at the given lt and hash, including that transaction', () => {
    const history = historyOf([10n, 20n, 30n, 40n]);
    const start = tx(30n);
    expect(lts(history.list(alice, { limit: 2, from: { lt: 30n, hash: start.hash() } }))).toEqual([30n, 20n]);
  });

  it('stops above to_lt, which is excluded', () => {
    const history = historyOf([10n, 20n, 30n, 40n]);
    expect(lts(history.list(alice, { limit: 10, toLt: 20n }))).toEqual([40n, 30n]);
    expect(lts(history.list(alice, { limit: 10, from: { lt: 30n, hash: tx(30n).hash() }, toLt: 10n }))).toEqual([30n, 20n]);
  });

  it('refuses a start whose lt is unknown or whose hash does not match', () => {
    const history = historyOf([10n, 20n, 30n]);
    expect(() => history.list(alice, { limit: 1, from: { lt: 25n, hash: tx(25n).hash() } })).toThrow(
      expect.objectContaining({ code: 'TRANSACTION_NOT_FOUND', status: 500 }),
    );
    expect(() => history.list(alice, { limit: 1, from: { lt: 20n, hash: tx(30n).hash() } })).toThrow(
      expect.objectContaining({ code: 'TRANSACTION_NOT_FOUND' }),
    );
  });

  it('finds every recorded transaction by lt in a long history', () => {
    const all = Array.from({ length: 257 }, (_, i) => BigInt(1000 + i * 7));
    const history = historyOf(all);
    for (const lt of all) {
      expect(lts(history.list(alice, { limit: 1, from: { lt, hash: tx(lt).hash() } }))).toEqual([lt]);
    }
    expect(history.list(alice, { limit: 1000 })).toHaveLength(257);
  });

  it('refuses a transaction that is not newer than the last one of its account', () => {
    const history = historyOf([10n, 20n]);
    expect(() => history.record(alice, tx(20n))).toThrow(RangeError);
  });
});
