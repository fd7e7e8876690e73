import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNano, type Nano } from '../../../../core/money.js';
import type { StoreOrder } from '../../../../core/plugins/payment.js';
import { tonConfigSchema, type TonConfig } from '../../../../plugins/ton/config.js';
import { ChainClock } from '../../../../plugins/ton/chain-clock.js';
import type { TonAttempt } from '../../../../plugins/ton/ton-attempt.js';
import { TonWallet } from '../../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../../plugins/ton/toncenter.js';
import { WalletBatcher } from '../../../../plugins/ton/wallet-batcher.js';
import { startChain, type SimChain } from '../../../../sim/chain/index.js';
import { startFlakyToncenter, type FlakyToncenter } from '../../../support/flaky-toncenter.js';
import { fundedWallet, MANUAL_BLOCKS_MS, type WalletOnChain } from './wallet-history.js';

/** Longer than any test: a batch that waits for it never closes within the test. */
const FOREVER_MS = 3_600_000;
const CONFIG: TonConfig = { ...tonConfigSchema.parse({}), confirmPollMs: 20, batchWindowMs: FOREVER_MS };

describe('orders waiting on one wallet, paid together by one message at a time', () => {
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

  /** A batcher over a fresh wallet (10 TON) of the test's own, read through the flaky toncenter. */
  async function batcher(over: Partial<TonConfig> = {}): Promise<{ b: WalletBatcher; w: WalletOnChain; logs: Record<string, unknown>[] }> {
    const w = await fundedWallet(chain, toncenter.endpoint);
    const logs: Record<string, unknown>[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    return { b: new WalletBatcher(w.wallet, { ...CONFIG, ...over }, log), w, logs };
  }

  function order(w: WalletOnChain, over: Partial<StoreOrder> = {}): StoreOrder {
    return {
      orderId: `order-${randomUUID()}`, count: 1, currency: 'TON', amount: toNano('0.1'), destination: w.store.toString(),
      expiresAt: Date.now() + 15 * 60_000, ...over,
    };
  }

  const live = (): AbortSignal => new AbortController().signal;
  const batchOf = (a: TonAttempt): readonly string[] => a.payload.batch.orderIds;

  /** Makes the wallet busy with a message of one order; dispose the attempt to free it. */
  async function busy(b: WalletBatcher, w: WalletOnChain): Promise<TonAttempt> {
    const o = order(w);
    return b.join(o, w.store, live());
  }

  it('signs an order on a free wallet at once when no other order of the wallet is on its way, whatever the window', async () => {
    const { b, w } = await batcher();
    const o = order(w);
    const attempt = await b.join(o, w.store, live());
    expect(batchOf(attempt)).toEqual([o.orderId]);
    expect(attempt.payload.seqno).toBe(0);
    attempt.dispose();
  });

  it('waits for the orders on their way and signs them in one message once the last has joined', async () => {
    const { b, w, logs } = await batcher();
    const [first, second] = [order(w), order(w)];
    const onItsWay = b.expect();
    const joined = b.join(first, w.store, live());
    onItsWay.answered(second.orderId);
    const attempts = await Promise.all([joined, b.join(second, w.store, live())]);
    expect(attempts.map(batchOf)).toEqual([[first.orderId, second.orderId], [first.orderId, second.orderId]]);
    expect(new Set(attempts.map((a) => a.payload.seqno)).size).toBe(1);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'ton batch signed', batch: 2 }));
    for (const a of attempts) a.dispose();
  });

  it('leaves at once without an order on its way that will never join', async () => {
    const { b, w } = await batcher();
    const o = order(w);
    const onItsWay = b.expect();
    const joined = b.join(o, w.store, live());
    onItsWay.release();
    const attempt = await joined;
    expect(batchOf(attempt)).toEqual([o.orderId]);
    attempt.dispose();
  });

  it('leaves at the end of the window without an order on its way that does not come', async () => {
    const { b, w } = await batcher({ batchWindowMs: 100 });
    const o = order(w);
    b.expect();
    const attempt = await b.join(o, w.store, live());
    expect(batchOf(attempt)).toEqual([o.orderId]);
    attempt.dispose();
  });

  it('stops waiting for an order the store answered that has not joined within a second (it was refused)', async () => {
    const { b, w } = await batcher();
    b.expect().answered('order-refused');
    await new Promise((r) => setTimeout(r, 1_100));
    const o = order(w);
    const attempt = await b.join(o, w.store, live());
    expect(batchOf(attempt)).toEqual([o.orderId]);
    attempt.dispose();
  });

  it('gathers the orders arriving while a message is in flight into the next one, at most maxBatch per message', async () => {
    const { b, w } = await batcher({ maxBatch: 2 });
    const inFlight = await busy(b, w);
    const next = [order(w), order(w), order(w)];
    const joining = next.map((o) => b.join(o, w.store, live()));
    // What the wallet must still cover: the message in flight and the three orders waiting.
    expect(b.committed()).toBe(toNano('0.4'));
    inFlight.dispose();
    const [a, c] = await Promise.all(joining.slice(0, 2));
    expect([batchOf(a!), batchOf(c!)]).toEqual([[next[0]!.orderId, next[1]!.orderId], [next[0]!.orderId, next[1]!.orderId]]);
    expect(b.committed()).toBe(toNano('0.3'));
    a!.dispose();
    c!.dispose();
    const last = await joining[2]!;
    expect(batchOf(last)).toEqual([next[2]!.orderId]);
    last.dispose();
    expect(b.committed()).toBe(0n);
  });

  it('keeps a finite window open from its first order for an order whose request is out, and signs both together', async () => {
    const { b, w } = await batcher({ batchWindowMs: 1_000 });
    const [first, late] = [order(w), order(w)];
    const onItsWay = b.expect();
    const joined = b.join(first, w.store, live());
    await new Promise((r) => setTimeout(r, 50));
    onItsWay.answered(late.orderId);
    const attempts = await Promise.all([joined, b.join(late, w.store, live())]);
    expect(attempts.map(batchOf)).toEqual([[first.orderId, late.orderId], [first.orderId, late.orderId]]);
    for (const a of attempts) a.dispose();
  });

  it('measures the window from its first order, not from the latest to join', async () => {
    const { b, w } = await batcher({ batchWindowMs: 1_000 });
    const [first, second, late] = [order(w), order(w), order(w)];
    const onItsWay = b.expect();
    const joining = [b.join(first, w.store, live())];
    await new Promise((r) => setTimeout(r, 600));
    joining.push(b.join(second, w.store, live()));
    // 1.2 s after the first order: its window closed 0.2 s ago (a window restarted by the second would still be open).
    await new Promise((r) => setTimeout(r, 600));
    onItsWay.answered(late.orderId);
    const lateJoin = b.join(late, w.store, live());
    const attempts = await Promise.all(joining);
    expect(attempts.map(batchOf)).toEqual([[first.orderId, second.orderId], [first.orderId, second.orderId]]);
    for (const a of attempts) a.dispose();
    const last = await lateJoin;
    expect(batchOf(last)).toEqual([late.orderId]);
    last.dispose();
  });

  it('waits, within the window, for an order the store has answered but that has not joined yet', async () => {
    const { b, w } = await batcher({ batchWindowMs: 1_000 });
    const [answered, first] = [order(w), order(w)];
    b.expect().answered(answered.orderId);
    const joined = b.join(first, w.store, live());
    await new Promise((r) => setTimeout(r, 50));
    const attempts = await Promise.all([joined, b.join(answered, w.store, live())]);
    expect(attempts.map(batchOf)).toEqual([[first.orderId, answered.orderId], [first.orderId, answered.orderId]]);
    for (const a of attempts) a.dispose();
  });

  it('signs a full batch at once, without waiting for an order still on its way', async () => {
    const { b, w } = await batcher({ maxBatch: 2 });
    const onItsWay = b.expect();
    const full = [order(w), order(w)];
    const attempts = await Promise.all(full.map((o) => b.join(o, w.store, live())));
    expect(attempts.map(batchOf)).toEqual([full.map((o) => o.orderId), full.map((o) => o.orderId)]);
    for (const a of attempts) a.dispose();
    onItsWay.release();
  });

  it('still closes the window for the orders left when one of them stops waiting', async () => {
    const { b, w } = await batcher({ batchWindowMs: 300 });
    b.expect();
    const stopping = new AbortController();
    const [stays, leaves] = [order(w), order(w)];
    const staying = b.join(stays, w.store, live());
    const leaving = b.join(leaves, w.store, stopping.signal);
    stopping.abort(new Error('payer stopped'));
    await expect(leaving).rejects.toThrow('payer stopped');
    const attempt = await staying;
    expect(batchOf(attempt)).toEqual([stays.orderId]);
    attempt.dispose();
  });

  it('rejects an order stopped while its batch is signed, and frees the wallet once the others let go', async () => {
    const { b, w } = await batcher();
    const stopping = new AbortController();
    // The stop lands inside the signing (a payer stopped by the user at that instant): no store or chain can time it.
    const sign = w.wallet.signBatch.bind(w.wallet);
    w.wallet.signBatch = async (transfers, validUntil) => {
      const signed = await sign(transfers, validUntil);
      stopping.abort(new Error('payer stopped while signing'));
      return signed;
    };
    const onItsWay = b.expect();
    const [stays, leaves] = [order(w), order(w)];
    const staying = b.join(stays, w.store, live());
    const leaving = b.join(leaves, w.store, stopping.signal);
    onItsWay.release();
    await expect(leaving).rejects.toThrow('payer stopped while signing');
    const attempt = await staying;
    expect(batchOf(attempt)).toEqual([stays.orderId, leaves.orderId]);
    w.wallet.signBatch = sign;
    attempt.dispose();
    // The message was never sent (one of its orders was never recorded): the wallet signs the next one afresh.
    const next = order(w);
    const again = await b.join(next, w.store, live());
    expect(batchOf(again)).toEqual([next.orderId]);
    again.dispose();
  });

  it('rejects an order stopped before it joins, and one stopped while waiting, leaving them out of the message', async () => {
    const { b, w } = await batcher();
    const stopped = new AbortController();
    stopped.abort(new Error('payer stopped'));
    await expect(b.join(order(w), w.store, stopped.signal)).rejects.toThrow('payer stopped');

    const inFlight = await busy(b, w);
    const waiting = new AbortController();
    const [leaving, staying] = [order(w), order(w)];
    const left = b.join(leaving, w.store, waiting.signal);
    const stays = b.join(staying, w.store, live());
    waiting.abort(new Error('payer stopped while waiting'));
    await expect(left).rejects.toThrow('payer stopped while waiting');
    expect(b.committed()).toBe(toNano('0.2'));
    inFlight.dispose();
    const attempt = await stays;
    expect(batchOf(attempt)).toEqual([staying.orderId]);
    attempt.dispose();
  });

  it('does not close an emptied batch when its only order stops waiting', async () => {
    const { b, w } = await batcher();
    const onItsWay = b.expect();
    const waiting = new AbortController();
    const left = b.join(order(w), w.store, waiting.signal);
    waiting.abort(new Error('stopped'));
    await expect(left).rejects.toThrow('stopped');
    onItsWay.release();
    const o = order(w);
    const attempt = await b.join(o, w.store, live());
    expect(batchOf(attempt)).toEqual([o.orderId]);
    expect(attempt.payload.seqno).toBe(0);
    attempt.dispose();
  });

  it('drops an order whose expiry margin is gone, or that names no expiry, and signs the others', async () => {
    const { b, w } = await batcher({ expiryMarginSec: 15 });
    const inFlight = await busy(b, w);
    // Judged by the chain's clock (the wallet has just read it).
    const expiring = order(w, { expiresAt: w.wallet.clock.nowMs() + 14_000 });
    const endless = order(w, { expiresAt: null });
    const fine = order(w);
    const joining = [expiring, endless, fine].map((o) => b.join(o, w.store, live()));
    inFlight.dispose();
    const [dropped, noExpiry, signed] = await Promise.allSettled(joining);
    expect(dropped).toMatchObject({ status: 'rejected', reason: {
      code: 'TON_ORDER_EXPIRING', message: expect.stringMatching(/expires in [\d.]+ ms, less than the 15000 ms margin, once the wallet was free/),
      details: { orderId: expiring.orderId, expiresAt: expiring.expiresAt, marginMs: 15_000 },
    } });
    expect(noExpiry).toMatchObject({ status: 'rejected', reason: { code: 'TON_ORDER_EXPIRING', message: `order ${endless.orderId} has no expiry` } });
    expect(signed.status).toBe('fulfilled');
    const attempt = (signed as PromiseFulfilledResult<TonAttempt>).value;
    expect(batchOf(attempt)).toEqual([fine.orderId]);
    attempt.dispose();
  });

  it('signs an order whose expiry leaves exactly the margin', async () => {
    const { b, w } = await batcher({ expiryMarginSec: 15 });
    await w.wallet.refresh();
    // Judged by the chain's clock: exactly the margin at the moment of judging is enough.
    const o = order(w, { expiresAt: w.wallet.clock.nowMs() + 15_000 + 500 });
    const attempt = await b.join(o, w.store, live());
    expect(batchOf(attempt)).toEqual([o.orderId]);
    attempt.dispose();
  });

  it('signs an order left with exactly the margin by the chain\'s clock, and drops one a millisecond short, saying by how much', async () => {
    const { w, logs } = await batcher({ expiryMarginSec: 15 });
    // The chain's clock held still between readings (a monotonic clock that does not move): it reads utime + 1 s exactly.
    const wallet = new TonWallet('main', w.keys, connectToncenter({ endpoint: toncenter.endpoint, timeout: 30_000 }), new ChainClock(Date.now, () => undefined, () => 0));
    await wallet.refresh();
    const now = wallet.clock.nowMs();
    const b = new WalletBatcher(wallet, { ...CONFIG, expiryMarginSec: 15 }, pino({ level: 'silent' }));
    const exact = order(w, { expiresAt: now + 15_000 });
    const attempt = await b.join(exact, w.store, live());
    expect(batchOf(attempt)).toEqual([exact.orderId]);
    attempt.dispose();
    const short = order(w, { expiresAt: now + 14_999 });
    await expect(b.join(short, w.store, live())).rejects.toMatchObject({
      code: 'TON_ORDER_EXPIRING', message: `order ${short.orderId} expires in 14999 ms, less than the 15000 ms margin, once the wallet was free`,
    });
    expect(logs).toEqual([]);
  });

  it('closes a batch cleanly when the balance covers not even the gas reserve: every order refused as not covered', async () => {
    const { b, w, logs } = await batcher({ gasReserve: toNano('11') as Nano });
    const inFlight = await busy(b, w).catch((e: unknown) => e);
    expect(inFlight).toMatchObject({ code: 'TON_BALANCE_LOW' });
    const [one, two] = [order(w), order(w)];
    const onItsWay = b.expect();
    const first = b.join(one, w.store, live());
    onItsWay.answered(two.orderId);
    const settled = await Promise.allSettled([first, b.join(two, w.store, live())]);
    expect(settled.map((r) => (r as PromiseRejectedResult).reason?.code)).toEqual(['TON_BALANCE_LOW', 'TON_BALANCE_LOW']);
    expect(logs.filter((l) => l.level === 50)).toEqual([]);
  });

  it('keeps the message from outliving the order that expires first, and from living longer than validForSec', async () => {
    const { b, w } = await batcher({ validForSec: 60 });
    const inFlight = await busy(b, w);
    // By the chain's clock (the wallet has just read it), which is what the message's valid_until is judged by.
    const soon = order(w, { expiresAt: w.wallet.clock.nowMs() + 40_000 });
    const late = order(w);
    const joining = [late, soon].map((o) => b.join(o, w.store, live()));
    inFlight.dispose();
    const [a] = await Promise.all(joining);
    expect(a!.payload.validUntil).toBe(Math.floor(soon.expiresAt! / 1000));
    for (const x of await Promise.all(joining)) x.dispose();

    const alone = await b.join(order(w), w.store, live());
    const now = w.wallet.clock.nowSec();
    expect(alone.payload.validUntil).toBeGreaterThanOrEqual(now + 59);
    expect(alone.payload.validUntil).toBeLessThanOrEqual(now + 60);
    alone.dispose();
  });

  it('drops the last orders of a batch the balance cannot cover above the gas reserve, and signs the rest', async () => {
    const { b, w } = await batcher({ gasReserve: toNano('0.1') as Nano });
    const inFlight = await busy(b, w);
    expect((await w.wallet.chainState()).balance).toBe(toNano('10'));
    // 5 + 4.9 + 0.1 of reserve fit the 10 TON exactly; a third order does not.
    const [one, two, three] = [order(w, { amount: toNano('5') }), order(w, { amount: toNano('4.9') }), order(w, { amount: toNano('0.1') })];
    const joining = [one, two, three].map((o) => b.join(o!, w.store, live()));
    inFlight.dispose();
    const settled = await Promise.allSettled(joining);
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: {
      code: 'TON_BALANCE_LOW', message: expect.stringContaining(`wallet main cannot cover order ${three!.orderId}`),
      details: { orderId: three!.orderId, wallet: 'main' },
    } });
    const attempts = settled.slice(0, 2).map((r) => (r as PromiseFulfilledResult<TonAttempt>).value);
    expect(batchOf(attempts[0]!)).toEqual([one!.orderId, two!.orderId]);
    for (const a of attempts) a.dispose();
  });

  it('leaves out of the message, and rejects, an order stopped while the balance was being read', async () => {
    const { b, w, logs } = await batcher();
    await w.wallet.refresh();
    // 20 TON on chain, 10 known: a 15 TON order makes the batch read the balance, which toncenter holds.
    await chain.fundWalletV5R1(w.keys.publicKey, toNano('10'));
    const held = toncenter.holdNext('getAddressInformation');
    const stopping = new AbortController();
    const stopped = order(w, { amount: toNano('15') });
    const joined = b.join(stopped, w.store, stopping.signal);
    await held.arrived;
    stopping.abort(new Error('payer stopped'));
    held.release();
    await expect(joined).rejects.toThrow('payer stopped');
    // Nothing was signed for it: no batch given up, and the next order takes the same seqno.
    const next = await b.join(order(w), w.store, live());
    expect(next.payload.seqno).toBe(0);
    next.dispose();
    expect(logs.filter((l) => l.msg === 'ton batch not broadcast' && (l.orderIds as string[]).includes(stopped.orderId))).toEqual([]);
  });

  it('rejects every order of the batch when the wallet could not be read before signing, and stays usable', async () => {
    const { b, w } = await batcher();
    toncenter.failNext('getAddressInformation', 1, 503);
    const [a, c] = [order(w), order(w)];
    const onItsWay = b.expect();
    const first = b.join(a, w.store, live());
    onItsWay.answered(c.orderId);
    const second = b.join(c, w.store, live());
    await expect(first).rejects.toMatchObject({ code: 'TON_RPC_FAILED' });
    await expect(second).rejects.toMatchObject({ code: 'TON_RPC_FAILED' });
    const attempt = await b.join(order(w), w.store, live());
    expect(attempt.payload.seqno).toBe(0);
    attempt.dispose();
  });

  it('rejects the orders when the balance could not be read, rather than calling it low', async () => {
    const { b, w } = await batcher();
    await w.wallet.refresh();
    toncenter.failNext('getAddressInformation', 1, 503);
    // More than the known balance: the chain must be asked.
    await expect(b.join(order(w, { amount: toNano('20') }), w.store, live())).rejects.toMatchObject({ code: 'TON_RPC_FAILED' });
    const attempt = await b.join(order(w), w.store, live());
    attempt.dispose();
  });
});
