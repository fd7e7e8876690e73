/** One WalletV5R1 as automint uses it: keys derived once, toncenter v2 to read and send (toncenter.ts), the next
 *  seqno tracked locally. One external message carries up to 255 transfers (see wallet-batcher.ts, which keeps one
 *  message in flight at a time). Every failed toncenter call surfaces as a TonPaymentError that cannot carry the API
 *  key (see ton-payment-error.ts). */
import { Address, beginCell, Cell, external, internal, SendMode, storeMessage, type Transaction } from '@ton/core';
import { WalletContractV5R1 } from '@ton/ton';
import type { Nano } from '../../core/money.js';
import { toncenterFailure, type ToncenterOperation } from './ton-payment-error.js';
import type { WalletKeys } from './wallet-keys.js';
import { ChainClock } from './chain-clock.js';
import type { Toncenter } from './toncenter.js';
import { findMessage, type MessageSearch, type SoughtMessage } from './message-search.js';

/** One transfer of an external message: exactly `amount` to `to`, with the order id as text comment. */
export interface OutgoingTransfer {
  readonly to: Address;
  readonly amount: Nano;
  readonly comment: string;
}

/** Most transfers one WalletV5R1 external message carries (out-actions per request). */
export const MAX_TRANSFERS_PER_MESSAGE = 255;

/** A signed transfer, ready to broadcast: everything the ledger needs to re-send or reconcile it. */
export interface SignedTransfer {
  readonly seqno: number;
  /** Unix seconds after which the wallet contract refuses the message. */
  readonly validUntil: number;
  /** The external message, base64 BOC. */
  readonly boc: string;
  /** Hash of the external message cell, hex. */
  readonly bocHash: string;
}

/** The wallet as of one block. */
export interface ChainState {
  readonly seqno: number;
  readonly balance: Nano;
  readonly deployed: boolean;
  /** Unix seconds of the block the state was read at. */
  readonly utime: number;
}

/** The history is read newest first, in a small page (live confirmation finds its message there), then further back
 *  in larger ones, never more than MAX_PAGES pages. */
const FIRST_PAGE_SIZE = 10;
const PAGE_SIZE = 50;
const MAX_PAGES = 20;
/** A message is dated from a reading of the chain's time at most this old. */
const CLOCK_FRESH_FOR_SIGNING_MS = 30_000;
/** A seqno and balance older than this are read again before signing: the wallet may have been used meanwhile. */
export const STATE_FRESH_MS = 30_000;

export class TonWallet {
  readonly contract: WalletContractV5R1;
  private nextSeqno: number | null = null;
  private deployed = false;
  /** Last balance read from the chain minus what was paid since: the check before paying needs no round trip. */
  private knownBalance: Nano | null = null;
  /** performance.now() when the seqno and balance were last read (or the seqno learned from our own message). */
  private stateReadAt = Number.NEGATIVE_INFINITY;
  /** A read started ahead of signing (readSoon), and how many messages had been signed when it started. */
  private reading: Promise<void> | null = null;
  private signedCount = 0;

  constructor(
    readonly name: string,
    private readonly keys: WalletKeys,
    private readonly toncenter: Toncenter,
    /** The chain's time: every state read feeds it, and messages are signed and judged by it. */
    readonly clock: ChainClock = new ChainClock(),
  ) {
    this.contract = WalletContractV5R1.create({ workchain: 0, publicKey: keys.publicKey });
  }

  get address(): Address {
    return this.contract.address;
  }

  /** Reads state and seqno from the chain (arming, and after an unknown outcome). */
  async refresh(): Promise<{ seqno: number; balance: Nano; deployed: boolean }> {
    const state = await this.chainState();
    this.hold(state);
    return { seqno: state.seqno, balance: state.balance, deployed: state.deployed };
  }

  private hold({ seqno, balance, deployed }: ChainState): void {
    this.deployed = deployed;
    this.nextSeqno = seqno;
    this.knownBalance = balance;
    this.stateReadAt = performance.now();
  }

  /** Starts reading the seqno and balance when those held are older than STATE_FRESH_MS (armed long before the drop:
   *  the wallet may have been used since) and the wallet has no message out (`idle`), so that the read runs while the
   *  order's own request is out rather than after its answer. What it reads is kept only if the wallet is still idle
   *  and has signed nothing since; signing waits for it (readyToSign). */
  readSoon(idle: () => boolean): void {
    if (this.reading !== null || performance.now() - this.stateReadAt < STATE_FRESH_MS || !idle()) return;
    const signedBefore = this.signedCount;
    this.reading = this.chainState().then((state) => {
      if (this.signedCount === signedBefore && idle()) this.hold(state);
    }, () => undefined).finally(() => {
      this.reading = null;
    });
  }

  /**
   * One read of the wallet as of one block: the seqno comes from the contract data of that same answer (a second
   * call could be served by another liteserver at another block), with the block's time, which is what decides
   * whether a message's valid_until has passed on the chain.
   */
  async chainState(): Promise<ChainState> {
    const state = await this.rpc('getContractState', () => this.toncenter.client.getContractState(this.address));
    this.clock.observe(state.timestampt);
    const deployed = state.state === 'active';
    const seqno = deployed && state.data ? seqnoOf(state.data) : 0;
    return { seqno, balance: state.balance as Nano, deployed, utime: state.timestampt };
  }

  /** The balance as the chain has it now; also resets the local estimate. */
  async balance(): Promise<Nano> {
    this.knownBalance = (await this.rpc('getBalance', () => this.toncenter.client.getBalance(this.address))) as Nano;
    return this.knownBalance;
  }

