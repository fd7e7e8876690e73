/** Where a payer stops waiting and what it gives back: stock reports that show none, claims made at arming that the
 *  stock or the budget cannot fill, orders in flight that hold the budget or the packs too long, a busy store, flood
 *  waits, a sell-out during an order, ledger writes that fail. The payment method is in memory; the ledger is real
 *  SQLite; the clock is real (no figure is asserted except lower bounds of waits the payer was told to make). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, waitFor, type ActorRefFrom } from 'xstate';
import { pino } from 'pino';
import { payerMachine, type PayerInput, type PayerOutput } from '../../../../core/actors/payer.js';
import { payerParent } from './payer-parent.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import type { HeldPayment, OwnSettlements, UnknownPayments } from '../../../../core/actors/unknown-payments.js';
import { AutomintError } from '../../../../core/errors.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { PaymentAttempt, PaymentSteps, Settlement, StoreOrder } from '../../../../core/plugins/payment.js';
import { StoreHttpError } from '../../../../core/store/store-error.js';
import { MAX_BUSY_MS } from '../../../../core/store/store-busy.js';

const FEE = 10n;
const WAIT = { timeout: 5_000 };

/** A store and wallet in memory; each test sets what they answer. */
class Method implements PaymentSteps {
  quotePerPack = toNano('2.5');
  quoteGate: Promise<void> = Promise.resolve();
  quoteCalls = 0;
  /** Called for each order request before it is answered; may throw the store's answer. */
  onOrder: (count: number, n: number) => void | Promise<void> = () => undefined;
  refusal: string | null = null;
  settlement: () => Settlement = () => ({ outcome: 'paid', txHash: 'tx', fee: 1n });
  readonly orders: StoreOrder[] = [];
  readonly orderTimes: number[] = [];
  readonly sent: string[] = [];
  disposed = 0;
  private n = 0;

  async quote(): Promise<Units> {
    this.quoteCalls++;
    await this.quoteGate;
    return this.quotePerPack;
  }

  async createOrder(_t: unknown, count: number, opts: { onSent: () => void }): Promise<StoreOrder> {
    this.orderTimes.push(Date.now());
    opts.onSent();
    await this.onOrder(count, this.orderTimes.length);
    const o: StoreOrder = { orderId: `o${++this.n}`, count, currency: 'TON', amount: this.quotePerPack * BigInt(count), destination: 'store', expiresAt: Date.now() + 300_000 };
    this.orders.push(o);
    return o;
  }

  async check(): Promise<string | null> {
    return this.refusal;
  }

  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    return {
      idempotencyKey: `k-${order.orderId}`, payload: {},
      send: async () => { this.sent.push(order.orderId); },
      confirm: async () => this.settlement(),
      dispose: () => { this.disposed++; },
    };
  }
}

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: 10 });
});
afterEach(async () => {
  await ledger.close();
});

function start(method: Method, over: Partial<PayerInput> = {}, policy: Partial<PayerInput['policy']> = {}) {
  const input: PayerInput = {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: method, quota: new TargetQuota(10), ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: FEE, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000, ...policy },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 50, observedAt: performance.now(),
    ...over,
  };
  const actor = createActor(payerParent(input));
  actor.start();
  const payer = actor.getSnapshot().children['payer' as never] as unknown as ActorRefFrom<typeof payerMachine>;
  const ended = (): Promise<PayerOutput> => waitFor(actor, (s) => s.context.output !== undefined, WAIT).then((s) => s.context.output!);
  return { actor, payer, input, ended };
}

/** Resolves once `cond` holds (checked every 5 ms): what a test waits for is often the method's, not the actor's. */
function until(cond: () => boolean, timeoutMs = WAIT.timeout): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (cond()) { clearInterval(timer); resolve(); } else if (Date.now() - started > timeoutMs) { clearInterval(timer); reject(new Error('condition not met in time')); }
    }, 5);
  });
}

/** Sends a stock report every `everyMs` until `until` settles. */
function reportStock(payer: ActorRefFrom<typeof payerMachine>, left: number, everyMs: number, until: Promise<unknown>): void {
  const timer = setInterval(() => payer.send({ type: 'STOCK', left, observedAt: performance.now() }), everyMs);
  void until.finally(() => clearInterval(timer)).catch(() => undefined);
}

