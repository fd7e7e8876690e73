/** A plugin's rate-limit error that gives no time to come back (`details.rateLimited` without `retryAt`) is waited out
 *  like any rate limit, but not forever: held past the profile's longest wait, it counts as a failure, so a payer
 *  held by it ends after the allowed failures with its claimed packs given back. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { pino } from 'pino';
import type { PayerInput, PayerOutput } from '../../../../core/actors/payer.js';
import { payerParent } from './payer-parent.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano, type Units } from '../../../../core/money.js';
import type { PaymentAttempt, PaymentSteps, StoreOrder } from '../../../../core/plugins/payment.js';

/** Every order request is held back by the plugin's own limiter, which never says until when. */
class LimitedWithoutRetryAt implements PaymentSteps {
  calls = 0;
  limitedLeft: number;
  private n = 0;
  constructor(limited: number) {
    this.limitedLeft = limited;
  }
  async quote(): Promise<Units> {
    return toNano('2.5');
  }
  async createOrder(_t: unknown, count: number, opts: { onSent: () => void }): Promise<StoreOrder> {
    this.calls++;
    if (this.limitedLeft > 0) {
      this.limitedLeft--;
      throw Object.assign(new Error('voucher issuer busy'), { code: 'VOUCHER_BUSY', details: { rateLimited: true } });
    }
    opts.onSent();
    return { orderId: `o${++this.n}`, count, currency: 'TON', amount: toNano('2.5') * BigInt(count), destination: 'store', expiresAt: Date.now() + 300_000 };
  }
  async check(): Promise<string | null> {
    return null;
  }
  async prepare(order: StoreOrder): Promise<PaymentAttempt> {
    const key = `k-${order.orderId}`;
    return { idempotencyKey: key, payload: {}, send: async () => undefined, confirm: async () => ({ outcome: 'paid', txHash: `tx-${key}`, fee: 5n }), dispose: () => undefined };
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

const MAX_HOLD_MS = 300;

function start(method: PaymentSteps, quota: TargetQuota) {
  const input: PayerInput = {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: method, quota, ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: MAX_HOLD_MS },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 50, observedAt: performance.now(),
  };
  const actor = createActor(payerParent(input));
  actor.start();
  return actor;
}

const done = (a: { getSnapshot(): { context: { output: PayerOutput | undefined } } }): PayerOutput | undefined => a.getSnapshot().context.output;

describe('payer held by a rate limit that gives no retry time', () => {
  it('counts it as a failure once held past the longest wait, and ends with the claimed packs given back', async () => {
    const m = new LimitedWithoutRetryAt(Infinity);
    const quota = new TargetQuota(10);
    const startedAt = Date.now();
    const actor = start(m, quota);
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5_000 });
    // Waited out first (not a failure from the first refusal), then bounded.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(MAX_HOLD_MS);
    expect(done(actor)?.reason).toContain('voucher issuer busy');
    expect(quota.claim(10)).toBe(10);
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });

  it('within the longest wait it is still only a hold: the payer buys once the limit lifts', async () => {
    const m = new LimitedWithoutRetryAt(3);
    const actor = start(m, new TargetQuota(10));
    await waitFor(actor, () => done(actor) !== undefined, { timeout: 5_000 });
    expect(done(actor)?.reason).toBe('target reached');
  });
});
