/** What the payer's steps tell the run's events, each after the fact it reports: an order created, refused by the
 *  store or by the bot's checks (with the typed code), a budget reached (once, and only when final). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, toPromise, type AnyActorLogic } from 'xstate';
import { pino } from 'pino';
import { orderStep, reserveStep, verifyStep, type PayerInput } from '../../../../core/actors/payer-steps.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { TargetQuota } from '../../../../core/actors/target-quota.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano } from '../../../../core/money.js';
import type { PaymentSteps, StoreOrder } from '../../../../core/plugins/payment.js';
import type { RunEventDraft } from '../../../../core/events/run-event.js';
import { StoreRejected } from '../../../../core/store/store-error.js';

let ledger: Ledger;
let emitted: RunEventDraft[];
const onceKeys = new Set<string>();
beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await ledger.purchases.ensure({ id: 'p1', collection: 1, character: 1, account: 'alice', packsWanted: 10 });
  emitted = [];
  onceKeys.clear();
});
afterEach(async () => {
  await ledger.close();
});

let orderN = 0;
const order = (over: Partial<StoreOrder> = {}): StoreOrder =>
  ({ orderId: `o${++orderN}`, count: 1, currency: 'TON', amount: toNano('2.5'), destination: 'store', expiresAt: Date.now() + 300_000, ...over });

function payerInput(steps: Partial<PaymentSteps> = {}, over: Partial<PayerInput> = {}): PayerInput {
  return {
    purchaseId: 'p1', account: 'alice', method: 'ton', currency: 'TON',
    target: { key: '1:1', collection: 1, character: 1, maxPricePerPack: toNano('3') },
    steps: { quote: async () => toNano('2.5'), createOrder: async () => order(), check: async () => null, prepare: async () => { throw new Error('unused'); }, ...steps },
    quota: new TargetQuota(10), ledger, budget: toNano('100'),
    policy: { maxPerOrder: 5, toleranceBps: 100, expiryMarginMs: 15_000, feeAllowance: 10n, maxFailures: 2, retryDelayMs: 10, maxHoldMs: 1_000 },
    metrics: new RunMetrics(), log: pino({ level: 'silent' }), dryRun: false, left: 50, observedAt: performance.now(),
    events: {
      emit: (e) => void emitted.push(e),
      emitOnce: (k, e) => void (onceKeys.has(k) || (onceKeys.add(k), emitted.push(e))),
    },
    ...over,
  };
}

function run<T extends AnyActorLogic>(logic: T, input: unknown): Promise<unknown> {
  const actor = createActor(logic, { input } as never);
  const done = toPromise(actor);
  actor.start();
  return done;
}

const reserve = async (input: PayerInput, count = 1): Promise<{ reservationId: number; held: bigint }> =>
  (await run(reserveStep, { input, count, quote: null })) as { reservationId: number; held: bigint };

const party = { purchaseId: 'p1', account: 'alice', target: '1:1', method: 'ton' };

describe('payer events', () => {
  it('an order the store made is told with its packs and amount in nanotons', async () => {
    const o = order({ count: 2, amount: toNano('5') });
    const input = payerInput({ createOrder: async () => o });
    const r = await reserve(input, 2);
    await run(orderStep, { input, count: 2, quote: null, reservationId: r.reservationId, observedAt: null });
    expect(emitted).toEqual([{ type: 'order.created', ...party, orderId: o.orderId, packs: 2, amountUnits: '5000000000', currency: 'TON' }]);
  });

  it('a store refusal is told with the store\'s code; nothing was created', async () => {
    const input = payerInput({ createOrder: async () => { throw new StoreRejected('sold_out', 409, { op: 'buyTon', url: 'u' }); } });
    const r = await reserve(input);
    await run(orderStep, { input, count: 1, quote: null, reservationId: r.reservationId, observedAt: null }).catch(() => undefined);
    expect(emitted).toEqual([{ type: 'order.refused', ...party, by: 'store', code: 'sold_out', reason: 'store refused buyTon: sold_out (HTTP 409)' }]);
  });

  it('an order the bot refuses to pay is told with its typed reason', async () => {
    const o = order({ amount: toNano('2.9') });
    const input = payerInput();
    const r = await reserve(input);
    await ledger.recordOrder({ orderId: o.orderId, purchaseId: 'p1', method: 'ton', account: 'alice', collection: 1, character: 1, count: 1, currency: 'TON', amount: o.amount, destination: 'store', expiresAt: o.expiresAt ?? 0 }, r.reservationId);
    await run(verifyStep, { input, order: o, count: 1, quote: toNano('2.5'), held: r.held, reservationId: r.reservationId }).catch(() => undefined);
    expect(emitted).toEqual([expect.objectContaining({ type: 'order.refused', by: 'bot', code: 'AMOUNT_ABOVE_QUOTE', orderId: o.orderId })]);
  });

  it('a budget with no room for one pack is told once; a budget only held by orders in flight is not', async () => {
    const tight = payerInput({}, { budget: 1n });
    for (let i = 0; i < 3; i++) await reserve(tight).catch(() => undefined);
    expect(emitted).toEqual([{ type: 'budget.reached', currency: 'TON', scope: 'total', committedUnits: '0', limitUnits: '1' }]);
    emitted = [];
    const held = payerInput({}, { budget: toNano('3') + 10n });
    await reserve(held);
    await reserve(held).catch(() => undefined);
    expect(emitted).toEqual([]);
  });
});
