/** Reconciliation at start (`reconcileOpenIntents`, what every run does before its first order) meeting the intents a
 *  crashed or interrupted run leaves open — `recorded` (died before sending), `sent` (died before confirming) and
 *  `unknown` (the confirmation could not tell) — for TON and Stars orders, against the simulated world over real
 *  sockets: the TON plugin signs and broadcasts on the @ton/sandbox chain through toncenter, the Stars plugin pays over
 *  MTProto. The ledger is brought to each state by the steps a payer takes (claim packs and money, order, record the
 *  intent, send, settle), and the plugins that reconcile are a fresh load, as a restarted process has.
 *
 *  What each answer must do to the ledger: paid → order paid, reservation consumed, its packs counted as paid; not
 *  paid → order failed, reservation released, packs free again; still unknown → everything stays held (never settled
 *  as not paid: the next run would buy those packs again while the money may be gone); the method's plugin missing →
 *  left as it was and reported; and the whole of it bounded in time. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutomintConfigSchema, type AutomintConfigInput } from '../../../../core/config/schema.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { Currency } from '../../../../core/money.js';
import type { PaymentAttempt, PaymentMethod, PaymentSteps, Settlement, StoreOrder, TargetSpec } from '../../../../core/plugins/payment.js';
import { RECONCILE_TIME_LIMIT_MS, reconcileOpenIntents, type Reconciled } from '../../../../core/run/reconcile.js';
import { loadRunPlugins, type RunPlugins } from '../../../../core/run/run-plugins.js';
import { sessionPath, writeSession } from '../../../../plugins/stars/session-file.js';
import { DEMO_SCENARIO, withUnpaidTonLimit } from '../../../../sim/scenarios.js';
import { startWorld, type World, type WorldBuyer } from '../../../../sim/world.js';
import { onSaleNow } from '../../../support/on-sale-now.js';
import { pluginOnWorld, type PluginOnWorld } from '../../../support/world-plugin.js';

/** Blue Cat of the demo drop: 2.5 TON or 250 Stars a pack. */
const TARGET: TargetSpec = { key: '1:1', collection: 1, character: 1 };
const WANTED = 3;
const BUDGET = { TON: 100_000_000_000n, XTR: 2_000n } as const;
const HISTORY = 'messages.GetHistory';

type Method = 'ton' | 'stars';
/** Where the crashed run stopped: intent recorded (died before sending), sent (died before confirming), or settled
 *  unknown by the confirm step (its answer could not tell). */
type LeftAt = 'recorded' | 'sent' | 'unknown';

/** One payment as the crashed run left it in the ledger. */
interface LeftOpen {
  readonly order: StoreOrder;
  readonly key: string;
  readonly reservationId: number;
  readonly method: Method;
}

