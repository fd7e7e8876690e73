/** A secret inside a plugin's error message (a token echoed in a refusal, a password in a proxy URL) leaves the
 *  process neither in a delivered run event (webhooks, a chat) nor in the ledger's reason columns (`automint orders`):
 *  events are scrubbed as they are delivered, reasons as they are written. */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, toPromise, type AnyActorLogic } from 'xstate';
import { pino } from 'pino';
import { reserveStep, verifyStep, type PayerInput } from '../../../../core/actors/payer-steps.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano } from '../../../../core/money.js';
import type { StoreOrder } from '../../../../core/plugins/payment.js';
import type { RunEvent } from '../../../../core/events/run-event.js';
import { RunEvents } from '../../../../core/events/run-events.js';
import { REDACTED, registerSecret } from '../../../../core/telemetry/secret-registry.js';

const SECRET = `voucher-token-${randomUUID()}`;
registerSecret(SECRET);

let ledger: Ledger;
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: 10 });
});
afterEach(async () => {
  await ledger.close();
});

function run<T extends AnyActorLogic>(logic: T, input: unknown): Promise<unknown> {
  const actor = createActor(logic, { input } as never);
  const done = toPromise(actor);
  actor.start();
  return done;
}

describe('secrets in plugin error messages', () => {
  it('appear neither in the delivered order.refused event nor in the order\'s reason in the ledger', async () => {
    const events = new RunEvents();
    const got: RunEvent[] = [];
    events.subscribe('webhook', (e) => void got.push(e));
    const o: StoreOrder = { orderId: 'o1', count: 1, currency: 'TON', amount: toNano('2.5'), destination: 'store', expiresAt: Date.now() + 300_000 };
    const input: PayerInput = {
      purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
      target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
      // The plugin's refusal echoes the token it was given.
      steps: {
        quote: async () => toNano('2.5'), createOrder: async () => o,
        check: async () => `issuer rejected token ${SECRET}`, prepare: async () => { throw new Error('unused'); },
      },
      quota: new TargetQuota(10), ledger, budget: toNano('100'),
      policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000 },
      metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 50, observedAt: performance.now(), events,
    };
    const r = (await run(reserveStep, { input, count: 1, quote: null })) as { reservationId: number; held: bigint };
    await ledger.recordOrder({ orderId: o.orderId, purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: 1, currency: 'TON', amount: o.amount, destination: 'store', expiresAt: o.expiresAt ?? 0 }, r.reservationId);
    await run(verifyStep, { input, order: o, count: 1, quote: toNano('2.5'), held: r.held, reservationId: r.reservationId }).catch(() => undefined);
    await events.close();

    const refused = got.find((e) => e.type === 'order.refused');
    expect(refused).toBeDefined();
    expect(JSON.stringify(got)).not.toContain(SECRET);
    expect((refused as Extract<RunEvent, { type: 'order.refused' }>).reason).toContain(REDACTED);
    const [row] = await ledger.orders.list();
    expect(row!.state).toBe('refused');
    expect(row!.reason).not.toContain(SECRET);
    expect(row!.reason).toContain(REDACTED);
  });

  it('are scrubbed from every string field of an event when it is delivered; an event without one is handed over as is', async () => {
    const events = new RunEvents();
    const got: RunEvent[] = [];
    const other: RunEvent[] = [];
    events.subscribe('webhook', (e) => void got.push(e));
    events.subscribe('chat', (e) => void other.push(e));
    events.emit({ type: 'login.needed', account: 'alice', code: 'X', reason: `session ${SECRET} revoked` });
    events.emit({ type: 'payment.unknown', purchaseId: 'p1', account: 'alice', target: '1:1', method: 'ton', orderId: 'o1', amountUnits: '1', currency: 'TON', reason: `rpc said ${encodeURIComponent(SECRET)}` });
    events.emit({ type: 'sold-out', target: '1:1' });
    await events.close();
    expect(got).toHaveLength(3);
    expect(JSON.stringify(got)).not.toContain(SECRET);
    expect(JSON.stringify(got)).not.toContain(encodeURIComponent(SECRET));
    expect(got[0]).toMatchObject({ reason: `session ${REDACTED} revoked` });
    expect(Object.isFrozen(got[0])).toBe(true);
    // Nothing to scrub: every subscriber still gets the one frozen event.
    expect(other[2]).toBe(got[2]);
  });

  it('are scrubbed from every reason column the ledger writes: ghost orders, purchases, abandoned orders', async () => {
    await ledger.ghosts.record({
      purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: 1, currency: 'TON',
      requestedAt: 1, heldUntil: Date.now() + 60_000, reason: `VOUCHER_HTTP: ${SECRET} timed out`,
    });
    await ledger.purchases.setState('p1', 'failed', `arming failed: proxy ${SECRET}`);
    const [ghost] = await ledger.ghosts.list();
    expect(ghost!.reason).toBe(`VOUCHER_HTTP: ${REDACTED} timed out`);
    expect((await ledger.ghosts.holding('alice', 'ton', Date.now())).reason).not.toContain(SECRET);
    expect((await ledger.purchases.get('p1'))!.reason).toBe(`arming failed: proxy ${REDACTED}`);
  });
});
