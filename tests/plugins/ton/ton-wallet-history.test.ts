import type { Address, Transaction } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { TonClient } from '@ton/ton';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toNano, type Nano } from '../../../core/money.js';
import { TonWallet } from '../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../plugins/ton/toncenter.js';
import { deriveWalletKeys, type WalletKeys } from '../../../plugins/ton/wallet-keys.js';
import { startChain, type SimChain } from '../../../sim/chain/index.js';
import { startFlakyToncenter, type FlakyToncenter } from '../../support/flaky-toncenter.js';

/** Long enough that no block is produced on its own: each test produces the blocks it needs. */
const MANUAL_BLOCKS_MS = 3_600_000;

function inSeconds(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

describe('TON wallet looking back through its history for a message, by seqno', () => {
  let chain: SimChain;
  let toncenter: FlakyToncenter;
  const listings = (): Record<string, unknown>[] => toncenter.params('getTransactions');
  let keys: WalletKeys;
  let wallet: TonWallet;
  let store: Address;
  const old = { amount: toNano('0.7'), comment: 'order-old' };
  /** Transactions that land on the wallet after the old transfer (incoming top-ups), pushing it back in the listing. */
  const LATER_TOP_UPS = 75;
  let oldTxHash: string;
  let oldBocHash: string;

  /** Pays `amount` with `comment` in a message of its own; its seqno and hash. */
  async function pay(amount: Nano, comment: string): Promise<{ seqno: number; bocHash: string }> {
    await wallet.refresh();
    const signed = await wallet.sign(store, amount, comment, inSeconds(60));
    await wallet.broadcast(signed.boc);
    await chain.produceBlock();
    return signed;
  }

  const hashOf = (tx: Transaction): string => tx.hash().toString('hex');

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    toncenter = await startFlakyToncenter(chain.endpoint);
    keys = await deriveWalletKeys('main', (await mnemonicNew()).join(' '));
    // A generous client timeout: the whole suite shares two cores with this test's 960 top-ups.
    wallet = new TonWallet('main', keys, connectToncenter({ endpoint: toncenter.endpoint, timeout: 30_000 }));
    store = await chain.treasury('store');
    await chain.fundWalletV5R1(keys.publicKey, toNano('10'));
    oldBocHash = (await pay(old.amount, old.comment)).bocHash;
    const [paid] = chain.transfersTo(store.toString()).filter((t) => t.comment === old.comment);
    expect(paid).toMatchObject({ success: true });
    for (let i = 0; i < LATER_TOP_UPS; i++) await chain.fundWalletV5R1(keys.publicKey, toNano('0.01'));
    // The reference answer, read in one listing long enough to hold the whole history.
    const all = await new TonClient({ endpoint: chain.endpoint, timeout: 30_000 }).getTransactions(wallet.address, { limit: 200 });
    expect(all).toHaveLength(LATER_TOP_UPS + 2);
    oldTxHash = all[LATER_TOP_UPS]!.hash().toString('hex');
  }, 60_000);

  afterAll(async () => {
    await toncenter?.close();
    await chain?.close();
  });

  beforeEach(() => {
    toncenter.forget();
  });

  it('finds a message older than the first pages of the listing by paging back to its seqno', async () => {
    const found = await wallet.findMessage({ seqno: 0, bocHash: oldBocHash, comments: [old.comment] });
    expect(found.kind).toBe('ours');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(oldTxHash);
    // 10 newest, then 50, then the page that holds the message (the 76th newest).
    expect(listings().map((p) => p.limit)).toEqual([10, 50, 50]);
    expect(listings()[0]).not.toHaveProperty('lt');
    for (const page of listings().slice(1)) expect(page).toMatchObject({ lt: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('proves another message took the seqno, however far back and whatever the clocks say', async () => {
    const found = await wallet.findMessage({ seqno: 0, bocHash: 'cd'.repeat(32), comments: ['order-never'] });
    expect(found.kind).toBe('overtaken');
    expect(hashOf((found as { tx: Transaction }).tx)).toBe(oldTxHash);
  });

  it('stops at the first message of an older seqno, without paging further', async () => {
    const paid = await pay(toNano('0.2'), 'order-new');
    toncenter.forget();
    const found = await wallet.findMessage({ seqno: paid.seqno + 1, comments: ['order-unsent'] });
    expect(found).toMatchObject({ kind: 'not-listed', reason: expect.stringContaining(`seqno ${paid.seqno}`) });
    expect(listings().map((p) => p.limit)).toEqual([10]);
  });

  it('finds a fresh message, as live confirmation looks for it, in one small listing', async () => {
    const paid = await pay(toNano('0.2'), 'order-newer');
    toncenter.forget();
    expect((await wallet.findMessage({ seqno: paid.seqno, bocHash: paid.bocHash, comments: ['order-newer'] })).kind).toBe('ours');
    expect(listings().map((p) => p.limit)).toEqual([10]);
  });

  it('gives up after 20 pages however long the history is, proving nothing', async () => {
    // 20 pages reach back 10 + 19 × 50 = 960 transactions; a message behind them is not looked for.
    for (let i = 0; i < 960; i++) await chain.fundWalletV5R1(keys.publicKey, toNano('0.001'));
    toncenter.forget();
    expect((await wallet.findMessage({ seqno: 0, bocHash: oldBocHash, comments: [old.comment] })).kind).toBe('not-listed');
    expect(listings()).toHaveLength(20);
  }, 120_000);
});
