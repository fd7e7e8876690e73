import { setImmediate as nextTurn } from 'node:timers/promises';
import { beginCell, Cell, loadMessage, storeMessage, type Address, type Transaction } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { TonClient } from '@ton/ton';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNano, type Nano } from '../../../core/money.js';
import type { Settlement } from '../../../core/plugins/payment.js';
import { tonConfigSchema } from '../../../plugins/ton/config.js';
import { confirmTransfer, type PendingTransfer } from '../../../plugins/ton/message-watch.js';
import { TonPaymentError } from '../../../plugins/ton/ton-payment-error.js';
import { TonWallet } from '../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../plugins/ton/toncenter.js';
import { BocSender } from '../../../plugins/ton/boc-sender.js';
import { deriveWalletKeys, type WalletKeys } from '../../../plugins/ton/wallet-keys.js';
import { startChain, type SimChain } from '../../../sim/chain/index.js';
import { startFlakyToncenter } from '../../support/flaky-toncenter.js';
import { memberOutcome } from '../../../plugins/ton/batch-transaction.js';

/** Long enough that no block is produced on its own: each test produces the blocks it needs. */
const MANUAL_BLOCKS_MS = 3_600_000;

function inSeconds(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

/** The toncenter error text of a refused call, as the wallet's TonPaymentError carries it. */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    if (e instanceof TonPaymentError && typeof e.details.toncenterError === 'string') return e.details.toncenterError;
    throw e;
  }
  return expect.fail('expected the chain to refuse the call');
}

/** Hash of the message a transaction processed, as the payload's `bocHash` records it. */
function inboundHash(tx: Transaction): string | null {
  return tx.inMessage ? beginCell().store(storeMessage(tx.inMessage)).endCell().hash().toString('hex') : null;
}

