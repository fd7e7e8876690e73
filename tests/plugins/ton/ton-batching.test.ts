import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNano, type Units } from '../../../core/money.js';
import type { PaymentAttempt, Settlement, StoreOrder } from '../../../core/plugins/payment.js';
import { SharedWalletWorld, type SharedWalletRun } from './shared-wallet-world.js';

/** Blocks come on their own, often enough that confirmation is quick and rare enough that it is not instant. */
const BLOCK_INTERVAL_MS = 200;
const VALID_FOR_SEC = 10;
const EXPIRY_MARGIN_SEC = 3;
/** Short timings so a never-sent batch is certainly not paid within the test. */
const TON = { validForSec: VALID_FOR_SEC, confirmTimeoutSec: 40, confirmPollMs: 100, expiryMarginSec: EXPIRY_MARGIN_SEC };

/** Polls `probe` until it holds (a state, not a fixed sleep), failing after `timeoutMs`. */
async function waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The rejection `p` ends with (fails the test when it resolves). */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('expected a rejection'), (e: unknown) => e);
}

describe('TON batching: orders waiting on one wallet paid by one external message', () => {
  let sw: SharedWalletWorld;
  let run: SharedWalletRun | undefined;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    sw = await SharedWalletWorld.start(10, '200', BLOCK_INTERVAL_MS);
  });

  afterAll(async () => {
    await run?.close();
    await sw?.close();
  });

  /** A fresh plugin instance per test (as after a restart): each reads the wallet's seqno from the chain. */
  async function freshRun(ton: Record<string, unknown> = {}): Promise<SharedWalletRun> {
    await run?.close();
    run = await sw.run({ ...TON, ...ton });
    return run;
  }

  /** Moves the chain's clock past the validity of every message signed so far (and the settling margin), instead of
   *  waiting for it: the plugin judges validity by the chain's clock, as the wallet contract does. */
  function passValidity(): void {
    sw.world.chain.advanceTime(VALID_FOR_SEC + 15);
  }

  /** The chain's time (of its last block), unix seconds. */
  function chainNow(): number {
    return sw.world.chain.blockchain.now ?? 0;
  }

  /** Prepares every order at once, each through its own account's steps. */
  function prepareAll(r: SharedWalletRun, orders: readonly StoreOrder[]): Promise<PaymentAttempt[]> {
    return Promise.all(orders.map((o, i) => r.method.steps(r.accounts[i]!).prepare(o, signal)));
  }

  it.each([2, 3, 10])('pays %i orders of different accounts sharing one wallet with ONE external message, each once', async (n) => {
    const r = await freshRun();
    const orders = await sw.orders(r, n, signal);
    const externalsBefore = sw.externals();
    const balanceBefore = await sw.walletBalance();

    const attempts = await prepareAll(r, orders);
    const settlements = await Promise.all(orders.map((o, i) => sw.pay(o, attempts[i]!, signal)));

    expect(settlements.map((s) => s.outcome)).toEqual(orders.map(() => 'paid'));
    expect(sw.externals() - externalsBefore).toBe(1);
    // One message: one seqno and one BOC, recorded under a key per order, each transfer with its own comment.
    expect(new Set(attempts.map((a) => a.payload.bocHash)).size).toBe(1);
    expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(n);
    attempts.forEach((a, i) => {
      expect(a.idempotencyKey).toBe(`ton:${sw.walletAddress}:${a.payload.seqno as number}:${orders[i]!.orderId}`);
      expect(a.payload).toMatchObject({ comment: orders[i]!.orderId, batch: { size: n, orderIds: orders.map((o) => o.orderId) } });
    });
    const received = sw.world.chain.transfersTo(sw.world.storeWallet.toString()).filter((t) => t.from === sw.walletAddress);
    for (const o of orders) {
      expect(sw.storePayments(o.orderId)).toBe(1);
      expect(received.filter((t) => t.comment === o.orderId)).toMatchObject([{ amount: o.amount, success: true }]);
    }
    // The wallet lost exactly what the ledger says: amount + fee per order; the fees split the batch's whole cost.
    expect(balanceBefore - (await sw.walletBalance())).toBe(await sw.ledgerSpent(orders.map((o) => o.orderId)));
    expect(new Set(settlements.map((s) => (s as { txHash: string }).txHash)).size).toBe(1);
  }, 60_000);

  describe('group commit', () => {
    const sizeOf = (a: PaymentAttempt): number => (a.payload.batch as { size: number }).size;

    it('signs an order on a free wallet at once when no other order of the wallet is on its way, whatever the window', async () => {
      const r = await freshRun({ batchWindowMs: 1_000 });
      const [first] = await sw.orders(r, 1, signal);
      // Joins 50 ms after the first, well inside the window, but nothing announced it: the first did not wait for it.
      const late = { ...first!, orderId: `order-${randomUUID()}` };
      const preparing = r.method.steps(r.accounts[0]!).prepare(first!, signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const next = r.method.steps(r.accounts[1]!).prepare(late, signal);
      const alone = await preparing;
      expect(sizeOf(alone)).toBe(1);
      alone.dispose();
      const after = await next;
      after.dispose();
      expect(sizeOf(after)).toBe(1);
    });

    it('waits for the orders of the wallet whose create-order was answered, and puts them in one message', async () => {
      const r = await freshRun({ batchWindowMs: 1_000 });
      const orders = await sw.orders(r, 2, signal);
      const preparing = r.method.steps(r.accounts[0]!).prepare(orders[0]!, signal);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await r.method.steps(r.accounts[1]!).prepare(orders[1]!, signal);
      const first = await preparing;
      for (const a of [first, second]) a.dispose();
      expect([sizeOf(first), sizeOf(second)]).toEqual([2, 2]);
      expect(second.payload.seqno).toBe(first.payload.seqno);
    });

    it('leaves without an announced order that never joins, at the end of the window', async () => {
      const r = await freshRun({ batchWindowMs: 200 });
      const orders = await sw.orders(r, 2, signal);
      const alone = await r.method.steps(r.accounts[0]!).prepare(orders[0]!, signal);
      alone.dispose();
      expect(sizeOf(alone)).toBe(1);
    });
  });

  it('pays each order with its own message when maxBatch is 1', async () => {
    const r = await freshRun({ maxBatch: 1 });
    const orders = await sw.orders(r, 3, signal);
    const externalsBefore = sw.externals();
    const balanceBefore = await sw.walletBalance();

    const settlements = await Promise.all(orders.map(async (o, i) => {
      const attempt = await r.method.steps(r.accounts[i]!).prepare(o, signal);
      expect(attempt.payload.batch).toEqual({ size: 1, orderIds: [o.orderId] });
      return sw.pay(o, attempt, signal);
    }));

    expect(settlements.map((s) => s.outcome)).toEqual(['paid', 'paid', 'paid']);
    expect(sw.externals() - externalsBefore).toBe(3);
    for (const o of orders) expect(sw.storePayments(o.orderId)).toBe(1);
    expect(balanceBefore - (await sw.walletBalance())).toBe(await sw.ledgerSpent(orders.map((o) => o.orderId)));
  }, 60_000);

  it('never broadcasts a batch one of whose orders was not recorded: every member ends not paid, nothing moved', async () => {
    const r = await freshRun();
    const orders = await sw.orders(r, 3, signal);
    const externalsBefore = sw.externals();
    const balanceBefore = await sw.walletBalance();
    const attempts = await prepareAll(r, orders);
    expect(new Set(attempts.map((a) => a.payload.seqno)).size).toBe(1);

    // Two members are recorded and ask to send; the third's recording "fails" and it lets go without sending.
    await sw.record(orders[0]!, attempts[0]!);
    await sw.record(orders[1]!, attempts[1]!);
    const sends = [attempts[0]!.send(signal), attempts[1]!.send(signal)].map(rejectionOf);
    attempts[2]!.dispose();

    for (const refused of await Promise.all(sends)) expect(refused).toMatchObject({ code: 'TON_BATCH_NOT_SENT' });
    // The chain's clock moves past valid_until (no real wait): the message can never execute now.
    passValidity();
    const settled: Settlement[] = [];
    for (const i of [0, 1]) {
      const s = await attempts[i]!.confirm(signal);
      attempts[i]!.dispose();
      await sw.settle(attempts[i]!.idempotencyKey, orders[i]!, s);
      settled.push(s);
    }

    expect(settled.map((s) => s.outcome)).toEqual(['not-paid', 'not-paid']);
    expect(chainNow()).toBeGreaterThan(attempts[0]!.payload.validUntil as number);
    expect(sw.externals()).toBe(externalsBefore);
    expect(await sw.walletBalance()).toBe(balanceBefore);
    for (const o of orders) expect(sw.storePayments(o.orderId)).toBe(0);
  }, 60_000);

  it('frees the wallet once the chain proves a batch expired, even when a payer lost its attempt and never lets go', async () => {
    const r = await freshRun();
    const orders = await sw.orders(r, 2, signal);
    const externalsBefore = sw.externals();
    // Prepared, then lost (the payer stopped before recording): it never sends, confirms or disposes.
    const lost = await r.method.steps(r.accounts[0]!).prepare(orders[0]!, signal);
    passValidity();

    const next = await r.method.steps(r.accounts[1]!).prepare(orders[1]!, signal);

    expect(chainNow()).toBeGreaterThan(lost.payload.validUntil as number);
    expect(next.payload.seqno).toBe(lost.payload.seqno);
    expect(await sw.pay(orders[1]!, next, signal)).toMatchObject({ outcome: 'paid' });
    expect(sw.externals() - externalsBefore).toBe(1);
    expect(sw.storePayments(orders[0]!.orderId)).toBe(0);
  }, 60_000);

  it('drops an order whose expiry margin ran out while it waited for the wallet, before signing the batch', async () => {
    const r = await freshRun();
    const [held] = await sw.orders(r, 1, signal);
    const holder = await r.method.steps(r.accounts[0]!).prepare(held!, signal);
    // The wallet carries the holder's message: these two gather while it is in flight.
    const lasting = { ...held!, orderId: `order-${randomUUID()}`, expiresAt: Date.now() + 600_000 };
    const expiring = { ...held!, orderId: `order-${randomUUID()}`, expiresAt: Date.now() + EXPIRY_MARGIN_SEC * 1000 + 400 };
    const joined = r.method.steps(r.accounts[1]!).prepare(lasting, signal);
    const refused = rejectionOf(r.method.steps(r.accounts[2]!).prepare(expiring, signal));
    await waitFor(() => expiring.expiresAt - Date.now() < EXPIRY_MARGIN_SEC * 1000 - 50, 'the margin to run out');
    holder.dispose();

    expect(await refused).toMatchObject({ code: 'TON_ORDER_EXPIRING', details: { orderId: expiring.orderId } });
    const attempt = await joined;
    attempt.dispose();
    expect(attempt.payload.batch).toEqual({ size: 1, orderIds: [lasting.orderId] });
  });

  it('counts the orders already taken on the wallet when checking the balance', async () => {
    const r = await freshRun();
    const steps = r.method.steps(r.accounts[0]!);
    const [template] = await sw.orders(r, 1, signal);
    const balance = await sw.walletBalance();
    const order = (amount: Units): StoreOrder => ({ ...template!, orderId: `order-${randomUUID()}`, amount });

    const big = order(balance - toNano('0.1') - toNano('1'));
    expect(await steps.check(big, signal)).toBeNull();
    const taking = steps.prepare(big, signal);
    expect(await steps.check(order(toNano('1') + 1n), signal)).toContain('orders already being paid');
    expect(await steps.check(order(toNano('1')), signal)).toBeNull();
    (await taking).dispose();
  });

  it('drops from a closing batch the orders the balance cannot cover with those before them, before signing', async () => {
    const r = await freshRun();
    const steps = r.method.steps(r.accounts[0]!);
    const [template] = await sw.orders(r, 1, signal);
    const balance = await sw.walletBalance();
    const order = (amount: Units): StoreOrder => ({ ...template!, orderId: `order-${randomUUID()}`, amount });
    // Each fits alone; together they do not (the host checked them one by one before either joined).
    const first = order(balance / 2n);
    const second = order(balance / 2n);

    const [kept, dropped] = await Promise.allSettled([steps.prepare(first, signal), steps.prepare(second, signal)]);

    expect(dropped).toMatchObject({ status: 'rejected', reason: { code: 'TON_BALANCE_LOW', details: { orderId: second.orderId } } });
    if (kept.status !== 'fulfilled') return expect.fail('the first order should have been signed');
    expect(kept.value.payload.batch).toEqual({ size: 1, orderIds: [first.orderId] });
    kept.value.dispose();
  });

  it('puts at most 255 transfers in one message and pays all of them with it; the next order waits for the next message', async () => {
    const r = await freshRun();
    const [template] = await sw.orders(r, 1, signal);
    const amount = toNano('0.01');
    const orders = Array.from({ length: 256 }, () => ({ ...template!, orderId: `order-${randomUUID()}`, amount }));
    const externalsBefore = sw.externals();
    const balanceBefore = await sw.walletBalance();
    const steps = r.method.steps(r.accounts[0]!);
    // All 256 join the forming batch in this order; the 256th is left for the next message.
    const prepared = orders.map((o) => steps.prepare(o, new AbortController().signal));
    let leftOut: PaymentAttempt | null = null;
    void prepared[255]!.then((a) => (leftOut = a));
    const batch = await Promise.all(prepared.slice(0, 255));

    expect(batch.map((a) => a.payload.batch)).toEqual(batch.map(() => ({ size: 255, orderIds: orders.slice(0, 255).map((o) => o.orderId) })));
    expect(new Set(batch.map((a) => a.payload.bocHash)).size).toBe(1);
    expect(leftOut).toBeNull();

    const outcomes = await Promise.all(batch.map(async (a) => {
      const own = new AbortController().signal;
      await a.send(own);
      const s = await a.confirm(own);
      a.dispose();
      return s;
    }));
    expect(outcomes.every((s) => s.outcome === 'paid')).toBe(true);
    expect(sw.externals() - externalsBefore).toBe(1);
    const fees = outcomes.reduce((sum, s) => sum + (s.outcome === 'paid' ? s.fee : 0n), 0n);
    expect(balanceBefore - (await sw.walletBalance())).toBe(amount * 255n + fees);

    // The order left out is signed alone, at the next seqno, once the wallet is free.
    const next = await prepared[255]!;
    expect(next.payload.seqno).toBe((batch[0]!.payload.seqno as number) + 1);
    expect(next.payload.batch).toEqual({ size: 1, orderIds: [orders[255]!.orderId] });
    next.dispose();
  }, 60_000);

  describe('after a crash', () => {
    /** Run 1 prepares a batch of `n` orders, records the intents of `recorded` of them and, if `send`, sends; then
     *  "dies": every attempt lets go without confirming. Run 2 starts on the same ledger. */
    async function crashed(n: number, recorded: number, send: boolean) {
      const before = await freshRun();
      const orders = await sw.orders(before, n, signal);
      const attempts = await prepareAll(before, orders);
      for (let i = 0; i < recorded; i += 1) await sw.record(orders[i]!, attempts[i]!);
      if (send) await Promise.all(attempts.map((a) => a.send(signal)));
      for (const a of attempts) a.dispose();
      return { orders, attempts, after: await freshRun() };
    }

    it('re-sends a batch recorded but never broadcast once, when every order has its intent: each paid once', async () => {
      const externalsBefore = sw.externals();
      const balanceBefore = await sw.walletBalance();
      const { orders, attempts, after } = await crashed(3, 3, false);
      expect(sw.externals()).toBe(externalsBefore);

      const settled = await Promise.all(attempts.map(async (a, i) => {
        const s = await after.method.reconcile(await sw.openIntent(a.idempotencyKey), signal);
        await sw.settle(a.idempotencyKey, orders[i]!, s);
        return s;
      }));

      expect(settled.map((s) => s.outcome)).toEqual(['paid', 'paid', 'paid']);
      expect(sw.externals() - externalsBefore).toBe(1);
      for (const o of orders) expect(sw.storePayments(o.orderId)).toBe(1);
      expect(balanceBefore - (await sw.walletBalance())).toBe(await sw.ledgerSpent(orders.map((o) => o.orderId)));
    }, 60_000);

    it('settles a batch that was broadcast but never confirmed without sending it again', async () => {
      const externalsBefore = sw.externals();
      const { orders, attempts, after } = await crashed(3, 3, true);

      const settled = await Promise.all(attempts.map((a) => sw.openIntent(a.idempotencyKey).then((intent) => after.method.reconcile(intent, signal))));

      expect(settled.map((s) => s.outcome)).toEqual(['paid', 'paid', 'paid']);
      expect(sw.externals() - externalsBefore).toBe(1);
      for (const o of orders) expect(sw.storePayments(o.orderId)).toBe(1);
    }, 60_000);

    it('never re-sends a batch one of whose orders has no intent: it only watches, and the recorded order ends not paid', async () => {
      const externalsBefore = sw.externals();
      const balanceBefore = await sw.walletBalance();
      const { orders, attempts, after } = await crashed(2, 1, false);
      expect(await sw.ledger.intents.get(attempts[1]!.idempotencyKey)).toBeUndefined();
      passValidity();

      const settled = await after.method.reconcile(await sw.openIntent(attempts[0]!.idempotencyKey), signal);

      expect(settled.outcome).toBe('not-paid');
      expect(chainNow()).toBeGreaterThan(attempts[0]!.payload.validUntil as number);
      expect(sw.externals()).toBe(externalsBefore);
      expect(await sw.walletBalance()).toBe(balanceBefore);
      for (const o of orders) expect(sw.storePayments(o.orderId)).toBe(0);
    }, 60_000);
  });
});
