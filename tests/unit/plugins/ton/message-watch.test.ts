import { getEventListeners } from 'node:events';
import type { Transaction } from '@ton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNano } from '../../../../core/money.js';
import { ChainClock } from '../../../../plugins/ton/chain-clock.js';
import { tonConfigSchema, type TonConfig } from '../../../../plugins/ton/config.js';
import { watchMessage, type WatchedMessage } from '../../../../plugins/ton/message-watch.js';
import { TonWallet, type SignedTransfer } from '../../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../../plugins/ton/toncenter.js';
import { startChain, type SimChain } from '../../../../sim/chain/index.js';
import { startFlakyToncenter, type FlakyToncenter } from '../../../support/flaky-toncenter.js';
import { fundedWallet, inSeconds, MANUAL_BLOCKS_MS, payAndLand, type WalletOnChain } from './wallet-history.js';

/** Polls often (the schema's floor is for toncenter's sake; the simulated one does not mind). */
const CONFIG: TonConfig = { ...tonConfigSchema.parse({}), confirmPollMs: 20, confirmTimeoutSec: 60 };
const never = new AbortController().signal;

/** How long the watch waits for a moved seqno's transaction to be listed before calling the outcome unknown. */
const LISTING_GRACE_MS = 10_000;

describe('watching one signed message until the chain says what became of it', () => {
  let chain: SimChain;
  let toncenter: FlakyToncenter;

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    toncenter = await startFlakyToncenter(chain.endpoint);
  });

  afterAll(async () => {
    await toncenter?.close();
    await chain?.close();
  });

  /** A fresh wallet of the test's own, read through the flaky toncenter; deployed by a first message unless told. */
  async function wallet(opts: { deployed?: boolean } = {}): Promise<WalletOnChain> {
    const w = await fundedWallet(chain, toncenter.endpoint);
    if (opts.deployed ?? true) await payAndLand(w, ['order-deploy']);
    return w;
  }

  /** Signs one transfer at the wallet's current seqno, without sending it. */
  async function signed(w: WalletOnChain, comment: string, validUntil = inSeconds(60)): Promise<SignedTransfer & WatchedMessage> {
    await w.wallet.refresh();
    return { ...(await w.wallet.sign(w.store, toNano('0.1'), comment, validUntil)), comments: [comment] };
  }

  /** Resolves once toncenter has been asked `method` `n` more times than now: the watch is polling. */
  async function polled(method: string, n: number): Promise<void> {
    const target = toncenter.calls(method) + n;
    while (toncenter.calls(method) < target) await new Promise((r) => setTimeout(r, 5));
  }

  const hashOf = (tx: Transaction): string => tx.hash().toString('hex');

  it('calls the outcome unknown once a moved seqno\'s transaction stays unlisted past the grace, with why', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-unlisted');
    await w.wallet.broadcast(m.boc);
    await chain.produceBlock();
    toncenter.listNothing(true);
    try {
      expect(await watchMessage(w.wallet, m, CONFIG, never))
        .toEqual({ kind: 'unknown', reason: `seqno moved past ${m.seqno} but no transaction used seqno ${m.seqno} among the 0 listed` });
    } finally {
      toncenter.listNothing(false);
    }
  }, LISTING_GRACE_MS * 3);

  it('does not take a listing that keeps failing for a transaction not listed: it waits out its time', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-listing-down');
    await w.wallet.broadcast(m.boc);
    await chain.produceBlock();
    // Past the grace a lagging index would get, every listing fails: that says nothing about the transaction.
    toncenter.failNext('getTransactions', 1_000_000, 503);
    const timeoutSec = Math.ceil(LISTING_GRACE_MS / 1000) + 3;
    try {
      expect(await watchMessage(w.wallet, m, { ...CONFIG, confirmPollMs: 200, confirmTimeoutSec: timeoutSec }, never))
        .toEqual({ kind: 'unknown', reason: `not confirmed within ${timeoutSec} s` });
    } finally {
      toncenter.failNext('getTransactions', 0);
    }
  }, LISTING_GRACE_MS * 3);

  it('finds our message executed once a block takes it', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-executed');
    await w.wallet.broadcast(m.boc);
    const watching = watchMessage(w.wallet, m, CONFIG, never);
    await polled('getAddressInformation', 3);
    await chain.produceBlock();
    const outcome = await watching;
    expect(outcome.kind).toBe('executed');
    const [landed] = chain.transfersTo(w.store.toString()).filter((t) => t.comment === 'order-executed');
    expect(landed).toBeDefined();
    expect(hashOf((outcome as { tx: Transaction }).tx)).toBe((await w.wallet.findMessage(m) as { tx: Transaction }).tx.hash().toString('hex'));
  });

  it('waits for a moved seqno\'s transaction that the listing shows a little late', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-listed-late');
    await w.wallet.broadcast(m.boc);
    await chain.produceBlock();
    toncenter.listNothing(true);
    const watching = watchMessage(w.wallet, m, CONFIG, never);
    try {
      await polled('getTransactions', 3);
    } finally {
      toncenter.listNothing(false);
    }
    expect((await watching).kind).toBe('executed');
  });

  it('reads through failed state reads and listings until the chain answers', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-through-failures');
    await w.wallet.broadcast(m.boc);
    await chain.produceBlock();
    toncenter.failNext('getAddressInformation', 2, 503);
    toncenter.failNext('getTransactions', 2, 503);
    expect((await watchMessage(w.wallet, m, CONFIG, never)).kind).toBe('executed');
    expect(toncenter.failuresLeft('getAddressInformation')).toBe(0);
    expect(toncenter.failuresLeft('getTransactions')).toBe(0);
  });

  it('calls ours expired for certain as soon as another message used its seqno', async () => {
    const w = await wallet();
    const ours = await signed(w, 'order-overtaken');
    // Signed at the same seqno and sent instead: ours can never execute.
    const other = await signed(w, 'order-other');
    expect(other.seqno).toBe(ours.seqno);
    await w.wallet.broadcast(other.boc);
    await chain.produceBlock();
    const tx = (await w.wallet.findMessage(other) as { tx: Transaction }).tx;
    expect(await watchMessage(w.wallet, ours, CONFIG, never)).toEqual({
      kind: 'expired', reason: `another message used seqno ${ours.seqno} (transaction ${hashOf(tx)}): ours can never execute`,
    });
  });

  it('calls an unsent message expired once the chain\'s clock is more than the settling time past its valid_until', async () => {
    const w = await wallet();
    const { utime } = await w.wallet.chainState();
    const m = await signed(w, 'order-expired', utime - 11);
    expect(await watchMessage(w.wallet, m, CONFIG, never)).toEqual({
      kind: 'expired', reason: `transfer expired at ${utime - 11} with seqno still ${m.seqno} at chain time ${utime}`,
    });
  });

  it('judges a fresh wallet\'s first message (seqno 0) expired by the chain\'s clock too', async () => {
    const w = await wallet({ deployed: false });
    const { utime, deployed } = await w.wallet.chainState();
    expect(deployed).toBe(false);
    const m = await signed(w, 'order-first', utime - 11);
    expect(m.seqno).toBe(0);
    expect(await watchMessage(w.wallet, m, CONFIG, never)).toMatchObject({ kind: 'expired' });
  });

  it('does not call a message expired while the chain\'s clock is within the settling time of its valid_until', async () => {
    const w = await wallet();
    const { utime } = await w.wallet.chainState();
    // Exactly the settling time past: a block made just before valid_until may still show up.
    const m = await signed(w, 'order-settling', utime - 10);
    const config = { ...CONFIG, confirmTimeoutSec: 1 };
    expect(await watchMessage(w.wallet, m, config, never)).toEqual({ kind: 'unknown', reason: 'not confirmed within 1 s' });
    // Well within: the same.
    const within = await signed(w, 'order-settling-2', utime - 5);
    expect(await watchMessage(w.wallet, within, config, never)).toEqual({ kind: 'unknown', reason: 'not confirmed within 1 s' });
  });

  it('calls the outcome unknown when the listing lags the moved seqno until the watch\'s time is up', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-lagging');
    await w.wallet.broadcast(m.boc);
    await chain.produceBlock();
    toncenter.listNothing(true);
    try {
      expect(await watchMessage(w.wallet, m, { ...CONFIG, confirmTimeoutSec: 1 }, never))
        .toEqual({ kind: 'unknown', reason: `seqno moved past ${m.seqno} but no transaction used seqno ${m.seqno} among the 0 listed` });
    } finally {
      toncenter.listNothing(false);
    }
  });

  it('sends a valid message again once when asked to, and finds it executed', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-resent');
    const sends = toncenter.calls('sendBoc');
    const watching = watchMessage(w.wallet, m, CONFIG, never, { resend: true });
    await polled('getAddressInformation', 5);
    expect(toncenter.calls('sendBoc') - sends).toBe(1);
    await chain.produceBlock();
    expect((await watching).kind).toBe('executed');
    expect(toncenter.calls('sendBoc') - sends).toBe(1);
  });

  it('goes on watching when sending the message again fails', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-resend-fails');
    toncenter.failNext('sendBoc', 1, 503);
    const watching = watchMessage(w.wallet, m, { ...CONFIG, confirmTimeoutSec: 1 }, never, { resend: true });
    expect(await watching).toEqual({ kind: 'unknown', reason: 'not confirmed within 1 s' });
    expect(toncenter.failuresLeft('sendBoc')).toBe(0);
  });

  it('never sends a message unless asked to, nor one past its valid_until, nor one for a seqno not yet reached', async () => {
    const w = await wallet();
    const config = { ...CONFIG, confirmTimeoutSec: 1 };
    const sends = toncenter.calls('sendBoc');
    const unasked = await signed(w, 'order-unasked');
    expect(await watchMessage(w.wallet, unasked, config, never)).toMatchObject({ kind: 'unknown' });
    const { utime } = await w.wallet.chainState();
    const past = await signed(w, 'order-past', utime - 5);
    expect(await watchMessage(w.wallet, past, config, never, { resend: true })).toMatchObject({ kind: 'unknown' });
    const ahead = { ...(await signed(w, 'order-ahead')), seqno: unasked.seqno + 1 };
    expect(await watchMessage(w.wallet, ahead, config, never, { resend: true })).toMatchObject({ kind: 'unknown' });
    expect(toncenter.calls('sendBoc') - sends).toBe(0);
  });

  it('sends a message again only while the chain\'s clock is before its valid_until, not in that very second', async () => {
    const w = await wallet();
    // The chain's clock held still between readings (a monotonic clock that does not move): it reads utime + 1 exactly.
    const frozen = new TonWallet('main', w.keys, connectToncenter({ endpoint: toncenter.endpoint, timeout: 30_000 }), new ChainClock(Date.now, () => undefined, () => 0));
    const { utime } = await frozen.chainState();
    expect(frozen.clock.nowSec()).toBe(utime + 1);
    const config = { ...CONFIG, confirmTimeoutSec: 1 };
    const sends = toncenter.calls('sendBoc');
    const expiring = await signed(w, 'order-expiring-now', utime + 1);
    expect(await watchMessage(frozen, expiring, config, never, { resend: true })).toMatchObject({ kind: 'unknown' });
    expect(toncenter.calls('sendBoc') - sends).toBe(0);
    const valid = await signed(w, 'order-valid-a-second-more', utime + 2);
    expect(await watchMessage(frozen, valid, config, never, { resend: true })).toMatchObject({ kind: 'unknown' });
    expect(toncenter.calls('sendBoc') - sends).toBe(1);
  });

  it('ends as interrupted when stopped, even with the outcome there to read, and at once when stopped mid-wait', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-interrupted');
    await w.wallet.broadcast(m.boc);
    await chain.produceBlock();
    const stopped = new AbortController();
    stopped.abort();
    expect(await watchMessage(w.wallet, m, CONFIG, stopped.signal)).toEqual({ kind: 'unknown', reason: 'confirmation interrupted' });

    const pending = await signed(w, 'order-stopped-while-polling');
    const stopping = new AbortController();
    // A poll far longer than the test: only the stop can end the wait.
    const watching = watchMessage(w.wallet, pending, { ...CONFIG, confirmPollMs: 3_600_000, confirmTimeoutSec: 7_200 }, stopping.signal);
    await polled('getAddressInformation', 1);
    stopping.abort();
    expect(await watching).toEqual({ kind: 'unknown', reason: 'confirmation interrupted' });
  });

  it('leaves no listener on the signal it was given once it ends', async () => {
    const w = await wallet();
    const m = await signed(w, 'order-listeners');
    await w.wallet.broadcast(m.boc);
    const watch = new AbortController();
    const watching = watchMessage(w.wallet, m, CONFIG, watch.signal);
    await polled('getAddressInformation', 3);
    await chain.produceBlock();
    expect((await watching).kind).toBe('executed');
    expect(getEventListeners(watch.signal, 'abort')).toHaveLength(0);
  });
});