  /** True when the wallet holds at least `need`: from the local estimate when it suffices, else from the chain. */
  async covers(need: Nano): Promise<{ ok: boolean; balance: Nano }> {
    if (this.knownBalance !== null && this.knownBalance >= need) return { ok: true, balance: this.knownBalance };
    const balance = await this.balance();
    return { ok: balance >= need, balance };
  }

  /** Money left the wallet (a confirmed transfer and its fee). */
  spent(amount: Nano | bigint): void {
    if (this.knownBalance !== null) this.knownBalance = (this.knownBalance - amount) as Nano;
  }

  /** Reads the seqno and balance (unless read in the last STATE_FRESH_MS: a read started by readSoon is waited for)
   *  and the chain's time (unless read in the last half minute) before a message is dated and signed. Called only
   *  while the wallet has no message out (its batcher sees to that). */
  async readyToSign(): Promise<void> {
    if (this.reading !== null) await this.reading;
    const stale = performance.now() - this.stateReadAt >= STATE_FRESH_MS;
    if (this.nextSeqno === null || stale || !this.clock.isFresh(CLOCK_FRESH_FOR_SIGNING_MS)) await this.refresh();
  }

  /** Builds and signs a message that can never be executed (valid until 1970, nothing to anyone but this wallet, and
   *  thrown away), so that the first real signature at the drop does not pay for cold code: ~3–7 ms the first time. */
  async warmSigner(): Promise<void> {
    await this.signBatch([{ to: this.address, amount: 0n as Nano, comment: 'automint warm-up' }], 1);
  }

  /** Builds and signs a transfer of exactly `amount` with a text comment, at the next seqno. */
  async sign(to: Address, amount: Nano, comment: string, validUntil: number): Promise<SignedTransfer> {
    return this.signBatch([{ to, amount, comment }], validUntil);
  }

  /** Builds and signs one external message carrying every transfer (1..255), in this order, at the next seqno.
   *  Only one signed message may be in flight at a time: the caller (the wallet's batcher) sees to that. */
  async signBatch(transfers: readonly OutgoingTransfer[], validUntil: number): Promise<SignedTransfer> {
    if (transfers.length === 0 || transfers.length > MAX_TRANSFERS_PER_MESSAGE) {
      throw new RangeError(`one external message carries 1 to ${MAX_TRANSFERS_PER_MESSAGE} transfers, not ${transfers.length}`);
    }
    if (this.nextSeqno === null) await this.refresh();
    const seqno = this.nextSeqno!;
    this.signedCount += 1;
    const body = await this.contract.createTransfer({
      seqno,
      timeout: validUntil,
      signer: this.keys.signer,
      // Fees are paid from the wallet on top: the store receives exactly each order's amount.
      sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
      messages: transfers.map((t) => internal({ to: t.to, value: t.amount, bounce: false, body: t.comment })),
    });
    // The first transfer of a fresh wallet deploys it, so it carries the StateInit.
    const message = external({ to: this.address, init: this.deployed ? undefined : this.contract.init, body });
    const cell = beginCell().store(storeMessage(message)).endCell();
    return { seqno, validUntil, boc: cell.toBoc().toString('base64'), bocHash: cell.hash().toString('hex') };
  }

  /** Broadcasts a signed transfer. Re-sending the same one is safe: the seqno lets it execute at most once. */
  async broadcast(boc: string): Promise<void> {
    await this.toncenter.sender.send(boc);
  }

  /** The chain executed our message at `seqno`: the next transfer uses the one after it. */
  advance(seqno: number): void {
    this.deployed = true;
    if (this.nextSeqno === null || this.nextSeqno <= seqno) this.nextSeqno = seqno + 1;
    // The chain just told us the seqno: as good as a read (the balance follows our own payments, `spent`).
    this.stateReadAt = performance.now();
  }

  /** Forgets the local seqno and balance estimate (the fate of a message is not known here): the next transfer and
   *  balance check read them from the chain. */
  invalidate(): void {
    this.nextSeqno = null;
    this.knownBalance = null;
  }

  /** Walks the wallet's history back to the transaction that used `m.seqno` (see message-search.ts). */
  findMessage(m: SoughtMessage): Promise<MessageSearch> {
    return findMessage(this.transactionPages(), m);
  }

  /** The wallet's transactions, newest first, a page at a time, until the history ends or MAX_PAGES were read. */
  async *transactionPages(): AsyncGenerator<readonly Transaction[]> {
    let from: { lt: string; hash: string; inclusive: true } | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const limit = page === 0 ? FIRST_PAGE_SIZE : PAGE_SIZE;
      // The newest page from any liteserver (archival ones lag more); older pages need an archival one.
      const txs = await this.rpc('getTransactions', () => this.toncenter.client.getTransactions(this.address, { limit, archival: page > 0, ...from }));
      yield txs;
      const oldest = txs[txs.length - 1];
      if (oldest === undefined || txs.length < limit || oldest.prevTransactionLt === 0n) return;
      // The next page starts at the transaction before the oldest one seen (toncenter lists from lt/hash inclusive).
      from = { lt: oldest.prevTransactionLt.toString(), hash: uint256Base64(oldest.prevTransactionHash), inclusive: true };
    }
  }

  /** Runs one toncenter call, turning its failure into a TonPaymentError that holds no request data. */
  private async rpc<T>(operation: ToncenterOperation, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw toncenterFailure(operation, e);
    }
  }
}

/** A 256-bit hash held as a bigint (as @ton/core keeps transaction hashes) in the base64 TonClient expects. */
function uint256Base64(hash: bigint): string {
  return Buffer.from(hash.toString(16).padStart(64, '0'), 'hex').toString('base64');
}

/** The seqno in WalletV5R1 data: a signature-allowed bit, then 32 bits of seqno. */
function seqnoOf(data: Buffer): number {
  const s = Cell.fromBoc(data)[0]!.beginParse();
  s.skip(1);
  return s.loadUint(32);
}
