/** A real WalletV5R1 history on the simulated chain, read back as the plugin reads it (toncenter's getTransactions
 *  through TonClient): what the search for a message by its seqno and the parsing of signed requests are tested on.
 *  Oldest first: a funding transfer (incoming), the message at seqno 0 (a batch of two commented transfers), a top-up,
 *  the message at seqno 1 (one transfer without a comment), a top-up, the message at seqno 2 (one commented
 *  transfer). Blocks are produced by hand (MANUAL_BLOCKS_MS), so nothing lands unless the test says so. */
import { external, internal, SendMode, storeMessage, beginCell, type Address, type Transaction } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { TonClient } from '@ton/ton';
import { toNano } from '../../../../core/money.js';
import { TonWallet, type SignedTransfer } from '../../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../../plugins/ton/toncenter.js';
import { deriveWalletKeys, type WalletKeys } from '../../../../plugins/ton/wallet-keys.js';
import { startChain, type SimChain } from '../../../../sim/chain/index.js';

/** No block is produced on its own within a test. */
export const MANUAL_BLOCKS_MS = 3_600_000;

export function inSeconds(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

/** A funded wallet (deployed by its first message) on `chain`, read and sent through `endpoint` (the chain's
 *  toncenter unless told). */
export interface WalletOnChain {
  readonly chain: SimChain;
  readonly keys: WalletKeys;
  readonly wallet: TonWallet;
  readonly store: Address;
}

export async function fundedWallet(chain: SimChain, endpoint = chain.endpoint): Promise<WalletOnChain> {
  const keys = await deriveWalletKeys('main', (await mnemonicNew()).join(' '));
  const wallet = new TonWallet('main', keys, connectToncenter({ endpoint, timeout: 30_000 }));
  const store = await chain.treasury('store');
  await chain.fundWalletV5R1(keys.publicKey, toNano('10'));
  return { chain, keys, wallet, store };
}

/** Signs `comments` as one message (one transfer of 0.1 TON each) at the wallet's next seqno and lands it. */
export async function payAndLand(w: WalletOnChain, comments: readonly string[]): Promise<SignedTransfer> {
  await w.wallet.refresh();
  const signed = await w.wallet.signBatch(comments.map((comment) => ({ to: w.store, amount: toNano('0.1'), comment })), inSeconds(60));
  await w.wallet.broadcast(signed.boc);
  await w.chain.produceBlock();
  return signed;
}

/** Lands a message of the (deployed) wallet at its next seqno whose one transfer carries no body at all. */
async function payWithoutComment(w: WalletOnChain): Promise<{ seqno: number; validUntil: number }> {
  const { seqno } = await w.wallet.refresh();
  const validUntil = inSeconds(60);
  const body = await w.wallet.contract.createTransfer({
    seqno, timeout: validUntil, signer: w.keys.signer, sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
    messages: [internal({ to: w.store, value: toNano('0.1'), bounce: false })],
  });
  const cell = beginCell().store(storeMessage(external({ to: w.wallet.address, body }))).endCell();
  await w.wallet.broadcast(cell.toBoc().toString('base64'));
  await w.chain.produceBlock();
  return { seqno, validUntil };
}

/** The history described above. */
export interface WalletHistory extends WalletOnChain {
  /** Every transaction of the wallet, newest first: [seqno 2, top-up, seqno 1, top-up, seqno 0, funding]. */
  readonly txs: readonly Transaction[];
  readonly batch: SignedTransfer;
  readonly uncommented: { seqno: number; validUntil: number };
  readonly single: SignedTransfer;
  /** Stops the chain. */
  close(): Promise<void>;
}

export const BATCH_COMMENTS = ['order-a', 'order-b'] as const;
export const SINGLE_COMMENT = 'order-c';

export async function walletHistory(): Promise<WalletHistory> {
  const chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
  try {
    const w = await fundedWallet(chain);
    const batch = await payAndLand(w, BATCH_COMMENTS);
    await w.chain.fundWalletV5R1(w.keys.publicKey, toNano('1'));
    const uncommented = await payWithoutComment(w);
    await w.chain.fundWalletV5R1(w.keys.publicKey, toNano('1'));
    const single = await payAndLand(w, [SINGLE_COMMENT]);
    const txs = await new TonClient({ endpoint: w.chain.endpoint, timeout: 30_000 }).getTransactions(w.wallet.address, { limit: 20 });
    if (txs.length !== 6) throw new Error(`expected 6 transactions in the wallet's history, found ${txs.length}`);
    return { ...w, txs, batch, uncommented, single, close: () => chain.close() };
  } catch (e) {
    await chain.close();
    throw e;
  }
}
