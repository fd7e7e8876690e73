/** Per-account transaction history. The sandbox emulates transactions but keeps no usable history, so the chain
 *  records every transaction it applies here; `getTransactions` pages through it the way tonlib does: newest first,
 *  starting at a given (lt, hash) inclusive, stopping above an exclusive lower bound `to_lt`. */
import type { Address, Transaction } from '@ton/core';
import { ToncenterError } from './errors.js';

/** One transaction as the history holds it. */
export interface RecordedTransaction {
  readonly account: Address;
  readonly tx: Transaction;
  /** Hash of the transaction cell (what toncenter calls the transaction hash). */
  readonly hash: Buffer;
}

/** Where a listing starts and stops. */
export interface HistoryQuery {
  /** At most this many transactions. */
  readonly limit: number;
  /** Start at this transaction (included); without it, at the newest. */
  readonly from?: { readonly lt: bigint; readonly hash: Buffer };
  /** Only transactions with lt strictly above this. */
  readonly toLt?: bigint;
}

export class TransactionHistory {
  /** Raw address → transactions, oldest first (lt strictly increases within an account). */
  private readonly byAccount = new Map<string, RecordedTransaction[]>();

  /** Appends a transaction of `account`; it must be newer than every transaction recorded for that account. */
  record(account: Address, tx: Transaction): RecordedTransaction {
    const key = account.toRawString();
    let list = this.byAccount.get(key);
    if (!list) {
      list = [];
      this.byAccount.set(key, list);
    }
    const last = list[list.length - 1];
    if (last && last.tx.lt >= tx.lt) {
      throw new RangeError(`transaction lt ${tx.lt} is not after the last recorded lt ${last.tx.lt} of ${key}`);
    }
    const recorded: RecordedTransaction = { account, tx, hash: tx.hash() };
    list.push(recorded);
    return recorded;
  }

  /** Transactions of `account`, newest first, as selected by `query`. */
  list(account: Address, query: HistoryQuery): RecordedTransaction[] {
    const list = this.byAccount.get(account.toRawString()) ?? [];
    let start = list.length - 1;
    if (query.from) {
      start = indexOfLt(list, query.from.lt);
      if (start < 0 || !list[start]!.hash.equals(query.from.hash)) {
        throw new ToncenterError(
          'TRANSACTION_NOT_FOUND',
          `LITE_SERVER_UNKNOWN: cannot locate transaction lt=${query.from.lt} hash=${query.from.hash.toString('hex')} of ${account.toRawString()}`,
          { account: account.toRawString(), lt: query.from.lt.toString() },
        );
      }
    }
    const toLt = query.toLt ?? 0n;
    const out: RecordedTransaction[] = [];
    for (let i = start; i >= 0 && out.length < query.limit; i--) {
      const entry = list[i]!;
      if (entry.tx.lt <= toLt) break;
      out.push(entry);
    }
    return out;
  }
}

/** Binary search over lt-ascending entries; -1 when no entry has exactly `lt`. */
function indexOfLt(list: readonly RecordedTransaction[], lt: bigint): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const midLt = list[mid]!.tx.lt;
    if (midLt === lt) return mid;
    if (midLt < lt) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