/** Claims packs and budget in the ledger for another account, as another process's order in flight would. */
async function heldByBob(packs: number, amount: Units) {
  const r = await ledger.claims.claim({
    currency: 'TON', account: 'bob', target: '1:1', method: 'ton', packs, wanted: 10, amountFor: () => amount, limits: { total: toNano('100') },
  });
  if (!r.ok) throw new Error(`bob's claim was refused: ${r.reason}`);
  return r.reservation.id;
}

describe('stock reports', () => {
  it('a report of none left ends a waiting payer at once: sold out', async () => {
    const m = new Method();
    const quota = new TargetQuota(10);
    quota.claim(10, 'stars'); // every pack claimed by another payer: this one plans a wait
    const { payer, ended } = start(m, { quota });
    await waitFor(payer, (s) => s.matches('waiting'), WAIT);
    payer.send({ type: 'STOCK', left: 0, observedAt: performance.now() });
    expect((await ended()).reason).toBe('sold out');
  });

  it('a payer started on a report of no stock waits for stock, and ends when none comes', async () => {
    const m = new Method();
    const { ended } = start(m, { left: 0 });
    expect((await ended()).reason).toBe('no stock report for 1 s');
    expect(m.orders).toHaveLength(0);
  });

  it('a payer that finds every pack claimed waits, then orders at the next stock report once packs are free', async () => {
    const m = new Method();
    const quota = new TargetQuota(10);
    quota.claim(10, 'stars');
    const { payer, actor } = start(m, { quota });
    await waitFor(payer, (s) => s.matches('waiting'), WAIT);
    quota.release(10, 'stars');
    payer.send({ type: 'STOCK', left: 3, observedAt: performance.now() });
    await until(() => m.sent.length >= 1);
    expect(m.orders[0]!.count).toBe(3);
    payer.send({ type: 'STOP' });
  });

  it('a sell-out reported while an order is in flight ends the payer after that order, with no other order', async () => {
    const m = new Method();
    const { payer, ended } = start(m);
    m.onOrder = () => { payer.send({ type: 'SOLD_OUT' }); };
    expect((await ended()).reason).toBe('sold out');
    expect(m.orders).toHaveLength(1);
    expect(m.sent).toEqual(['o1']);
  });
});

describe('the first order at a known maximum price', () => {
  it('goes out without waiting for the price look-up', async () => {
    const m = new Method();
    let releaseQuote!: () => void;
    m.quoteGate = new Promise((resolve) => { releaseQuote = resolve; });
    const { actor, payer } = start(m);
    // The order request is made while the quote is still unanswered.
    await until(() => m.orderTimes.length >= 1);
    expect(m.quoteCalls).toBe(1);
    releaseQuote();
    await until(() => m.sent.length >= 1);
    payer.send({ type: 'STOP' });
  });
});

describe('claims given back', () => {
  it('a claim at arming the stock cannot fill gives back exactly the packs not ordered', async () => {
    const m = new Method();
    // The payment proves impossible after the intent is recorded: the payer gives back what it still claims.
    m.settlement = () => ({ outcome: 'not-paid', reason: 'wallet empty', final: true });
    const quota = new TargetQuota(10);
    quota.claim(3, 'stars'); // another payer's claims, which must stay
    const { payer, ended } = start(m, { quota, armAhead: true, left: 0 });
    await waitFor(payer, (s) => s.matches('armed') && s.context.reservationId !== 0, WAIT);
    payer.send({ type: 'STOCK', left: 2, observedAt: performance.now() });
    expect((await ended()).reason).toBe('cannot pay with this method: wallet empty');
    expect(m.orders.map((o) => o.count)).toEqual([2]);
    // Only the other payer's 3 packs are still claimed.
    expect(quota.claim(10, 'ton')).toBe(7);
  });

  it('packs the budget cannot cover go back, and only those', async () => {
    const m = new Method();
    m.refusal = 'not this one';
    const quota = new TargetQuota(10);
    quota.claim(3, 'stars');
    // One pack at the 3 TON maximum plus the fee allowance: the planned 5 shrink to 1.
    const { ended } = start(m, { quota, budget: toNano('3') + FEE });
    await ended();
    expect(m.orders.map((o) => o.count)).toEqual([1]);
    expect(quota.claim(10, 'ton')).toBe(7);
  });

  it('a claim at arming that the ledger refused leaves the first order to be planned at the stock report', async () => {
    const m = new Method();
    const bob = await heldByBob(10, toNano('30')); // every pack held by another process's orders at arming
    const { payer, actor } = start(m, { armAhead: true, left: 0 });
    await waitFor(payer, (s) => s.matches('armed') && s.context.claimTried && s.context.claimed === 0, WAIT);
    await ledger.budget.release(bob);
    payer.send({ type: 'STOCK', left: 4, observedAt: performance.now() });
    await until(() => m.sent.length >= 1);
    expect(m.orders[0]!.count).toBe(4);
    payer.send({ type: 'STOP' });
  });
});