/** Polls `probe` until it holds (a state, not a fixed sleep), failing after `timeoutMs`. */
async function waitFor(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('TON wallet against the simulated chain', () => {
  let chain: SimChain;
  let client: TonClient;
  let wallet: TonWallet;
  let keys: WalletKeys;
  let store: Address;
  const funded = toNano('5');
  const first = { amount: toNano('1.5'), comment: 'order-1001' };
  let firstHash = '';
  const seqnoOnChain = async (): Promise<number> => (await wallet.chainState()).seqno;

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    client = new TonClient({ endpoint: chain.endpoint });
    keys = await deriveWalletKeys('main', (await mnemonicNew()).join(' '));
    wallet = new TonWallet('main', keys, { client, sender: new BocSender(chain.endpoint, undefined) });
    await chain.fundWalletV5R1(keys.publicKey, funded);
    store = await chain.treasury('store');
  });

  afterAll(async () => {
    await chain?.close();
  });

  function transfersWith(comment: string) {
    return chain.transfersTo(store.toString()).filter((t) => t.comment === comment);
  }

  it('reads a funded wallet that never sent anything as undeployed at seqno 0', async () => {
    expect(await wallet.refresh()).toEqual({ seqno: 0, balance: funded, deployed: false });
  });

  it('deploys the wallet with its first transfer and moves exactly the amount with the comment', async () => {
    const signed = await wallet.sign(store, first.amount, first.comment, inSeconds(60));
    expect(signed.seqno).toBe(0);
    expect(loadMessage(Cell.fromBase64(signed.boc).beginParse()).init).toBeTruthy();

    await wallet.broadcast(signed.boc);
    expect(transfersWith(first.comment)).toEqual([]);
    await chain.produceBlock();

    const received = transfersWith(first.comment);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ from: wallet.address.toRawString(), amount: first.amount, success: true });
    expect((await client.getContractState(wallet.address)).state).toBe('active');
    expect(await seqnoOnChain()).toBe(1);
    const [walletTx] = await client.getTransactions(wallet.address, { limit: 1 });
    expect(inboundHash(walletTx!)).toBe(signed.bocHash);
    firstHash = signed.bocHash;
  });

  it('finds its message by seqno, with the fee the wallet paid on top of the amount', async () => {
    const found = await wallet.findMessage({ seqno: 0, bocHash: firstHash, comments: [first.comment] });
    const [walletTx] = await client.getTransactions(wallet.address, { limit: 1 });
    expect(found).toMatchObject({ kind: 'ours' });
    const tx = (found as { tx: Transaction }).tx;
    expect(tx.hash().toString('hex')).toBe(walletTx!.hash().toString('hex'));
    const mine = memberOutcome(tx, [first.comment], 0, { destination: store, amount: first.amount, comment: first.comment });
    expect(mine.kind).toBe('paid');
    const fee = (mine as { fee: Nano }).fee;
    expect(fee).toBeGreaterThan(0n);
    expect(await client.getBalance(wallet.address)).toBe(funded - first.amount - fee);
  });

  it('takes the message that used its seqno for another one when neither hash nor comment match', async () => {
    const found = await wallet.findMessage({ seqno: 0, bocHash: 'ab'.repeat(32), comments: ['order-9999'] });
    expect(found.kind).toBe('overtaken');
    const tx = (found as { tx: Transaction }).tx;
    // And the transfer it carried, read for this order, differs in amount or destination: not taken for paid.
    expect(memberOutcome(tx, [first.comment], 0, { destination: store, amount: (first.amount + 1n) as Nano, comment: first.comment }).kind).toBe('mismatch');
    expect(memberOutcome(tx, [first.comment], 0, { destination: await chain.treasury('elsewhere'), amount: first.amount, comment: first.comment }).kind).toBe('mismatch');
  });

  it('proves nothing about a seqno no transaction has used yet', async () => {
    const found = await wallet.findMessage({ seqno: 5, comments: ['order-5'] });
    expect(found).toMatchObject({ kind: 'not-listed' });
  });

  it('signs the next transfer at seqno 1, without the deploy StateInit', async () => {
    wallet.advance(0);
    const signed = await wallet.sign(store, toNano('0.25'), 'order-1002', inSeconds(60));
    expect(signed.seqno).toBe(1);
    expect(loadMessage(Cell.fromBase64(signed.boc).beginParse()).init).toBeFalsy();

    const before = await client.getBalance(wallet.address);
    await wallet.broadcast(signed.boc);
    await chain.produceBlock();

    expect(transfersWith('order-1002')).toMatchObject([{ amount: toNano('0.25'), success: true }]);
    expect(await seqnoOnChain()).toBe(2);
    const found = await wallet.findMessage({ seqno: 1, bocHash: signed.bocHash, comments: ['order-1002'] });
    expect(found.kind).toBe('ours');
    const mine = memberOutcome((found as { tx: Transaction }).tx, ['order-1002'], 0, { destination: store, amount: toNano('0.25'), comment: 'order-1002' });
    expect(await client.getBalance(wallet.address)).toBe(before - toNano('0.25') - (mine as { fee: Nano }).fee);
  });

  it('reads the seqno from the chain again after invalidate', async () => {
    wallet.invalidate();
    const signed = await wallet.sign(store, toNano('0.1'), 'order-1003', inSeconds(60));
    expect(signed.seqno).toBe(2);
  });

  it('moves no money twice when the same signed transfer is broadcast again after it applied', async () => {
    const signed = await wallet.sign(store, toNano('0.5'), 'order-1004', inSeconds(60));
    await wallet.broadcast(signed.boc);
    await chain.produceBlock();
    expect(transfersWith('order-1004')).toHaveLength(1);
    const walletBalance = await client.getBalance(wallet.address);
    const storeBalance = await chain.balance(store);

    expect(await refusal(wallet.broadcast(signed.boc))).toContain('cannot apply external message to current state');
    await chain.produceBlock();

    expect(transfersWith('order-1004')).toHaveLength(1);
    expect(await client.getBalance(wallet.address)).toBe(walletBalance);
    expect(await chain.balance(store)).toBe(storeBalance);
    expect(await seqnoOnChain()).toBe(signed.seqno + 1);
  });

  describe('confirming a transfer', () => {
    const config = tonConfigSchema.parse({ confirmPollMs: 50, confirmTimeoutSec: 90 });
    const signal = new AbortController().signal;

    async function pending(amount: Nano, comment: string, validUntil: number): Promise<PendingTransfer> {
      await wallet.refresh();
      const signed = await wallet.sign(store, amount, comment, validUntil);
      return { destination: store, amount, comment, seqno: signed.seqno, validUntil, boc: signed.boc, bocHash: signed.bocHash };
    }

    it('says paid even when the transaction list cannot be read at first', async () => {
      const flaky = await startFlakyToncenter(chain.endpoint);
      try {
        const t = await pending(toNano('0.2'), 'order-1005', inSeconds(60));
        await wallet.broadcast(t.boc);
        await chain.produceBlock();
        flaky.failNext('getTransactions', 3);

        const settlement = await confirmTransfer(new TonWallet('main', keys, connectToncenter({ endpoint: flaky.endpoint })), t, config, signal);

        expect(flaky.failuresLeft('getTransactions')).toBe(0);
        const found = await wallet.findMessage({ seqno: t.seqno, bocHash: t.bocHash!, comments: [t.comment] });
        expect(settlement).toMatchObject({ outcome: 'paid', txHash: (found as { tx: Transaction }).tx.hash().toString('hex') });
      } finally {
        await flaky.close();
      }
    });

    it('does not call a broadcast transfer not paid before the chain has a block past its validUntil', async () => {
      const t = await pending(toNano('0.3'), 'order-1006', inSeconds(2));
      await wallet.broadcast(t.boc);
      let settlement: Settlement | undefined;
      const confirming = confirmTransfer(wallet, t, config, signal).then((s) => (settlement = s));

      // Our clock is past validUntil, but the chain has produced no block since: the transfer may still land.
      await waitFor(() => Math.floor(Date.now() / 1000) > t.validUntil + 3, 'the local clock to pass validUntil');
      await nextTurn();
      expect(settlement).toBeUndefined();

      await waitFor(async () => {
        await chain.produceBlock();
        await nextTurn();
        return settlement !== undefined;
      }, 'the confirmation to settle');
      await confirming;
      expect(settlement?.outcome).toBe('not-paid');
      expect(transfersWith('order-1006')).toEqual([]);
      expect(await seqnoOnChain()).toBe(t.seqno);
    });
  });
});
