/** The Stars payment method against the simulated world over real sockets (the store over HTTP, Telegram over MTProto
 *  through the unchanged GramJS client): a hostile store's twisted invoices are refused before any star moves, a short
 *  balance is refused with its figures, Telegram's flood waits, lost answers and verification demands end in exactly
 *  one payment or none, a missing setup says what to do, and the initData it fetches logs in to the store. */
import { rm } from 'node:fs/promises';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Units } from '../../../core/money.js';
import { OrderRefused, verifyOrder } from '../../../core/actors/order-verification.js';
import type { PaymentMethod, PaymentSteps, StoreOrder, TargetSpec } from '../../../core/plugins/payment.js';
import type { WebAppLogin } from '../../../core/plugins/web-app-login.js';
import { sessionPath } from '../../../plugins/stars/session-file.js';
import { TelegramNotConfigured, TelegramSessionMissing } from '../../../plugins/stars/telegram-error.js';
import { DEMO_SCENARIO, scenarioByName } from '../../../sim/scenarios.js';
import { startWorld, type World, type WorldBuyer } from '../../../sim/world.js';
import { onSaleNow } from '../../support/on-sale-now.js';
import { pluginOnWorld, type PluginOnWorld } from '../../support/world-plugin.js';

/** Blue Cat of the demo drop: 250 Stars a pack. */
const TARGET: TargetSpec = { key: '1:1', collection: 1, character: 1 };
const PRICE = 250n;
const FUNDS = 2000n;
/** Short enough that a call whose answer was lost is given up on quickly; long enough for a slow machine. */
const CONNECT_TIMEOUT_SEC = 5;

/** What the host checks before paying (payer-steps' verify step), with the method's own order policy. */
function hostVerify(method: PaymentMethod, order: StoreOrder, count: number, quote: Units): void {
  if (order.refusal !== undefined) throw new OrderRefused('METHOD_REFUSED', order.refusal, { orderId: order.orderId });
  verifyOrder(order, {
    count, quotePerPack: quote, toleranceBps: method.orderPolicy.toleranceBps, maxPricePerPack: null,
    budgetHeld: order.amount, expiryMarginMs: method.orderPolicy.expiryMarginMs, now: Date.now(),
  });
}

/** The Stars method also logs accounts in to the store (one instance serves both roles). */
function asWebAppLogin(method: PaymentMethod): WebAppLogin {
  if (!('initData' in method) || !('unavailableFor' in method)) throw new Error(`${method.id} is not a web-app login`);
  return method as PaymentMethod & WebAppLogin;
}

/** Stars Telegram took for this invoice (the world's own record, not the plugin's). */
function starsTakenFor(world: World, slug: string): number {
  return world.telegram.payments().filter((p) => p.slug === slug).length;
}

/** Payments the store accepted for the Stars order behind this invoice. */
function storePaymentsFor(world: World, slug: string): number {
  const order = world.store.orders().find((o) => o.currency === 'XTR' && o.invoiceSlug === slug);
  return order ? order.payments.filter((p) => p.verdict === 'paid').length : 0;
}

/** Stars orders the store took from this buyer (each buy takes one, whatever its answer looks like). */
function storeStarsOrdersOf(world: World, buyer: WorldBuyer): number {
  return world.store.orders().filter((o) => o.currency === 'XTR' && o.userId === buyer.userId).length;
}

