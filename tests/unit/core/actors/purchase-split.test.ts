/** How a purchase shares its packs among its payment methods: `race` and `split` buy with every method at once (split
 *  within each method's share); `cheapest` ranks the methods by price per pack, buys with the cheapest alone and hands
 *  over to the next only when one fails. Also the payer endings that policy depends on: a final not-paid and an order
 *  the plugin already refused. The payment methods are in memory, scripted per test; the ledger is real SQLite. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor, type Actor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { pino } from 'pino';
import { payerId, purchaseMachine, type PurchaseInput, type PurchaseOutput, type SplitPolicy } from '../../../../core/actors/purchase.js';
import { plan, type PayerInput } from '../../../../core/actors/payer-steps.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { stars, toNano, type Currency, type Units } from '../../../../core/money.js';
import type {
  PaymentAccount,
  PaymentAttempt,
  PaymentMethod,
  PaymentSteps,
  Settlement,
  StoreOrder,
  TargetSpec,
} from '../../../../core/plugins/payment.js';
import type { StoreClient } from '../../../../core/store/store-client.js';
import { StoreHttpError, StoreRejected } from '../../../../core/store/store-error.js';

const PURCHASE = 'purchase:10:1:alice';
const TIMEOUT = { timeout: 5_000 };

/** A payment method whose store and wallet live in memory. Each knob scripts one way a real method behaves. */
class FakeMethod implements PaymentMethod {
  readonly orderPolicy = { toleranceBps: 100, expiryMarginMs: 1_000, feeAllowance: 0n };
  /** Price per pack; an Error makes the quote fail. */
  price: Units | Error;
  /** How each payment ends. */
  settle: (orderId: string) => Settlement | Promise<Settlement> = (orderId) => ({ outcome: 'paid', txHash: `tx-${orderId}`, fee: 0n });
  /** Order requests fail with this error when set (nothing is created). */
  orderError: Error | null = null;
  /** Order requests are refused for lack of stock while set. */
  outOfStock = false;
  /** Quotes wait for this before answering, when set. */
  quoteGate: Promise<void> | null = null;
  /** Orders come back already refused by the plugin with this reason when set. */
  refusal: string | undefined = undefined;
  /** Orders created, orders whose payment was sent, and orders confirmed paid. */
  readonly orders: StoreOrder[] = [];
  readonly sent: string[] = [];
  readonly paid: StoreOrder[] = [];
  private n = 0;

  constructor(readonly id: string, readonly currency: Currency, price: Units) {
    this.price = price;
  }

  /** Packs in orders this method paid. */
  paidPacks(): number {
    return this.paid.reduce((s, o) => s + o.count, 0);
  }

  async prepare(): Promise<void> {}

  async capacity(): Promise<Units> {
    return 10n ** 18n;
  }

  steps(): PaymentSteps {
    return {
      quote: async () => {
        await this.quoteGate;
        if (this.price instanceof Error) throw this.price;
        return this.price;
      },
      createOrder: async (_t: TargetSpec, count, opts) => {
        opts.onSent();
        if (this.orderError) throw this.orderError;
        if (this.outOfStock) throw new StoreRejected('sold_out', 409, { op: 'buyTon', url: 'http://store/api/v1/shop/buy' });
        const perPack = this.price instanceof Error ? 1n : this.price;
        const order: StoreOrder = {
          orderId: `${this.id}-${++this.n}`, count, currency: this.currency, amount: perPack * BigInt(count),
          destination: `${this.id}-dest`, expiresAt: Date.now() + 300_000, ...(this.refusal === undefined ? {} : { refusal: this.refusal }),
        };
        this.orders.push(order);
        return order;
      },
      check: async () => null,
      prepare: async (order): Promise<PaymentAttempt> => ({
        idempotencyKey: `key-${order.orderId}`,
        payload: { order: order.orderId },
        send: async () => {
          this.sent.push(order.orderId);
        },
        confirm: async () => {
          const settlement = await this.settle(order.orderId);
          if (settlement.outcome === 'paid') this.paid.push(order);
          return settlement;
        },
        dispose: () => undefined,
      }),
    };
  }