describe('reconciliation at start meeting open intents', () => {
  let world: World;
  let dir: string;
  let dataDir: string;
  let ledger: Ledger;
  let logged: { level: number; msg: string; idempotencyKey?: string }[];
  let log: Logger;
  const closers: (() => Promise<unknown>)[] = [];

  // A world per case: the store caps each buyer's unpaid orders, and the cases leave some.
  beforeEach(async () => {
    // Several unpaid TON orders of one account at once (a batch of two): the store here allows three.
    world = await startWorld({ scenario: onSaleNow(withUnpaidTonLimit(DEMO_SCENARIO, 3)), blockIntervalMs: 200 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'automint-reconcile-start-'));
    dataDir = path.join(dir, 'data');
    // As `automint login` would have left them.
    for (const b of world.buyers) await writeSession(sessionPath(dataDir, b.name), b.session);
    ledger = await openLedger(path.join(dataDir, 'automint.db'));
    logged = [];
    log = pino({ level: 'info' }, new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logged.push(JSON.parse(line) as (typeof logged)[number]);
        done();
      },
    }));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await ledger?.close();
    await world?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const tonBuyer = (): WorldBuyer => world.buyers[0]!;
  const starsBuyer = (): WorldBuyer => world.buyers[1]!;

  /** The plugin as the run that crashed had it. */
  const firstRun = async (method: Method, extra: Record<string, unknown> = {}): Promise<PluginOnWorld> => {
    const p = await pluginOnWorld(world, method, method === 'ton' ? tonBuyer() : starsBuyer(), extra);
    closers.push(() => p.close());
    return p;
  };

  /** The plugins a restarted run loads on this ledger (TON sees the ledger's intents before it re-sends a message). */
  const restart = async (opts: { methods?: Method[]; ton?: Record<string, unknown>; stars?: Record<string, unknown> } = {}): Promise<RunPlugins> => {
    const methods = opts.methods ?? ['ton', 'stars'];
    const input: AutomintConfigInput = {
      dataDir,
      store: { baseUrl: world.store.url },
      accounts: world.buyers.map((b) => ({ name: b.name, wallet: b.name })),
      wallets: world.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: b.mnemonic })),
      targets: [{ collection: 1, character: 1, packs: WANTED, methods }],
      budget: { TON: '100', XTR: '2000' },
      plugins: {
        ton: { endpoint: world.chain.endpoint, ...opts.ton },
        // A plugin is enabled by its config block too: a run without Stars has none.
        ...(methods.includes('stars') ? {
          stars: {
            apiId: 1, apiHash: '0123456789abcdef0123456789abcdef', connectTimeoutSec: 3,
            server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem },
            ...opts.stars,
          },
        } : {}),
      },
    };
    const plugins = await loadRunPlugins(AutomintConfigSchema.parse(input), ledger, log);
    closers.push(() => plugins.close());
    expect(plugins.payments.map((m) => m.id).sort()).toEqual([...methods].sort());
    return plugins;
  };

  /** Orders and prepares one pack the way a payer does (claim packs and money, order, attach, verify, resize). */
  const ordered = async (p: PluginOnWorld, signal: AbortSignal, steps = p.method.steps(p.account)): Promise<{ order: StoreOrder; reservationId: number; steps: PaymentSteps }> => {
    const method = p.method;
    const currency: Currency = method.currency;
    await method.prepare(p.account, signal);
    const quote = await steps.quote(TARGET, signal);
    const purchaseId = `purchase:${TARGET.key}:${p.account.name}`;
    await ledger.purchases.ensure({ id: purchaseId, collection: 1, character: 1, account: p.account.name, packsWanted: WANTED });
    const claim = await ledger.claims.claim({
      currency, account: p.account.name, target: TARGET.key, method: method.id, packs: 1, wanted: WANTED,
      amountFor: (n) => quote * BigInt(n) + method.orderPolicy.feeAllowance, limits: { total: BUDGET[currency as keyof typeof BUDGET] },
    });
    if (!claim.ok) throw new Error(`claim refused: ${claim.reason}`);
    const order = await steps.createOrder(TARGET, 1, { signal, onSent: () => undefined });
    await ledger.orders.insert({
      orderId: order.orderId, purchaseId, method: method.id, account: p.account.name, collection: 1, character: 1, count: order.count,
      currency: order.currency, amount: order.amount, destination: order.destination, expiresAt: order.expiresAt ?? 0,
    });
    await ledger.budget.attach(claim.reservation.id, order.orderId);
    expect(await steps.check(order, signal)).toBeNull();
    await ledger.budget.resize(claim.reservation.id, order.amount + method.orderPolicy.feeAllowance);
    return { order, reservationId: claim.reservation.id, steps };
  };

  /** Records the attempt's intent, as the payer's recording step does before any money moves. */
  const record = async (p: PluginOnWorld, order: StoreOrder, attempt: PaymentAttempt): Promise<void> => {
    await ledger.recordIntent({
      idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, method: p.method.id, currency: order.currency,
      amount: order.amount, destination: order.destination, payload: { ...attempt.payload },
    });
  };

  /** Brings the intent to where the crashed run left it, as its send and confirm steps would have. */
  const leave = async (attempt: PaymentAttempt, order: StoreOrder, reservationId: number, at: LeftAt): Promise<void> => {
    if (at === 'recorded') return;
    await ledger.intents.setState(attempt.idempotencyKey, 'sent');
    if (at === 'unknown') {
      await ledger.settle({ idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, reservationId, outcome: 'unknown', reason: 'not confirmed before the run ended' });
    }
  };

  /** One payment of `method` left open at `at`; `send` says whether the money was sent before the run died. */
  const crashed = async (method: Method, at: LeftAt, send: boolean, extra: Record<string, unknown> = {}): Promise<LeftOpen> => {
    const signal = AbortSignal.timeout(30_000);
    const p = await firstRun(method, extra);
    const { order, reservationId, steps } = await ordered(p, signal);
    const attempt = await steps.prepare(order, signal);
    await record(p, order, attempt);
    if (send) await attempt.send(signal);
    await leave(attempt, order, reservationId, at);
    // The process died here: no confirmation, nothing else.
    attempt.dispose();
    await p.close();
    return { order, key: attempt.idempotencyKey, reservationId, method };
  };

  /** The ledger's view of one payment: intent, order, reservation, and the target's packs. */
  const inLedger = async (left: LeftOpen) => ({
    intent: (await ledger.intents.get(left.key))?.state,
    order: (await ledger.orders.get(left.order.orderId))?.state,
    reservation: (await ledger.budget.get(left.reservationId))?.state,
    packs: await ledger.claims.tally(TARGET.key),
  });

  const reconcile = (plugins: readonly PaymentMethod[], limitMs?: number): Promise<Reconciled[]> =>
    reconcileOpenIntents(ledger, plugins, log, new AbortController().signal, limitMs);

  /** Transfers the chain carried for this TON order (comment = order id), and payments the store accepted. */
  const tonPayments = (orderId: string): { chain: number; store: number } => ({
    chain: world.chain.transfersTo(world.storeWallet.toString()).filter((t) => t.comment === orderId).length,
    store: world.store.orders().find((o) => o.id === orderId)?.payments.filter((p) => p.verdict === 'paid').length ?? 0,
  });
  /** Stars Telegram took for this invoice, and payments the store accepted for it. */
  const starsPayments = (slug: string): { telegram: number; store: number } => ({
    telegram: world.telegram.payments().filter((p) => p.slug === slug).length,
    store: world.store.orders().find((o) => o.currency === 'XTR' && o.invoiceSlug === slug)?.payments.filter((p) => p.verdict === 'paid').length ?? 0,
  });

  describe('the chain or Telegram says paid', () => {
    it('settles a TON transfer broadcast on chain before the run died, left unknown, as paid: reservation consumed at amount + fee, pack paid', async () => {
      const left = await crashed('ton', 'unknown', true);
      expect(await inLedger(left)).toEqual({ intent: 'unknown', order: 'unknown', reservation: 'held', packs: { paid: 0, held: 1 } });
      const { payments } = await restart();
      const [r] = await reconcile(payments);
      expect(r).toMatchObject({ idempotencyKey: left.key, orderId: left.order.orderId, method: 'ton', outcome: 'paid' });
      expect(await inLedger(left)).toEqual({ intent: 'confirmed', order: 'paid', reservation: 'consumed', packs: { paid: 1, held: 0 } });
      const intent = (await ledger.intents.get(left.key))!;
      expect(intent.fee).toBeGreaterThan(0n);
      expect((await ledger.budget.get(left.reservationId))!.amount).toBe(left.order.amount + intent.fee!);
      expect(await ledger.budget.spent('TON')).toBe(left.order.amount + intent.fee!);
      // The transfer the crashed run sent, once.
      expect(tonPayments(left.order.orderId)).toEqual({ chain: 1, store: 1 });
    });

    it('settles a TON transfer recorded but never sent (died before sending) by sending the same signed message: paid once', async () => {
      const left = await crashed('ton', 'recorded', false);
      expect(await inLedger(left)).toMatchObject({ intent: 'recorded', order: 'paying', reservation: 'held' });
      expect(tonPayments(left.order.orderId).chain).toBe(0);
      const { payments } = await restart();
      const [r] = await reconcile(payments);
      expect(r).toMatchObject({ orderId: left.order.orderId, outcome: 'paid' });
      expect(await inLedger(left)).toEqual({ intent: 'confirmed', order: 'paid', reservation: 'consumed', packs: { paid: 1, held: 0 } });
      expect(tonPayments(left.order.orderId)).toEqual({ chain: 1, store: 1 });
    });

    it('settles a Stars payment Telegram took before the run died, left unknown, as paid, without paying again', async () => {
      const left = await crashed('stars', 'unknown', true);
      expect(starsPayments(left.order.orderId)).toEqual({ telegram: 1, store: 1 });
      const sendsBefore = world.telegram.stats().requests['payments.SendStarsForm'] ?? 0;
      const { payments } = await restart();
      const [r] = await reconcile(payments);
      expect(r).toMatchObject({ idempotencyKey: left.key, method: 'stars', outcome: 'paid' });
      expect(await inLedger(left)).toEqual({ intent: 'confirmed', order: 'paid', reservation: 'consumed', packs: { paid: 1, held: 0 } });
      expect(await ledger.budget.spent('XTR')).toBe(left.order.amount);
      expect(world.telegram.stats().requests['payments.SendStarsForm']).toBe(sendsBefore);
      expect(starsPayments(left.order.orderId)).toEqual({ telegram: 1, store: 1 });
      expect(world.telegram.starsOf(starsBuyer().userId)).toBe(2000n - left.order.amount);
    });

    it('settles a Stars payment sent before the run died (intent sent) as paid', async () => {
      const left = await crashed('stars', 'sent', true);
      const { payments } = await restart();
      expect((await reconcile(payments))[0]).toMatchObject({ outcome: 'paid' });
      expect(await inLedger(left)).toEqual({ intent: 'confirmed', order: 'paid', reservation: 'consumed', packs: { paid: 1, held: 0 } });
      expect(starsPayments(left.order.orderId)).toEqual({ telegram: 1, store: 1 });
    });

    it('settles a Stars payment recorded but never sent (died before sending) by sending the same form: paid once', async () => {
      const left = await crashed('stars', 'recorded', false);
      expect(starsPayments(left.order.orderId).telegram).toBe(0);
      const { payments } = await restart();
      expect((await reconcile(payments))[0]).toMatchObject({ outcome: 'paid' });
      expect(await inLedger(left)).toEqual({ intent: 'confirmed', order: 'paid', reservation: 'consumed', packs: { paid: 1, held: 0 } });
      expect(starsPayments(left.order.orderId)).toEqual({ telegram: 1, store: 1 });
    });
  });

  describe('the chain or Telegram says not paid', () => {
    it('fails a TON transfer never sent whose valid_until has passed on chain: reservation released, pack free', async () => {
      const left = await crashed('ton', 'unknown', false, { validForSec: 10, confirmTimeoutSec: 40 });
      const validUntil = (await ledger.intents.get(left.key))!.payload['validUntil'] as number;
      // The restart comes after the signed message expired on chain (the chain's clock is moved on rather than waited
      // for): it can never execute, and is not sent again.
      world.chain.advanceTime(validUntil + 12 - Math.floor(Date.now() / 1000));
      const { payments } = await restart();
      const [r] = await reconcile(payments);
      expect(r).toMatchObject({ orderId: left.order.orderId, outcome: 'not-paid' });
      expect(r!.reason).toMatch(/expired/);
      expect(await inLedger(left)).toEqual({ intent: 'failed', order: 'failed', reservation: 'released', packs: { paid: 0, held: 0 } });
      expect(await ledger.budget.committed('TON')).toBe(0n);
      expect(tonPayments(left.order.orderId)).toEqual({ chain: 0, store: 0 });
    }, 90_000);

    it('fails a Stars payment never taken whose form Telegram refuses at the restart for a short balance', async () => {
      const left = await crashed('stars', 'unknown', false);
      // The buyer spent the Stars elsewhere meanwhile: the same form sent again is refused, without a reconnect.
      world.telegram.setStars(starsBuyer().userId, 10n);
      const { payments } = await restart();
      const [r] = await reconcile(payments);
      expect(r).toMatchObject({ orderId: left.order.orderId, outcome: 'not-paid' });
      expect(r!.reason).toMatch(/BALANCE_TOO_LOW/);
      expect(await inLedger(left)).toEqual({ intent: 'failed', order: 'failed', reservation: 'released', packs: { paid: 0, held: 0 } });
      expect(starsPayments(left.order.orderId)).toEqual({ telegram: 0, store: 0 });
    });
  });

  describe('the answer is still unknown', () => {
    it('keeps a Stars payment held when Telegram cannot show the history at the restart', async () => {
      const left = await crashed('stars', 'unknown', true);
      // The bot chat cannot be read (a flood wait longer than the plugin waits out): nothing can be looked up.
      world.telegram.injectFloodWait(HISTORY, 3600, 5);
      const { payments } = await restart();
      const [r] = await reconcile(payments);
      expect(r).toMatchObject({ orderId: left.order.orderId, outcome: 'unknown' });
      expect(r!.reason).toMatch(/could not be looked up/);
      // Paid at Telegram, unknown to us: held, never freed to be bought again.
      expect(await inLedger(left)).toEqual({ intent: 'unknown', order: 'unknown', reservation: 'held', packs: { paid: 0, held: 1 } });
      expect(starsPayments(left.order.orderId).telegram).toBe(1);
    });

    it('keeps a Stars payment held when Telegram cannot be reached at the restart', async () => {
      const left = await crashed('stars', 'unknown', true);
      const dead = await deadPort();
      const { payments } = await restart({ stars: { server: { host: '127.0.0.1', port: dead, publicKey: world.telegram.publicKeyPem } } });
      const [r] = await reconcile(payments, 10_000);
      expect(r).toMatchObject({ orderId: left.order.orderId, outcome: 'unknown' });
      expect(r!.reason).toMatch(/connect/);
      expect(await inLedger(left)).toEqual({ intent: 'unknown', order: 'unknown', reservation: 'held', packs: { paid: 0, held: 1 } });
    });

    it('keeps a TON payment held when the chain cannot be reached at the restart, and settles it paid once it can', async () => {
      const left = await crashed('ton', 'sent', true);
      const dead = await deadPort();
      const unreachable = await restart({ ton: { endpoint: `http://127.0.0.1:${dead}/api/v2/jsonRPC` } });
      const [r] = await reconcile(unreachable.payments, 3_000);
      expect(r).toMatchObject({ orderId: left.order.orderId, outcome: 'unknown' });
      expect(await inLedger(left)).toEqual({ intent: 'unknown', order: 'unknown', reservation: 'held', packs: { paid: 0, held: 1 } });
      // The next start, with the chain back, finds the transfer.
      await unreachable.close();
      const { payments } = await restart();
      expect((await reconcile(payments))[0]).toMatchObject({ outcome: 'paid' });
      expect(await inLedger(left)).toEqual({ intent: 'confirmed', order: 'paid', reservation: 'consumed', packs: { paid: 1, held: 0 } });
      expect(tonPayments(left.order.orderId)).toEqual({ chain: 1, store: 1 });
    });
  });

  describe('the method\'s plugin is missing', () => {
    it('leaves a Stars intent unknown and held, reports it, and still settles the TON one', async () => {
      const stars = await crashed('stars', 'unknown', true);
      const ton = await crashed('ton', 'unknown', true);
      const { payments } = await restart({ methods: ['ton'] });
      const results = await reconcile(payments);
      expect(results).toHaveLength(2);
      expect(results.find((r) => r.method === 'stars')).toEqual({ idempotencyKey: stars.key, orderId: stars.order.orderId, method: 'stars', outcome: 'no-plugin' });
      expect(results.find((r) => r.method === 'ton')).toMatchObject({ outcome: 'paid' });
      expect(await inLedger(stars)).toMatchObject({ intent: 'unknown', order: 'unknown', reservation: 'held' });
      expect(await ledger.claims.tally(TARGET.key)).toEqual({ paid: 1, held: 1 });
      expect(logged.find((l) => l.level === 40 && l.idempotencyKey === stars.key)?.msg).toMatch(/not enabled/);
    });
  });

  describe('the time limit', () => {
    it('is 60 s by default', () => {
      expect(RECONCILE_TIME_LIMIT_MS).toBe(60_000);
    });

    it('returns within a short limit, leaving unknown a TON message it may not send (a batch member has no intent) and a plugin that never answers', async () => {
      // Two orders signed into one message; the run died having recorded only the first, so the message may never be
      // sent (it would pay an order the ledger does not know) and the chain cannot tell before valid_until.
      const p = await firstRun('ton', { batchWindowMs: 1_000, validForSec: 120, confirmTimeoutSec: 150 });
      const signal = AbortSignal.timeout(30_000);
      const a = await ordered(p, signal);
      const b = await ordered(p, signal, a.steps);
      const steps = a.steps;
      const [attemptA, attemptB] = await Promise.all([steps.prepare(a.order, signal), steps.prepare(b.order, signal)]);
      expect((attemptA!.payload as { batch: { size: number } }).batch.size).toBe(2);
      await record(p, a.order, attemptA!);
      await leave(attemptA!, a.order, a.reservationId, 'unknown');
      attemptA!.dispose();
      attemptB!.dispose();
      await p.close();
      const left: LeftOpen = { order: a.order, key: attemptA!.idempotencyKey, reservationId: a.reservationId, method: 'ton' };

      // And a payment of a method whose plugin never answers on its own (it gives up when its signal aborts).
      const silent = silentMethod('silent', true);
      const other = await leftOpenFor(silent.method);
      const { payments } = await restart();
      const started = Date.now();
      const results = await reconcile([...payments, silent.method], 2_000);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(1_900);
      expect(took).toBeLessThan(6_000);
      expect(silent.asked()).toBe(1);
      expect(results.find((r) => r.orderId === a.order.orderId)).toMatchObject({ outcome: 'unknown' });
      expect(results.find((r) => r.orderId === other.order.orderId)).toMatchObject({ outcome: 'unknown' });
      // Held: this order, the silent method's, and the second order of the batch (which the start's sweep frees next).
      expect(await inLedger(left)).toEqual({ intent: 'unknown', order: 'unknown', reservation: 'held', packs: { paid: 0, held: 3 } });
      expect(await inLedger(other)).toMatchObject({ intent: 'unknown', order: 'unknown', reservation: 'held' });
      expect(tonPayments(a.order.orderId).chain).toBe(0);
    }, 90_000);

    // The limit does not rely on the plugin honouring its signal: reconcileOpenIntents races each call against it.
    it('returns within the limit even when a plugin ignores the signal', async () => {
      const deaf = silentMethod('deaf', false);
      const left = await leftOpenFor(deaf.method);
      const outcome = await Promise.race([
        reconcile([deaf.method], 1_000).then((r) => r),
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 4_000).unref()),
      ]);
      expect(outcome).not.toBe('hung');
      expect(await inLedger(left)).toMatchObject({ intent: 'unknown', reservation: 'held' });
    });
  });

  /** A method whose reconcile never answers; with `honorsSignal` it rejects when its signal aborts, as a plugin must. */
  function silentMethod(id: string, honorsSignal: boolean): { method: PaymentMethod; asked: () => number } {
    let asked = 0;
    const method = {
      id, currency: 'TON', orderPolicy: { toleranceBps: 0, expiryMarginMs: 0, feeAllowance: 0n },
      reconcile: (_intent: unknown, signal: AbortSignal): Promise<Settlement> => new Promise((_resolve, reject) => {
        asked++;
        if (honorsSignal) signal.addEventListener('abort', () => reject(new Error('reconciliation interrupted')), { once: true });
      }),
      close: async () => undefined,
    };
    return { method: method as unknown as PaymentMethod, asked: () => asked };
  }

  /** An intent of `method` left unknown in the ledger, with its order and one pack's money held (no world behind it). */
  async function leftOpenFor(method: PaymentMethod): Promise<LeftOpen> {
    const account = tonBuyer().name;
    const purchaseId = `purchase:${TARGET.key}:${account}`;
    await ledger.purchases.ensure({ id: purchaseId, collection: 1, character: 1, account, packsWanted: WANTED });
    const amount = 2_500_000_000n;
    const claim = await ledger.claims.claim({
      currency: 'TON', account, target: TARGET.key, method: method.id, packs: 1, wanted: WANTED, amountFor: () => amount, limits: { total: BUDGET.TON },
    });
    if (!claim.ok) throw new Error(`claim refused: ${claim.reason}`);
    const orderId = `${method.id}-order`;
    await ledger.orders.insert({ orderId, purchaseId, method: method.id, account, collection: 1, character: 1, count: 1, currency: 'TON', amount, destination: 'nowhere', expiresAt: 0 });
    await ledger.budget.attach(claim.reservation.id, orderId);
    const key = `${method.id}:${orderId}`;
    await ledger.recordIntent({ idempotencyKey: key, orderId, method: method.id, currency: 'TON', amount, destination: 'nowhere', payload: {} });
    await ledger.settle({ idempotencyKey: key, orderId, reservationId: claim.reservation.id, outcome: 'unknown', reason: 'left by a crash' });
    const order: StoreOrder = { orderId, count: 1, currency: 'TON', amount, destination: 'nowhere', expiresAt: null };
    return { order, key, reservationId: claim.reservation.id, method: 'ton' };
  }

  /** A free local port nothing listens on. */
  async function deadPort(): Promise<number> {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

});