describe('stars payment method on the simulated world', () => {
  let world: World;
  let buyer: WorldBuyer;
  let opened: PluginOnWorld[] = [];
  let controller: AbortController;

  // A world per case: the store caps each buyer's unpaid orders, and every case leaves some.
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

  /** The plugin loaded as a run loads it, on `on`'s world, for `who`. */
  const stars = async (extra: Record<string, unknown> = {}, on: World = world, who: WorldBuyer = buyer): Promise<PluginOnWorld> => {
    const p = await pluginOnWorld(on, 'stars', who, { connectTimeoutSec: CONNECT_TIMEOUT_SEC, ...extra });
    opened.push(p);
    return p;
  };

  /** A prepared method, its steps, and an order for one pack with the quote it is checked against. */
  const order = async (p: PluginOnWorld): Promise<{ steps: PaymentSteps; order: StoreOrder; quote: Units }> => {
    const signal = controller.signal;
    await p.method.prepare(p.account, signal);
    const steps = p.method.steps(p.account);
    const quote = await steps.quote(TARGET, signal);
    return { steps, quote, order: await steps.createOrder(TARGET, 1, { signal, onSent: () => undefined }) };
  };

  describe('a hostile store', () => {
    it('refuses an order whose invoice link has no slug, and nothing can pay it', async () => {
      const p = await stars();
      world.store.setFaults({ starsLinkWithoutSlug: { burst: 1 } });
      const before = world.telegram.payments().length;
      const { steps, order: o } = await order(p);
      expect(storeStarsOrdersOf(world, buyer)).toBeGreaterThan(0);
      expect(o.refusal).toMatch(/no slug/);
      expect(o.amount).toBe(0n);
      expect(() => hostVerify(p.method, o, 1, PRICE)).toThrow(OrderRefused);
      // Even a host that ignored the refusal finds no form to pay with.
      expect(await steps.check(o, controller.signal)).toMatch(/no payment form/);
      await expect(steps.prepare(o, controller.signal)).rejects.toThrow(/no payment form/);
      expect(world.telegram.payments().length).toBe(before);
      expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS);
    });

    it('names each slug-less order on its own, so a second one is not mistaken for the first', async () => {
      const p = await stars();
      world.store.setFaults({ starsLinkWithoutSlug: { burst: 2 } });
      const { steps, order: first } = await order(p);
      const second = await steps.createOrder(TARGET, 1, { signal: controller.signal, onSent: () => undefined });
      expect([first.refusal, second.refusal]).toEqual([expect.stringMatching(/no slug/), expect.stringMatching(/no slug/)]);
      // Two store orders, two ledger rows: the ledger's order id is a primary key.
      expect(second.orderId).not.toBe(first.orderId);
    });

    it('refuses an invoice in another currency, and nothing can pay it', async () => {
      const p = await stars();
      world.store.setFaults({ starsForeignCurrency: { burst: 1 } });
      const { steps, order: o } = await order(p);
      expect(o.refusal).toMatch(/USD.*not Stars \(XTR\)/);
      expect(() => hostVerify(p.method, o, 1, PRICE)).toThrow(/not Stars/);
      await expect(steps.prepare(o, controller.signal)).rejects.toThrow(/no payment form/);
      expect(starsTakenFor(world, o.orderId)).toBe(0);
      expect(storePaymentsFor(world, o.orderId)).toBe(0);
      expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS);
    });

    it('hands the host an over-priced invoice as it is, and the host refuses it as above the quote', async () => {
      const p = await stars();
      world.store.setFaults({ starsOverprice: { burst: 1 } });
      const { order: o, quote } = await order(p);
      expect(quote).toBe(PRICE);
      // The plugin reports the invoice's real amount; judging it against the quote is the host's job.
      expect(o.refusal).toBeUndefined();
      expect(o.amount).toBe(PRICE * 2n);
      let refusal: unknown;
      try {
        hostVerify(p.method, o, 1, quote);
      } catch (e) {
        refusal = e;
      }
      expect(refusal).toBeInstanceOf(OrderRefused);
      expect((refusal as OrderRefused).reason).toBe('AMOUNT_ABOVE_QUOTE');
      expect(starsTakenFor(world, o.orderId)).toBe(0);
      expect(storePaymentsFor(world, o.orderId)).toBe(0);
    });

    it('pays an invoice whose link comes as invoice_url instead of url, once', async () => {
      const p = await stars();
      world.store.setFaults({ starsWrongLinkField: { burst: 1 } });
      const { steps, order: o, quote } = await order(p);
      expect(world.store.faultState().injected.starsWrongLinkField).toBe(1);
      hostVerify(p.method, o, 1, quote);
      expect(await steps.check(o, controller.signal)).toBeNull();
      const attempt = await steps.prepare(o, controller.signal);
      await attempt.send(controller.signal);
      expect((await attempt.confirm(controller.signal)).outcome).toBe('paid');
      attempt.dispose();
      expect(storePaymentsFor(world, o.orderId)).toBe(1);
      expect(starsTakenFor(world, o.orderId)).toBe(1);
      expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS - PRICE);
    });
  });

  describe('the Stars balance', () => {
    it('refuses an order the balance cannot cover, saying the balance and what the invoice needs', async () => {
      const p = await stars();
      world.telegram.setStars(buyer.userId, 100n);
      const { steps, order: o, quote } = await order(p);
      hostVerify(p.method, o, 1, quote);
      const refusal = await steps.check(o, controller.signal);
      expect(refusal).toMatch(/balance 100 is below 250/);
      expect(refusal).toMatch(/invoice 250/);
      expect(starsTakenFor(world, o.orderId)).toBe(0);
      expect(world.telegram.starsOf(buyer.userId)).toBe(100n);
    });

    it('counts the configured reserve as not spendable', async () => {
      const p = await stars({ starsReserve: '1800' });
      const { steps, order: o } = await order(p);
      expect(await steps.check(o, controller.signal)).toMatch(/balance 2000 is below 2050 \(invoice 250 \+ reserve 1800\)/);
      expect(await p.method.capacity(p.account, controller.signal)).toBe(200n);
    });
  });

  describe('Telegram', () => {
    it('waits out a 1 s FLOOD_WAIT on sendStarsForm and pays once', async () => {
      const p = await stars();
      const { steps, order: o } = await order(p);
      expect(await steps.check(o, controller.signal)).toBeNull();
      const attempt = await steps.prepare(o, controller.signal);
      const sendsBefore = world.telegram.stats().requests['payments.SendStarsForm'] ?? 0;
      const waitsBefore = world.telegram.stats().faults.floodWaits;
      world.telegram.injectFloodWait('payments.SendStarsForm', 1);
      await attempt.send(controller.signal);
      expect((await attempt.confirm(controller.signal)).outcome).toBe('paid');
      attempt.dispose();
      // One refused with the flood wait, one that paid.
      expect(world.telegram.stats().faults.floodWaits).toBe(waitsBefore + 1);
      expect(world.telegram.stats().requests['payments.SendStarsForm']).toBe(sendsBefore + 2);
      expect(starsTakenFor(world, o.orderId)).toBe(1);
      expect(storePaymentsFor(world, o.orderId)).toBe(1);
    });

    it('settles as paid, once, a payment whose answer was lost after Telegram took the stars', async () => {
      const p = await stars();
      const { steps, order: o } = await order(p);
      expect(await steps.check(o, controller.signal)).toBeNull();
      const attempt = await steps.prepare(o, controller.signal);
      world.telegram.injectDisconnect('payments.SendStarsForm', { afterWork: true });
      // The payer treats a failed send as "outcome unknown": confirm decides.
      await attempt.send(controller.signal).catch(() => undefined);
      expect(world.telegram.stats().faults.disconnects).toBeGreaterThan(0);
      const settled = await attempt.confirm(controller.signal);
      attempt.dispose();
      expect(settled.outcome).toBe('paid');
      expect(starsTakenFor(world, o.orderId)).toBe(1);
      expect(storePaymentsFor(world, o.orderId)).toBe(1);
      expect(world.telegram.starsOf(buyer.userId)).toBe(FUNDS - PRICE);
    });

    it('ends a payment Telegram wants verified in an app as finally not paid, with nothing taken', async () => {
      const verifying = await startWorld({ scenario: onSaleNow(scenarioByName('stars-verification')), blockIntervalMs: 200 });
      try {
        const who = verifying.buyers[1]!;
        const p = await stars({}, verifying, who);
        const before = verifying.telegram.starsOf(who.userId);
        await p.method.prepare(p.account, controller.signal);
        const steps = p.method.steps(p.account);
        const quote = await steps.quote(TARGET, controller.signal);
        const o = await steps.createOrder(TARGET, 1, { signal: controller.signal, onSent: () => undefined });
        hostVerify(p.method, o, 1, quote);
        expect(await steps.check(o, controller.signal)).toBeNull();
        const attempt = await steps.prepare(o, controller.signal);
        await attempt.send(controller.signal);
        const settled = await attempt.confirm(controller.signal);
        attempt.dispose();
        expect(settled).toMatchObject({ outcome: 'not-paid', final: true });
        expect((settled as { reason: string }).reason).toMatch(/verify .* in a Telegram app/);
        expect(verifying.telegram.payments()).toEqual([]);
        expect(verifying.telegram.starsOf(who.userId)).toBe(before);
        expect(storePaymentsFor(verifying, o.orderId)).toBe(0);
      } finally {
        for (const p of opened) await p.close();
        opened = [];
        await verifying.close();
      }
    });
  });

  describe('setup', () => {
    it('fails to arm an account without a session file with TelegramSessionMissing naming the login command', async () => {
      const p = await stars();
      await rm(sessionPath(p.dataDir, buyer.name));
      const failure = await p.method.prepare(p.account, controller.signal).then(() => null, (e: unknown) => e);
      expect(failure).toBeInstanceOf(TelegramSessionMissing);
      expect((failure as Error).message).toContain(`automint login --account ${buyer.name}`);
      expect(await asWebAppLogin(p.method).unavailableFor(buyer.name)).toContain(`automint login --account ${buyer.name}`);
    });

    it('says which setting is missing when the Telegram application is not configured', async () => {
      const p = await stars({ apiId: undefined, apiHash: undefined });
      const blocker = await asWebAppLogin(p.method).unavailableFor(buyer.name);
      expect(blocker).toContain('plugins.stars.apiId');
      expect(blocker).toContain('plugins.stars.apiHash');
      expect(blocker).toContain('my.telegram.org');
      await expect(p.method.prepare(p.account, controller.signal)).rejects.toBeInstanceOf(TelegramNotConfigured);
    });

    it('says nothing is missing for an account with a session and a configured application', async () => {
      const p = await stars();
      const login = asWebAppLogin(p.method);
      expect(await login.unavailableFor(buyer.name)).toBeNull();
      expect(await login.unavailableFor('carol')).toContain('automint login --account carol');
    });

    it('fetches initData the store accepts at POST /api/v1/auth, for a token of this buyer that works', async () => {
      const p = await stars();
      const initData = await asWebAppLogin(p.method).initData(buyer.name, controller.signal);
      const issuedBefore = world.store.stats().auth.issued;
      const answer = await request(`${world.store.url}/api/v1/auth`, { method: 'POST', body: initData, headers: { 'content-type': 'text/plain' } });
      expect(answer.statusCode).toBe(200);
      const body = (await answer.body.json()) as { ok: boolean; data: unknown };
      expect(body.ok).toBe(true);
      const jwt = String(body.data);
      expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]*$/);
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { sub?: unknown };
      expect(claims.sub).toBe(String(buyer.userId));
      expect(world.store.stats().auth.issued).toBe(issuedBefore + 1);
      const settings = await request(`${world.store.url}/api/v1/shop/settings`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(settings.statusCode).toBe(200);
      await settings.body.dump();
    });
  });
});