  async reconcile(): Promise<Settlement> {
    return { outcome: 'not-paid', reason: 'unused here' };
  }

  async close(): Promise<void> {}
}

let ledger: Ledger;
/** Purchases started by the current test, stopped before its ledger closes. */
const running: Actor<typeof purchaseMachine>[] = [];
beforeEach(async () => {
  ledger = await openLedger(':memory:');
});
afterEach(async () => {
  for (const actor of running.splice(0)) actor.stop();
  await ledger.close();
});

interface Run {
  actor: Actor<typeof purchaseMachine>;
  /** Payer ids in the order they were spawned. */
  spawned: string[];
  input: PurchaseInput;
}

/** A purchase of 10:1 for alice over `methods`, started and shown stock. */
function start(methods: FakeMethod[], opts: { policy: SplitPolicy; wanted?: number; shares?: Record<string, number>; starsPerTon?: bigint; budget?: PurchaseInput['budget']; stock?: boolean }): Run {
  const wanted = opts.wanted ?? 6;
  const spawned: string[] = [];
  const account: PaymentAccount = {
    name: 'alice', wallet: undefined,
    // The fake methods never call the store: they are the boundary under test's stand-in. Arming only gets the
    // account's token ready.
    store: { warmUp: async () => undefined } as unknown as StoreClient,
  };
  const input: PurchaseInput = {
    purchaseId: PURCHASE, account,
    target: { key: '10:1', collection: 10, character: 1, packsWanted: wanted, maxPricePerPack: {} },
    methods, quota: new TargetQuota(wanted, undefined, opts.policy === 'split' ? opts.shares : undefined), ledger,
    budget: opts.budget ?? { TON: toNano('1000'), XTR: stars(100_000n) },
    policy: { maxPerOrder: 2, maxFailures: 2, retryDelayMs: 5, maxHoldMs: 2_000 },
    watcherId: 'watcher:10:1', metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false,
    split: { policy: opts.policy, ...(opts.starsPerTon === undefined ? {} : { starsPerTon: opts.starsPerTon }) },
  };
  const actor = createActor(purchaseMachine, {
    input,
    inspect: (e: InspectionEvent) => {
      // Inspection types the ref loosely; at run time it is the actor itself, which has an id.
      const id = e.type === '@xstate.actor' ? (e.actorRef as AnyActorRef).id : '';
      if (id.startsWith('pay:')) spawned.push(id);
    },
  });
  running.push(actor);
  actor.start();
  if (opts.stock !== false) actor.send({ type: 'STOCK', left: 50, observedAt: performance.now() });
  return { actor, spawned, input };
}

/** Polls `cond` until it holds, or fails the test after a while. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + TIMEOUT.timeout;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The payer of `method` in `run`, once spawned. */
async function payerOf(run: Run, method: string): Promise<AnyActorRef> {
  const id = payerId(method, PURCHASE);
  const snap = await waitFor(run.actor, (p) => p.children[id] !== undefined, TIMEOUT);
  return snap.children[id]!;
}

/** The purchase's output once it ends, after its end is in the ledger. */
async function ended(run: Run): Promise<PurchaseOutput> {
  const snap = await waitFor(run.actor, (s) => s.status === 'done', TIMEOUT);
  const deadline = Date.now() + TIMEOUT.timeout;
  while ((await ledger.purchases.get(PURCHASE))?.state !== 'done') {
    if (Date.now() > deadline) throw new Error('the end of the purchase never reached the ledger');
    await new Promise((r) => setTimeout(r, 5));
  }
  return snap.output!;
}

const ton = (perPack = '2'): FakeMethod => new FakeMethod('ton', 'TON', toNano(perPack));
const xtr = (perPack = 500n): FakeMethod => new FakeMethod('stars', 'XTR', stars(perPack));

