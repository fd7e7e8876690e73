/** A plugin's error made by hand with only the brand and a code (errors.ts says that is enough: no `details`) must go
 *  through the payer's failure path like any other: logged, counted, its claimed packs given back to the target. */
import { Writable } from 'node:stream';
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
import type { RunEventDraft } from '../../../../core/events/run-event.js';
import type { RunEventSink } from '../../../../core/events/run-events.js';
import { errorSerializer } from '../../../../core/telemetry/log-errors.js';

/** The documented minimum: the brand and a code, no details. */
const brandedWithoutDetails = (): Error =>
  Object.assign(new Error('voucher issuer said no'), { code: 'VOUCHER_DOWN', [Symbol.for('automint.error')]: true });

class FailingOrders implements PaymentSteps {
  failuresLeft: number;
  orders: StoreOrder[] = [];
  private n = 0;
  constructor(failures: number) {
    this.failuresLeft = failures;
  }
  async quote(): Promise<Units> {
    return toNano('2.5');
  }
  async createOrder(_t: unknown, count: number, opts: { onSent: () => void }): Promise<StoreOrder> {
    opts.onSent();
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw brandedWithoutDetails();
    }
    const o: StoreOrder = { orderId: `o${++this.n}`, count, currency: 'TON', amount: toNano('2.5') * BigInt(count), destination: 'store', expiresAt: Date.now() + 300_000 };
    this.orders.push(o);
    return o;
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

function start(method: PaymentSteps, quota: TargetQuota, lines: string[]) {
  const events: RunEventDraft[] = [];
  const sink: RunEventSink = { emit: (e) => void events.push(e), emitOnce: (_k, e) => void events.push(e) };
  // A logger that writes, with the host's error serializer: the failure is logged before the claim is released.
  const out = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  const log = pino({ level: 'warn', serializers: { err: errorSerializer(() => false) } }, out);
  const input: PayerInput = {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: method, quota, ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000 },
    metrics: new RunMetrics(), log, dryRun: false, left: 50, observedAt: performance.now(), events: sink,
  };
  const actor = createActor(payerParent(input));
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => void errors.push(e) });
  actor.start();
  return { actor, errors, events };
}

const done = (a: { getSnapshot(): { context: { output: PayerOutput | undefined } } }): PayerOutput | undefined => a.getSnapshot().context.output;

describe('payer and an error with the brand but no details', () => {
  it('counts it as a failure, releases the claimed packs and goes on to buy', async () => {
    const m = new FailingOrders(1);
    const quota = new TargetQuota(10);
    const lines: string[] = [];
    const { actor, errors } = start(m, quota, lines);
    await waitFor(actor, () => done(actor) !== undefined || errors.length > 0, { timeout: 5000 });
    expect(errors).toEqual([]);
    expect(done(actor)?.reason).toBe('target reached');
    expect(m.orders.map((o) => o.count)).toEqual([5, 5]);
    expect(lines.join('')).toContain('VOUCHER_DOWN');
  });

  it('when it keeps failing, ends after the allowed failures with every claimed pack given back', async () => {
    const m = new FailingOrders(1_000);
    const quota = new TargetQuota(10);
    const { actor, errors } = start(m, quota, []);
    await waitFor(actor, () => done(actor) !== undefined || errors.length > 0, { timeout: 5000 });
    expect(errors).toEqual([]);
    expect(done(actor)?.reason).toContain('voucher issuer said no');
    // Nothing is left claimed: the whole target can be claimed again.
    expect(quota.claim(10)).toBe(10);
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });
});
