/** The contract every payment plugin passes, against the simulated world (hummingbot's connector test suite, for
 *  payment methods): it pays an order; it refuses an over-priced one and one it cannot cover, before any money
 *  moves; sending the same attempt twice pays once; and a payment left without an outcome (sent and never confirmed,
 *  or recorded and never sent) is settled by `reconcile`, paid exactly once. A plugin's test calls
 *  `describePaymentContract` with a harness that builds the method and its account on a running world. */
import { describe, expect, it } from 'vitest';
import type { Units } from '../money.js';
import { OrderRefused, verifyOrder } from '../actors/order-verification.js';
import type { OpenIntent, PaymentAccount, PaymentAttempt, PaymentMethod, PaymentSteps, StoreOrder, TargetSpec } from './payment.js';

/** What the suite needs from a plugin's test. */
export interface ContractHarness {
  readonly method: PaymentMethod;
  /** An account that can pay with the method (store client, wallet or Telegram session). */
  readonly account: PaymentAccount;
  /** A character on sale now, with enough stock for the whole suite. */
  readonly target: TargetSpec;
  /** The world's own count of payments it accepted for this order id (the store's view, not the plugin's). */
  storePayments(orderId: string): Promise<number>;
  /** Makes the store's next order of this method ask more than the quote. */
  overpriceNextOrder(): Promise<void>;
  /** Leaves the account less than one pack's price to pay with (for this method). Called before the method prepares
   *  the account, as when a user arms with an underfunded wallet. */
  drainBalance(): Promise<void>;
  close(): Promise<void>;
}

/** What the host checks before paying, with the method's own order policy. */
function hostVerify(method: PaymentMethod, order: StoreOrder, count: number, quote: Units): void {
  if (order.refusal !== undefined) throw new OrderRefused('METHOD_REFUSED', order.refusal, { orderId: order.orderId });
  verifyOrder(order, {
    count, quotePerPack: quote, toleranceBps: method.orderPolicy.toleranceBps, maxPricePerPack: null,
    budgetHeld: order.amount, expiryMarginMs: method.orderPolicy.expiryMarginMs, now: Date.now(),
  });
}

/** An order the host would pay, checked and prepared. */
async function preparedOrder(h: ContractHarness, steps: PaymentSteps, signal: AbortSignal): Promise<{ order: StoreOrder; attempt: PaymentAttempt }> {
  const quote = await steps.quote(h.target, signal);
  const order = await steps.createOrder(h.target, 1, { signal, onSent: () => undefined });
  hostVerify(h.method, order, 1, quote);
  expect(await steps.check(order, signal)).toBeNull();
  return { order, attempt: await steps.prepare(order, signal) };
}

function intentOf(order: StoreOrder, attempt: PaymentAttempt): OpenIntent {
  // Through JSON, as the ledger keeps it: a payload that does not survive the trip cannot be reconciled after a crash.
  return { idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, amount: order.amount, destination: order.destination, payload: JSON.parse(JSON.stringify(attempt.payload)) as Record<string, unknown> };
}

/** Registers the contract suite for one plugin. `timeoutMs` bounds each case (a TON payment waits for blocks). */
export function describePaymentContract(name: string, harness: () => Promise<ContractHarness>, timeoutMs = 60_000): void {
  describe(`payment plugin contract: ${name}`, () => {
    const withHarness = (
      title: string, body: (h: ContractHarness, steps: PaymentSteps, signal: AbortSignal) => Promise<void>, before?: (h: ContractHarness) => Promise<void>,
    ): void => {
      it(title, async () => {
        const h = await harness();
        const controller = new AbortController();
        try {
          await before?.(h);
          await h.method.prepare(h.account, controller.signal);
          await body(h, h.method.steps(h.account), controller.signal);
        } finally {
          controller.abort();
          await h.close();
        }
      }, timeoutMs);
    };

    withHarness('pays an order, and the store sees exactly one payment', async (h, steps, signal) => {
      const { order, attempt } = await preparedOrder(h, steps, signal);
      await attempt.send(signal);
      const settled = await attempt.confirm(signal);
      attempt.dispose();
      expect(settled.outcome).toBe('paid');
      expect(await h.storePayments(order.orderId)).toBe(1);
    });

    withHarness('refuses an over-priced order before any money moves', async (h, steps, signal) => {
      const quote = await steps.quote(h.target, signal);
      await h.overpriceNextOrder();
      const order = await steps.createOrder(h.target, 1, { signal, onSent: () => undefined });
      // Refused for its price, by the host's check that comes before the method prepares or sends anything.
      expect(order.amount).toBeGreaterThan(quote);
      expect(() => hostVerify(h.method, order, 1, quote)).toThrow(expect.objectContaining({ code: 'AMOUNT_ABOVE_QUOTE', details: expect.objectContaining({ orderId: order.orderId }) }));
    });

    withHarness('refuses an order it cannot cover, before any money moves', async (h, steps, signal) => {
      const quote = await steps.quote(h.target, signal);
      const order = await steps.createOrder(h.target, 1, { signal, onSent: () => undefined });
      hostVerify(h.method, order, 1, quote);
      // Refused by the method's own check, for the balance (every method says which balance is below what), before
      // the host would prepare or send anything.
      const refusal = await steps.check(order, signal);
      expect(refusal).toMatch(/\bbalance \d+(?:\.\d+)?(?: TON)? is below \d/);
    }, (h) => h.drainBalance());

    withHarness('pays once when the same attempt is sent twice', async (h, steps, signal) => {
      const { order, attempt } = await preparedOrder(h, steps, signal);
      await attempt.send(signal);
      // The second send may be refused (a used form, a spent seqno) or accepted and ignored: it must not pay again.
      await attempt.send(signal).catch(() => undefined);
      const settled = await attempt.confirm(signal);
      attempt.dispose();
      expect(settled.outcome).toBe('paid');
      expect(await h.storePayments(order.orderId)).toBe(1);
      // And reconciling the same intent afterwards finds that one payment instead of making another.
      expect((await h.method.reconcile(intentOf(order, attempt), signal)).outcome).toBe('paid');
      expect(await h.storePayments(order.orderId)).toBe(1);
    });

    withHarness('reconciles a payment that was sent but never confirmed', async (h, steps, signal) => {
      const { order, attempt } = await preparedOrder(h, steps, signal);
      await attempt.send(signal);
      attempt.dispose(); // the process "died" here: no confirm
      const settled = await h.method.reconcile(intentOf(order, attempt), signal);
      expect(settled.outcome).toBe('paid');
      expect(await h.storePayments(order.orderId)).toBe(1);
    });

    withHarness('reconciles a payment that was recorded but never sent: paid exactly once', async (h, steps, signal) => {
      const { order, attempt } = await preparedOrder(h, steps, signal);
      attempt.dispose(); // recorded in the ledger, then the process "died" before sending
      const settled = await h.method.reconcile(intentOf(order, attempt), signal);
      // Still within its validity, the recorded payment is finished by sending the same message or form: paid once.
      expect(settled.outcome).toBe('paid');
      expect(await h.storePayments(order.orderId)).toBe(1);
      // And reconciling it again finds that payment instead of making another.
      expect((await h.method.reconcile(intentOf(order, attempt), signal)).outcome).toBe('paid');
      expect(await h.storePayments(order.orderId)).toBe(1);
    });
  });
}