describe('claims at arming', () => {
  it('a payer started on stock claims no packs ahead: every reservation it made is used or freed', async () => {
    const m = new Method();
    const { payer, ended } = start(m, { left: 2 });
    m.onOrder = () => { payer.send({ type: 'SOLD_OUT' }); };
    expect((await ended()).reason).toBe('sold out');
    expect(await ledger.budget.list({ state: 'held' })).toEqual([]);
    expect((await ledger.budget.list({ state: 'consumed' })).map((r) => r.packs)).toEqual([2]);
  });
});

describe('held by orders in flight', () => {
  it('a budget held by orders in flight is waited for at stock reports, not given up at once', async () => {
    const m = new Method();
    await heldByBob(1, toNano('100'));
    const { payer, actor, ended } = start(m, {}, { maxHoldMs: 2_000 });
    const end = ended();
    reportStock(payer, 5, 100, end);
    // Several stock reports come and go within the longest wait (2 s): the payer is still waiting after 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(actor.getSnapshot().context.output).toBeUndefined();
    expect((await end).reason).toBe('budget held by payments in flight for too long');
  });

  it('a budget held by orders in flight past the longest wait ends the payer, saying so', async () => {
    const m = new Method();
    await heldByBob(1, toNano('100')); // bob's order in flight holds the whole budget and never settles
    const { payer, ended } = start(m);
    const end = ended();
    reportStock(payer, 5, 200, end);
    expect((await end).reason).toBe('budget held by payments in flight for too long');
    expect(m.orders).toHaveLength(0);
  });

  it('packs held by orders in flight past the longest wait end the payer, saying so', async () => {
    const m = new Method();
    await heldByBob(10, toNano('1'));
    const { payer, ended } = start(m);
    const end = ended();
    reportStock(payer, 5, 200, end);
    expect((await end).reason).toBe('packs held by orders in flight for too long');
  });

  it("every pack paid says whether the target or only the method's share is reached", async () => {
    // Paid in the ledger by another process of this account; this payer's quota does not know it yet, the ledger's claim does.
    const payOne = async (method: string) => {
      const r = await ledger.claims.claim({ currency: 'TON', account: 'alice', target: '1:1', method, packs: 1, wanted: 2, amountFor: () => toNano('3'), limits: { total: toNano('100') } });
      if (!r.ok) throw new Error('refused');
      const orderId = `paid-${method}`;
      await ledger.recordOrder({ orderId, purchaseId: 'p1', method, account: 'alice', collection: 1, character: 1, count: 1, currency: 'TON', amount: toNano('2'), destination: 'store', expiresAt: Date.now() + 300_000 }, r.reservation.id);
      await ledger.recordIntent({ idempotencyKey: `k-${orderId}`, orderId, method, currency: 'TON', amount: toNano('2'), destination: 'store', payload: {} }, { reservationId: r.reservation.id, amount: toNano('2') + FEE, packs: 1 });
      await ledger.settle({ idempotencyKey: `k-${orderId}`, orderId, reservationId: r.reservation.id, outcome: 'paid', txHash: 'tx', fee: 1n, spent: toNano('2') + 1n });
    };
    await payOne('ton');
    const share = start(new Method(), { quota: new TargetQuota(2, undefined, { ton: 1, stars: 1 }) });
    expect((await share.ended()).reason).toBe('share reached');
    await payOne('stars');
    const target = start(new Method(), { quota: new TargetQuota(2) });
    expect((await target.ended()).reason).toBe('target reached');
  });
});