describe('purchase under the cheapest policy', () => {
  it('buys with the cheaper method alone and never spawns the dearer one', async () => {
    // 2 TON at 300 Stars per TON is 600 Stars: Stars at 500 is cheaper.
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    const out = await ended(run);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE)]);
    expect([s.paidPacks(), t.orders.length]).toEqual([6, 0]);
    expect(out).toMatchObject({ outcome: 'done', reason: 'stars: target reached' });
  });

  it('follows the valuation of a TON: the same prices rank the other way at a lower starsPerTon', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([s, t], { policy: 'cheapest', starsPerTon: 200n });
    await ended(run);
    expect(run.spawned).toEqual([payerId('ton', PURCHASE)]);
    expect([t.paidPacks(), s.orders.length]).toEqual([6, 0]);
  });

  it('hands over to the next method after the cheaper one fails, and that one finishes the target', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    s.orderError = new StoreHttpError(502, { op: 'buyStars', url: 'http://store/api/v1/shop/buy' });
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    const out = await ended(run);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE), payerId('ton', PURCHASE)]);
    expect([t.paidPacks(), s.paidPacks()]).toEqual([6, 0]);
    expect(out.outcome).toBe('done');
    // A 5xx is the store busy, ridden out until no stock report says the drop can still be bought, then handed over.
    expect(out.reason).toMatch(/^stars: store busy for \d+ s: store answered HTTP 502 .*; ton: target reached$/);
  });

  it('hands over after the cheaper method paid part of the target, the next buying only the rest', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    let payments = 0;
    s.settle = (orderId) => (++payments === 1
      ? { outcome: 'paid', txHash: `tx-${orderId}`, fee: 0n }
      : { outcome: 'not-paid', reason: 'verify the payment in the Telegram app', final: true });
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    const out = await ended(run);
    expect([s.paidPacks(), t.paidPacks()]).toEqual([2, 4]);
    expect(out.reason).toBe('stars: cannot pay with this method: verify the payment in the Telegram app; ton: target reached');
    expect(await ledger.orders.paidPacks(PURCHASE)).toBe(6);
  });

  it('hands over when the cheaper method\'s currency has no budget', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n, budget: { TON: toNano('1000') } });
    const out = await ended(run);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE), payerId('ton', PURCHASE)]);
    expect(out.reason).toBe('stars: budget exhausted; ton: target reached');
    expect(s.orders).toEqual([]);
  });

  it('hands over when the plugin refuses the cheaper method\'s order up front, paying nothing for it', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    s.refusal = 'invoice link has no slug';
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    const out = await ended(run);
    expect(s.sent).toEqual([]);
    expect((await ledger.orders.get('stars-1'))?.state).toBe('refused');
    expect(out.reason).toMatch(/^stars: refused: .*invoice link has no slug; ton: target reached$/);
    expect(t.paidPacks()).toBe(6);
  });

  it('does not hand over after the character sells out', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    s.outOfStock = true;
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    await waitFor(await payerOf(run, 'stars'), (p) => p.value === 'waiting', TIMEOUT);
    run.actor.send({ type: 'SOLD_OUT' });
    const out = await ended(run);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE)]);
    expect(t.orders).toEqual([]);
    expect(out.reason).toBe('stars: sold out');
  });

  it('does not hand over when the run is stopped, even if the payment in flight then fails', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    let fail!: () => void;
    s.settle = () => new Promise<Settlement>((resolve) => {
      fail = () => resolve({ outcome: 'not-paid', reason: 'payment form expired', final: true });
    });
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    await waitFor(await payerOf(run, 'stars'), (p) => p.value === 'confirming', TIMEOUT);
    run.actor.send({ type: 'STOP' });
    fail();
    const out = await ended(run);
    expect(out.outcome).toBe('stopped');
    expect(out.reason).toMatch(/^stars: cannot pay with this method/);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE)]);
    expect(t.orders).toEqual([]);
  });

  // BUG (core/actors/purchase.ts, state `ranking`): a SOLD_OUT noted while the methods are being ranked is not acted
  // on. `ranking.onDone` goes straight to `buying`, which spawns the cheapest payer with `left: 0` and no sold-out
  // flag; the watcher tells SOLD_OUT only once, so the payer waits `maxHoldMs` for a stock report that never comes
  // and the purchase ends late with "no stock report" instead of "sold out before buying" (`armed` checks `soldOut`
  // first; `ranking` does not).
  it('ends as sold out, spawning no payer, when the character sells out while the methods are ranked', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    let quoted!: () => void;
    t.quoteGate = s.quoteGate = new Promise<void>((resolve) => (quoted = resolve));
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    await waitFor(run.actor, (snap) => snap.value === 'ranking', TIMEOUT);
    run.actor.send({ type: 'SOLD_OUT' });
    quoted();
    await waitFor(run.actor, (snap) => snap.status === 'done' || run.spawned.length > 0, TIMEOUT);
    expect(run.spawned).toEqual([]);
    expect(await ended(run)).toMatchObject({ outcome: 'done', reason: 'sold out before buying' });
  });

  it('tries the methods in configured order when no price can be had, the unpriced last', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    t.price = new StoreHttpError(503, { op: 'priceTon', url: 'http://store/api/v1/shop/price/crypto' });
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    await ended(run);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE)]);
    expect(s.paidPacks()).toBe(6);
  });

  it('buys with the single method at once, with nothing to rank', async () => {
    const t = ton('2');
    const run = start([t], { policy: 'cheapest' });
    const out = await ended(run);
    expect(out.reason).toBe('ton: target reached');
    expect(t.paidPacks()).toBe(6);
  });

  it('ends failed-over and done when every method fails, each tried once', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    // 501: a failure no wait changes (a busy 5xx is ridden out first: see the hand-over test above).
    for (const m of [t, s]) m.orderError = new StoreHttpError(501, { op: m.id === 'ton' ? 'buyTon' : 'buyStars', url: 'http://store/' });
    const run = start([t, s], { policy: 'cheapest', starsPerTon: 300n });
    const out = await ended(run);
    expect(run.spawned).toEqual([payerId('stars', PURCHASE), payerId('ton', PURCHASE)]);
    expect(out.reason).toMatch(/^stars: store answered HTTP 501 .*; ton: store answered HTTP 501 .*$/);
  });
});

