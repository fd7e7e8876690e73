/** Stars payments whose answer is lost or comes back through a reconnect, against the simulated world over real
 *  sockets (the store over HTTP, Telegram over MTProto through the unchanged GramJS client). Whatever the answer, each
 *  invoice is paid exactly once and never given up as "not paid" while Telegram may still act on it:
 *  - an answer lost before Telegram did the work (the payment is not in the history right after sending) stays
 *    `unknown` and is found paid later, never `not-paid` (which would let the payer buy again blindly);
 *  - GramJS re-sends a request left unanswered by a dropped connection, so after a reconnect the answer may be the
 *    repeat's: taken (paid), refused (the first transmission may have paid: looked up), or lost (unknown until found,
 *    finished by sending the same form again, which can pay at most once). */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenIntent, PaymentAttempt, Settlement, StoreOrder, TargetSpec } from '../../../core/plugins/payment.js';
import { RESEND_WINDOW_MS } from '../../../plugins/stars/stars-payment.js';
import { TelegramRpcFailed, TelegramUnavailable } from '../../../plugins/stars/telegram-error.js';
import { DEMO_SCENARIO } from '../../../sim/scenarios.js';
import { startWorld, type World, type WorldBuyer } from '../../../sim/world.js';
import { onSaleNow } from '../../support/on-sale-now.js';
import { pluginOnWorld, type PluginOnWorld } from '../../support/world-plugin.js';

/** Blue Cat of the demo drop: 250 Stars a pack. */
const TARGET: TargetSpec = { key: '1:1', collection: 1, character: 1 };
const PRICE = 250n;
const FUNDS = 2000n;
/** How long the plugin waits for an answer: short, so a lost one is given up on quickly. */
const CONNECT_TIMEOUT_SEC = 2;
const SEND = 'payments.SendStarsForm';
/** How late Telegram acts on a delayed call: well after the plugin gave up on its answer and looked the payment up. */
const LATE_MS = CONNECT_TIMEOUT_SEC * 1000 + 4_000;