describe('held back by the store', () => {
  it('a refusal with a time to ask again (a flood wait) is waited out and never counted as a failure', async () => {
    const m = new Method();
    m.onOrder = (_count, n) => {
      if (n <= 3) throw new AutomintError('STARS_FLOOD_WAIT', 'flood wait', { retryAt: Date.now() + 20 });
    };
    const { payer, actor } = start(m); // maxFailures 2: three failures would have ended it
    await until(() => m.sent.length >= 1);
    // Three flood waits, then the order that was paid.
    expect(m.orderTimes.length).toBeGreaterThanOrEqual(4);
    payer.send({ type: 'STOP' });
  });

  it('a busy answer (HTTP 503) is waited out, then the order goes', async () => {
    const m = new Method();
    m.onOrder = (_count, n) => {
      if (n === 1) throw new StoreHttpError(503, { op: 'buyTon', url: 'u' });
    };
    const { payer, actor } = start(m);
    await until(() => m.sent.length >= 1);
    expect(m.orderTimes.length).toBeGreaterThanOrEqual(2);
    payer.send({ type: 'STOP' });
  });

  it('busy answers in a row are asked again after a growing pause', async () => {
    const m = new Method();
    m.onOrder = (_count, n) => {
      if (n <= 3) throw new StoreHttpError(503, { op: 'buyTon', url: 'u' });
    };
    const { payer, actor } = start(m, {}, { retryDelayMs: 200, maxHoldMs: 10_000 });
    await until(() => m.sent.length >= 1, 8_000);
    // 200 ms, then 400, then 800 (each up to 20 % shorter): the third pause is at least 640 ms.
    expect(m.orderTimes[3]! - m.orderTimes[2]!).toBeGreaterThanOrEqual(600);
    payer.send({ type: 'STOP' });
  });

  it('busy answers with no stock report for the longest wait end the payer, saying for how long', async () => {
    const m = new Method();
    m.onOrder = () => { throw new StoreHttpError(503, { op: 'buyTon', url: 'u' }); };
    const { ended } = start(m);
    expect((await ended()).reason).toMatch(/^store busy for [1-9] s: store answered HTTP 503 to buyTon$/);
  });

  it('a sell-out while the store answers busy says the store was busy: why nothing was bought', async () => {
    const m = new Method();
    m.onOrder = () => { throw new StoreHttpError(503, { op: 'buyTon', url: 'u' }); };
    const { payer, actor, ended } = start(m, {}, { retryDelayMs: 100 });
    await until(() => m.orderTimes.length >= 1);
    payer.send({ type: 'SOLD_OUT' });
    expect((await ended()).reason).toMatch(/^sold out \(store busy for \d+ s: store answered HTTP 503 to buyTon\)$/);
    expect(actor.getSnapshot().context.output).toBeDefined();
  });

  it('a busy answer in a process that has run for hours is waited out like any other', async () => {
    // performance.now() counts from the process start: a long-running bot's is large.
    const real = performance.now.bind(performance);
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => real() + 3 * 3_600_000);
    try {
      const m = new Method();
      m.onOrder = (_count, n) => {
        if (n <= 3) throw new StoreHttpError(503, { op: 'buyTon', url: 'u' });
      };
      const { payer } = start(m);
      await until(() => m.sent.length >= 1);
      payer.send({ type: 'STOP' });
    } finally {
      spy.mockRestore();
    }
  });

  it('busy answers are ridden out for ten minutes at most, even while stock reports keep showing packs', async () => {
    // Ten minutes pass in an instant: the monotonic clock the payer reads jumps once the store has answered busy.
    const real = performance.now.bind(performance);
    let skew = 0;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => real() + skew);
    try {
      const m = new Method();
      m.onOrder = () => { throw new StoreHttpError(503, { op: 'buyTon', url: 'u' }); };
      const { payer, ended } = start(m, {}, { retryDelayMs: 50, maxHoldMs: 60_000 });
      const end = ended();
      reportStock(payer, 5, 50, end);
      await until(() => m.orderTimes.length >= 1);
      skew = MAX_BUSY_MS + 5_000;
      expect((await end).reason).toMatch(/^store busy for 60[5-9] s: store answered HTTP 503 to buyTon$/);
    } finally {
      spy.mockRestore();
    }
  });

  it('busy answers are ridden out past the longest wait while stock reports keep showing packs', async () => {
    const m = new Method();
    m.onOrder = () => { throw new StoreHttpError(503, { op: 'buyTon', url: 'u' }); };
    const { payer, actor } = start(m);
    const stop = new Promise((resolve) => setTimeout(resolve, 2_500));
    reportStock(payer, 5, 100, stop);
    await stop;
    expect(actor.getSnapshot().context.output).toBeUndefined();
    payer.send({ type: 'STOP' });
    await waitFor(actor, (s) => s.context.output !== undefined, WAIT);
  });
});