describe('purchase under the split and race policies', () => {
  it('split: spawns every method at once, each buying exactly its share', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([t, s], { policy: 'split', wanted: 8, shares: { ton: 3, stars: 1 } });
    const out = await ended(run);
    expect([...run.spawned].sort()).toEqual([payerId('stars', PURCHASE), payerId('ton', PURCHASE)]);
    expect([t.paidPacks(), s.paidPacks()]).toEqual([6, 2]);
    expect(await ledger.orders.paidPacks(PURCHASE, 'ton')).toBe(6);
    expect(await ledger.orders.paidPacks(PURCHASE, 'stars')).toBe(2);
    expect(out.reason).toMatch(/stars: share reached/);
  });

  it('split: a method that fails leaves its share unbought; the others never take it over', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    s.orderError = new StoreHttpError(502, { op: 'buyStars', url: 'http://store/api/v1/shop/buy' });
    const run = start([t, s], { policy: 'split', wanted: 4, shares: { ton: 1, stars: 1 } });
    const out = await ended(run);
    expect([t.paidPacks(), s.paidPacks()]).toEqual([2, 0]);
    expect(out.reason).toMatch(/ton: share reached/);
    expect(run.spawned).toHaveLength(2);
  });

  it('split: a method with a zero share buys nothing', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([t, s], { policy: 'split', wanted: 4, shares: { ton: 0, stars: 1 } });
    const out = await ended(run);
    expect([t.orders.length, s.paidPacks()]).toEqual([0, 4]);
    expect(out.reason).toMatch(/ton: share reached/);
  });

  it('race: spawns every method at once and together they buy exactly the target', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([t, s], { policy: 'race', wanted: 7 });
    // The payer that found nothing left to claim waits for the watcher's next report, as it would in a run.
    await until(() => run.input.quota.reached);
    run.actor.send({ type: 'STOCK', left: 43, observedAt: performance.now() });
    await ended(run);
    expect([...run.spawned].sort()).toEqual([payerId('stars', PURCHASE), payerId('ton', PURCHASE)]);
    expect(t.paidPacks() + s.paidPacks()).toBe(7);
    expect(await ledger.orders.paidPacks(PURCHASE)).toBe(7);
  });

  it('notes each method\'s first confirmed payment for the drop-to-first-payment figures', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    const run = start([t, s], { policy: 'split', wanted: 4, shares: { ton: 1, stars: 1 } });
    const metrics = run.input.metrics;
    expect(metrics.dropToFirstPayment()).toEqual({});
    // The watcher sets this when it first sees stock; here the test plays the watcher.
    metrics.firstStockSeenAt = performance.now();
    await ended(run);
    expect([...metrics.firstPaidAt.keys()].sort()).toEqual(['stars', 'ton']);
    const figures = metrics.dropToFirstPayment();
    expect(Object.keys(figures).sort()).toEqual(['stars', 'ton']);
    for (const ms of Object.values(figures)) expect(ms).toBeGreaterThanOrEqual(0);
    const firstTon = metrics.firstPaidAt.get('ton')!;
    metrics.notePaid('ton', firstTon + 1_000);
    expect(metrics.firstPaidAt.get('ton')).toBe(firstTon);
  });

  it('race: a stock report after one payer ended still reaches the one still buying', async () => {
    const [t, s] = [ton('2'), xtr(500n)];
    // 501: a failure no wait changes (a busy 5xx would be ridden out as long as TON waits), so Stars ends first.
    s.orderError = new StoreHttpError(501, { op: 'buyStars', url: 'http://store/api/v1/shop/buy' });
    t.outOfStock = true;
    const run = start([t, s], { policy: 'race', wanted: 4 });
    // Stars gives up; TON was refused for stock and waits for the next report.
    await waitFor(run.actor, (snap) => snap.context.reasons.some((r) => r.startsWith('stars:')), TIMEOUT);
    await waitFor(await payerOf(run, 'ton'), (p) => p.value === 'waiting', TIMEOUT);
    t.outOfStock = false;
    run.actor.send({ type: 'STOCK', left: 5, observedAt: performance.now() });
    const out = await ended(run);
    expect(t.paidPacks()).toBe(4);
    expect(out.reason).toMatch(/; ton: target reached$/);
  });
});