describe('stars payments whose answer is lost', () => {
  let world: World;
  let buyer: WorldBuyer;
  let opened: PluginOnWorld[] = [];
  let controller: AbortController;

  // A world per case: each case leaves unpaid orders and faults behind.
  beforeEach(async () => {
    controller = new AbortController();
    world = await startWorld({ scenario: onSaleNow(DEMO_SCENARIO), blockIntervalMs: 200 });
    buyer = world.buyers[1]!;
    expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS);
  });
  afterEach(async () => {
    controller.abort();
    for (const p of opened) await p.close();
    opened = [];
    await world?.close();
  });

  /** The plugin loaded as a run loads it; a second call is a restarted process with its own connection. */
  const stars = async (): Promise<PluginOnWorld> => {
    const p = await pluginOnWorld(world, 'stars', buyer, { connectTimeoutSec: CONNECT_TIMEOUT_SEC });
    opened.push(p);
    return p;
  };

  /** Closes a plugin before the case ends (a process that died). */
  const closePlugin = async (p: PluginOnWorld): Promise<void> => {
    opened = opened.filter((o) => o !== p);
    await p.close();
  };

  /** An order for one pack, checked and prepared as the host does up to recording its intent. */
  const prepared = async (p: PluginOnWorld): Promise<{ order: StoreOrder; attempt: PaymentAttempt }> => {
    const signal = controller.signal;
    await p.method.prepare(p.account, signal);
    const steps = p.method.steps(p.account);
    await steps.quote(TARGET, signal);
    const order = await steps.createOrder(TARGET, 1, { signal, onSent: () => undefined });
    expect(order.amount).toBe(PRICE);
    expect(await steps.check(order, signal)).toBeNull();
    return { order, attempt: await steps.prepare(order, signal) };
  };

  /** What the host's confirm step sees: send's failure is not an outcome, confirm decides. */
  const sendAndConfirm = async (attempt: PaymentAttempt): Promise<{ sendError: unknown; settled: Settlement }> => {
    const sendError = await attempt.send(controller.signal).then(() => undefined, (e: unknown) => e);
    const settled = await attempt.confirm(controller.signal);
    attempt.dispose();
    return { sendError, settled };
  };

  /** The intent as the ledger keeps it, for reconciliation at the next start. */
  const intentOf = (order: StoreOrder, attempt: PaymentAttempt): OpenIntent => ({
    idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, amount: order.amount, destination: order.destination, payload: { ...attempt.payload },
  });

  /** Stars Telegram took for this invoice (the world's own record). */
  const taken = (slug: string): number => world.telegram.payments().filter((p) => p.slug === slug).length;
  /** Payments the store accepted for the Stars order behind this invoice. */
  const storePaid = (slug: string): number => {
    const order = world.store.orders().find((o) => o.currency === 'XTR' && o.invoiceSlug === slug);
    return order ? order.payments.filter((p) => p.verdict === 'paid').length : 0;
  };
  const sends = (): number => world.telegram.stats().requests[SEND] ?? 0;

  /** Paid exactly once, as Telegram, the store and the balance see it. */
  const paidOnce = (slug: string): void => {
    expect(taken(slug)).toBe(1);
    expect(storePaid(slug)).toBe(1);
    expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS - PRICE);
  };

  /** Waits until Telegram has taken the Stars for `slug` (a request it carries out after the client gave up). */
  const untilTaken = async (slug: string, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (taken(slug) === 0 && Date.now() < deadline) await sleep(50);
  };

  describe('lost before Telegram did the work', () => {
    it('stays unknown when the payment is not in the history right after sending, and is found paid once later', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      // Telegram acts on the call only after the plugin has given up on its answer (and looked the payment up).
      world.telegram.injectDelay(SEND, LATE_MS);
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect(sendError).toBeInstanceOf(TelegramUnavailable);
      expect((sendError as TelegramUnavailable).maybeApplied).toBe(true);
      // Nothing is taken yet, and nothing proves nothing will be: not `not-paid`, which would let the payer buy again.
      expect(taken(order.orderId)).toBe(0);
      expect(settled.outcome).toBe('unknown');
      expect((settled as { reason: string }).reason).toMatch(new RegExp(`no payment of invoice ${order.orderId} found yet`));

      await untilTaken(order.orderId, 15_000);
      expect(taken(order.orderId)).toBe(1);
      // The next start settles it by the slug, without paying again.
      const sendsBefore = sends();
      const restarted = await stars();
      const reconciled = await restarted.method.reconcile(intentOf(order, attempt), controller.signal);
      expect(reconciled).toMatchObject({ outcome: 'paid', fee: 0n });
      expect(sends()).toBe(sendsBefore);
      paidOnce(order.orderId);
    });
  });

  describe('a reconnect during sendStarsForm', () => {
    it('taken: the repeat GramJS sends after the reconnect pays, and the payment is paid once', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      const before = sends();
      world.telegram.injectDisconnect(SEND, { afterWork: false });
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect(sendError).toBeUndefined();
      // Two transmissions of the one call: the first hung up on, the repeat answered.
      expect(sends()).toBe(before + 2);
      expect(settled.outcome).toBe('paid');
      expect((settled as { txHash: string }).txHash).toMatch(/^stars:msg:\d+$/);
      paidOnce(order.orderId);
    });

    it('taken, then the repeat refused as a used form: looked up and paid once (the send error is FORM_ID_EXPIRED)', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      world.telegram.injectDisconnect(SEND, { afterWork: true });
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect(sendError).toBeInstanceOf(TelegramRpcFailed);
      expect((sendError as TelegramRpcFailed).errorMessage).toBe('FORM_ID_EXPIRED');
      expect(settled.outcome).toBe('paid');
      paidOnce(order.orderId);
    });

    it('refused after the reconnect although the first transmission paid: looked up, paid once, not trusted as nothing taken', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      // Telegram takes the stars and the answer is lost; the repeat is refused as if the balance were short.
      world.telegram.injectDisconnect(SEND, { afterWork: true });
      world.telegram.injectRpcError(SEND, 400, 'BALANCE_TOO_LOW');
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect(sendError).toBeInstanceOf(TelegramRpcFailed);
      expect((sendError as TelegramRpcFailed).errorMessage).toBe('BALANCE_TOO_LOW');
      expect(taken(order.orderId)).toBe(1);
      expect(settled.outcome).toBe('paid');
      paidOnce(order.orderId);
    });

    it('a flood wait after the reconnect although the first transmission paid: looked up, paid once, not trusted as nothing taken', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      world.telegram.injectDisconnect(SEND, { afterWork: true });
      world.telegram.injectFloodWait(SEND, 1);
      const { settled } = await sendAndConfirm(attempt);
      expect(world.telegram.stats().faults.floodWaits).toBe(1);
      expect(settled.outcome).toBe('paid');
      paidOnce(order.orderId);
    });

    it('refused after the reconnect with nothing taken: unknown, not not-paid, and the same form later pays once', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      // The first transmission is hung up on before Telegram acts; the repeat is refused.
      world.telegram.injectDisconnect(SEND, { afterWork: false });
      world.telegram.injectRpcError(SEND, 400, 'BALANCE_TOO_LOW');
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect((sendError as TelegramRpcFailed).errorMessage).toBe('BALANCE_TOO_LOW');
      expect(taken(order.orderId)).toBe(0);
      // The refusal answered a repeat; the client cannot tell what the first transmission did.
      expect(settled.outcome).toBe('unknown');
      const restarted = await stars();
      const reconciled = await restarted.method.reconcile(intentOf(order, attempt), controller.signal);
      expect(reconciled.outcome).toBe('paid');
      paidOnce(order.orderId);
      // Reconciled again (a second start): found, not paid again.
      expect((await restarted.method.reconcile(intentOf(order, attempt), controller.signal)).outcome).toBe('paid');
      paidOnce(order.orderId);
    });

    it('lost after the reconnect before Telegram acted: unknown, not not-paid, and found paid once when Telegram does act', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      // The first transmission is hung up on before Telegram acts; the repeat is carried out after the plugin gave up.
      world.telegram.injectDisconnect(SEND, { afterWork: false });
      world.telegram.injectDelay(SEND, LATE_MS);
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect(sendError).toBeInstanceOf(TelegramUnavailable);
      expect(taken(order.orderId)).toBe(0);
      expect(settled.outcome).toBe('unknown');
      await untilTaken(order.orderId, 15_000);
      const sendsBefore = sends();
      const restarted = await stars();
      expect((await restarted.method.reconcile(intentOf(order, attempt), controller.signal)).outcome).toBe('paid');
      expect(sends()).toBe(sendsBefore);
      paidOnce(order.orderId);
    });

    it('lost after the reconnect once Telegram took the stars: found by the slug and paid once', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      // The first transmission pays and is hung up on; the repeat is answered only after the plugin gave up.
      world.telegram.injectDisconnect(SEND, { afterWork: true });
      world.telegram.injectDelay(SEND, LATE_MS);
      const { sendError, settled } = await sendAndConfirm(attempt);
      expect(sendError).toBeInstanceOf(TelegramUnavailable);
      expect(settled.outcome).toBe('paid');
      paidOnce(order.orderId);
    });
  });

  describe('reconciliation sending the form again', () => {
    it('keeps unknown a payment whose re-sent form is lost after a reconnect, and finds it paid once later', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      // The process died after recording the intent, before sending.
      attempt.dispose();
      await closePlugin(p);
      const restarted = await stars();
      world.telegram.injectDisconnect(SEND, { afterWork: false });
      world.telegram.injectDelay(SEND, LATE_MS);
      const first = await restarted.method.reconcile(intentOf(order, attempt), controller.signal);
      expect(taken(order.orderId)).toBe(0);
      expect(first.outcome).toBe('unknown');
      await untilTaken(order.orderId, 15_000);
      expect((await restarted.method.reconcile(intentOf(order, attempt), controller.signal)).outcome).toBe('paid');
      paidOnce(order.orderId);
    });

    it('never sends a form prepared longer ago than the resend window: not paid, nothing sent, nothing taken', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      attempt.dispose();
      await closePlugin(p);
      // The intent of a run that died before sending, six minutes ago.
      const intent = intentOf(order, attempt);
      const old = { ...intent, payload: { ...intent.payload, preparedAt: Date.now() - RESEND_WINDOW_MS - 60_000 } };
      const sendsBefore = sends();
      const restarted = await stars();
      const settled = await restarted.method.reconcile(old, controller.signal);
      expect(settled.outcome).toBe('not-paid');
      expect((settled as { reason: string }).reason).toMatch(/too old to send again/);
      expect(sends()).toBe(sendsBefore);
      expect(taken(order.orderId)).toBe(0);
    });

    it('fails a re-sent form Telegram itself answers as used, with no payment in the history: not paid, nothing taken', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      attempt.dispose();
      await closePlugin(p);
      const restarted = await stars();
      // Telegram's own answer on a connection that never dropped: this transmission did nothing.
      world.telegram.injectRpcError(SEND, 400, 'FORM_ID_EXPIRED');
      const settled = await restarted.method.reconcile(intentOf(order, attempt), controller.signal);
      expect(settled.outcome).toBe('not-paid');
      expect((settled as { reason: string }).reason).toMatch(/FORM_ID_EXPIRED/);
      expect(taken(order.orderId)).toBe(0);
      expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS);
    });

    it('keeps unknown a re-sent form whose answer is lost without a reconnect, and finds it paid once when Telegram acts', async () => {
      const p = await stars();
      const { order, attempt } = await prepared(p);
      attempt.dispose();
      await closePlugin(p);
      const restarted = await stars();
      // Telegram carries the re-sent form out only after the plugin gave up waiting: the connection never dropped.
      world.telegram.injectDelay(SEND, LATE_MS);
      const first = await restarted.method.reconcile(intentOf(order, attempt), controller.signal);
      expect(taken(order.orderId)).toBe(0);
      expect(first.outcome).toBe('unknown');
      await untilTaken(order.orderId, 15_000);
      expect((await restarted.method.reconcile(intentOf(order, attempt), controller.signal)).outcome).toBe('paid');
      paidOnce(order.orderId);
    });
  });
});