describe('outcomes', () => {
  it('payments that did not happen, as often as failures are allowed, end the payer saying so', async () => {
    const m = new Method();
    m.settlement = () => ({ outcome: 'not-paid', reason: 'expired' });
    const { ended } = start(m);
    expect((await ended()).reason).toBe('payment did not happen');
    expect(m.sent).toHaveLength(2);
  });

  it('an intent that cannot be written stops the payer before any money moves', async () => {
    const m = new Method();
    // A disk fault no server can produce: the ledger refuses the intent's write.
    ledger.recordIntent = async () => { throw new Error('disk I/O error'); };
    const { ended } = start(m);
    expect((await ended()).reason).toBe('ledger write failed: disk I/O error');
    expect(m.sent).toHaveLength(0);
    expect(m.disposed).toBe(1);
  });

  it('a settlement that cannot be written ends the payer saying so', async () => {
    const m = new Method();
    ledger.settle = async () => { throw new Error('disk full'); };
    const { ended } = start(m);
    expect((await ended()).reason).toBe('ledger write failed: disk full');
    expect(m.sent).toEqual(['o1']);
  });
});

describe('held by unknown payments past the run\'s bound', () => {
  const payment = (orderId: string, reason: string): HeldPayment =>
    ({ orderId, method: 'ton', account: 'alice', target: '1:1', count: 1, currency: 'TON', amount: toNano('2.5'), reason });

  /** The run's reconciliation, answering as told; it gives up at once (giveUpAfterMs 0). */
  function port(answers: { own?: OwnSettlements; holding?: readonly HeldPayment[] }): UnknownPayments {
    return {
      giveUpAfterMs: 0,
      settlementsOf: async () => answers.own ?? { held: [], notPaid: [] },
      holdingAll: async () => (answers.holding ? { share: false, payments: answers.holding } : null),
      requestRound: () => Date.now() + 20,
    };
  }

  it('its own payments still unknown end it, naming each reason', async () => {
    const m = new Method();
    m.settlement = () => ({ outcome: 'unknown', reason: 'not confirmed' });
    const own = { held: [payment('o1', 'not confirmed within 40 s'), payment('o0', 'indexer down')], notPaid: [] };
    const { ended } = start(m, { unknownPayments: port({ own }) });
    expect((await ended()).reason).toBe('payment outcome unknown (not confirmed within 40 s; indexer down); reconciled at the next start');
  });

  it('every pack left held by unknown payments ends it, naming the orders', async () => {
    const m = new Method();
    const quota = new TargetQuota(10);
    quota.claim(10, 'stars');
    const { ended } = start(m, { quota, unknownPayments: port({ holding: [payment('o7', 'x'), payment('o8', 'y')] }) });
    expect((await ended()).reason).toBe('every pack left is held by payments whose outcome is unknown (o7, o8); reconciled at the next start');
  });
});