describe('payer endings the split policies rely on', () => {
  it('plans orders no larger than what is left of the method\'s share, and ends the method once its share is paid', () => {
    const quota = new TargetQuota(8, undefined, { ton: 3, stars: 1 });
    // plan reads only the quota, the method and the order size limit.
    const payer = (method: string) => ({ method, quota, policy: { maxPerOrder: 5 } }) as unknown as PayerInput;
    expect(plan(payer('stars'), 50, false)).toEqual({ kind: 'order', count: 2 });
    expect(plan(payer('stars'), 50, false)).toEqual({ kind: 'wait' });
    quota.settle(2, 'stars');
    expect(plan(payer('stars'), 50, false)).toEqual({ kind: 'done', reason: 'share reached' });
    // A method at its share ends as such even when the drop also sold out.
    expect(plan(payer('stars'), 0, true)).toEqual({ kind: 'done', reason: 'share reached' });
    expect(plan(payer('ton'), 50, false)).toEqual({ kind: 'order', count: 5 });
    expect(plan(payer('ton'), 50, false)).toEqual({ kind: 'order', count: 1 });
  });

  it('ends the payer with "cannot pay with this method" on a final not-paid, ordering nothing more', async () => {
    const t = ton('2');
    t.settle = () => ({ outcome: 'not-paid', reason: 'Telegram asks to confirm the payment in the app', final: true });
    const run = start([t], { policy: 'race', wanted: 6 });
    const out = await ended(run);
    expect(out.reason).toBe('ton: cannot pay with this method: Telegram asks to confirm the payment in the app');
    // One order, not retried; its packs and budget given back.
    expect(t.orders).toHaveLength(1);
    expect((await ledger.orders.get('ton-1'))?.state).toBe('failed');
    expect(await ledger.budget.committed('TON')).toBe(0n);
    expect(run.input.quota.claim(6)).toBe(6);
  });

  it('retries after a not-paid that is not final', async () => {
    const t = ton('2');
    let first = true;
    t.settle = (orderId) => {
      if (!first) return { outcome: 'paid', txHash: `tx-${orderId}`, fee: 0n };
      first = false;
      return { outcome: 'not-paid', reason: 'invoice expired' };
    };
    const run = start([t], { policy: 'race', wanted: 2 });
    const out = await ended(run);
    expect(out.reason).toBe('ton: target reached');
    expect(t.orders).toHaveLength(2);
  });
});
