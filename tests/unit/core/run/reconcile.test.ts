/** reconcileOpenIntents on a real SQLite ledger, with payment methods that answer exactly as told: what each answer
 *  (paid, not paid, unknown, a throw, no answer, no plugin) does to the intent, its order and its reservation, and how
 *  the time limit and the run's stop signal bound it. The same paths against the simulated chain and Telegram are in
 *  tests/integration/core/run/reconcile-at-start.test.ts; these are the fast ones mutation testing runs per mutant. */
import { getEventListeners } from 'node:events';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { IntentRow } from '../../../../core/ledger/payment-intents.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { toNano } from '../../../../core/money.js';
import type { PaymentMethod, Settlement } from '../../../../core/plugins/payment.js';
import { reconcileOpenIntents } from '../../../../core/run/reconcile.js';
import { reservedOrder, seedPurchase, tonIntent } from '../ledger/ledger-fixtures.js';

const AMOUNT = toNano('3.5');
const FEE = toNano('0.01');

let ledger: Ledger;
let logged: { level: number; msg: string; idempotencyKey?: string; orderId?: string; method?: string; outcome?: string }[];
let log: Logger;

beforeEach(async () => {
  ledger = await openLedger(':memory:');
  await seedPurchase(ledger);
  logged = [];
  log = pino({ level: 'info' }, new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logged.push(JSON.parse(line) as (typeof logged)[number]);
      done();
    },
  }));
});
afterEach(async () => {
  vi.useRealTimers();
  await ledger.close();
});

/** A payment method whose reconcile gives `answer(intent, signal)`; counts the intents it was asked about. */
function methodAnswering(id: string, answer: (intent: IntentRow, signal: AbortSignal) => Promise<Settlement>): { method: PaymentMethod; asked: string[] } {
  const asked: string[] = [];
  const method = {
    id, currency: 'TON', orderPolicy: { toleranceBps: 0, expiryMarginMs: 0, feeAllowance: 0n },
    reconcile: (intent: IntentRow, signal: AbortSignal) => {
      asked.push(intent.idempotencyKey);
      return answer(intent, signal);
    },
    close: async () => undefined,
  };
  // Only the members reconcileOpenIntents uses; the rest of a plugin is not reached here.
  return { method: method as unknown as PaymentMethod, asked };
}

/** A reconcile that never answers, rejecting when its signal aborts (as a plugin must) or never (`deaf`). */
const never = (deaf = false) => (_intent: IntentRow, signal: AbortSignal): Promise<Settlement> => new Promise((_resolve, reject) => {
  if (!deaf) signal.addEventListener('abort', () => reject(new Error('reconciliation interrupted')), { once: true });
});

/** An order of `method` with 4 TON held, its intent recorded and (unless `at` is 'recorded') sent or left unknown. */
async function leftOpen(orderId: string, method = 'ton', at: 'recorded' | 'sent' | 'unknown' = 'unknown'): Promise<{ key: string; reservationId: number }> {
  const reservationId = await reservedOrder(ledger, orderId, toNano('4'), { method });
  const key = `${method}:${orderId}`;
  await ledger.recordIntent(tonIntent(key, orderId, { method }));
  if (at !== 'recorded') await ledger.intents.setState(key, 'sent');
  if (at === 'unknown') await ledger.settle({ idempotencyKey: key, orderId, reservationId, outcome: 'unknown', reason: 'left by a crash' });
  return { key, reservationId };
}

async function inLedger(orderId: string, key: string, reservationId: number) {
  const intent = await ledger.intents.get(key);
  const order = await ledger.orders.get(orderId);
  const reservation = await ledger.budget.get(reservationId);
  return {
    intent: intent?.state, txHash: intent?.txHash, fee: intent?.fee, intentReason: intent?.reason,
    order: order?.state, orderReason: order?.reason,
    reservation: reservation?.state, reserved: reservation?.amount,
  };
}

const reconcile = (methods: readonly PaymentMethod[], signal = new AbortController().signal, limitMs?: number) =>
  reconcileOpenIntents(ledger, methods, log, signal, limitMs);

describe('reconcileOpenIntents', () => {
  it('asks no plugin and returns nothing when no intent is open', async () => {
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'h', fee: FEE }));
    expect(await reconcile([ton.method])).toEqual([]);
    expect(ton.asked).toEqual([]);
  });

  it('settles an intent the plugin finds paid: order paid, tx hash and fee kept, reservation consumed at amount + fee', async () => {
    const { key, reservationId } = await leftOpen('o-paid');
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'tx-1', fee: FEE }));
    expect(await reconcile([ton.method])).toEqual([{ idempotencyKey: key, orderId: 'o-paid', method: 'ton', outcome: 'paid', reason: undefined }]);
    expect(await inLedger('o-paid', key, reservationId)).toMatchObject({
      intent: 'confirmed', txHash: 'tx-1', fee: FEE, order: 'paid', reservation: 'consumed', reserved: AMOUNT + FEE,
    });
    expect(await ledger.budget.spent('TON')).toBe(AMOUNT + FEE);
  });

  it('settles an intent the plugin finds not paid: intent and order failed with its reason, reservation released', async () => {
    const { key, reservationId } = await leftOpen('o-not-paid', 'ton', 'sent');
    const ton = methodAnswering('ton', async () => ({ outcome: 'not-paid', reason: 'valid_until passed, never on chain' }));
    expect(await reconcile([ton.method])).toEqual([
      { idempotencyKey: key, orderId: 'o-not-paid', method: 'ton', outcome: 'not-paid', reason: 'valid_until passed, never on chain' },
    ]);
    expect(await inLedger('o-not-paid', key, reservationId)).toMatchObject({
      intent: 'failed', intentReason: 'valid_until passed, never on chain', order: 'failed', orderReason: 'valid_until passed, never on chain', reservation: 'released',
    });
    expect(await ledger.budget.committed('TON')).toBe(0n);
  });

  it('keeps an intent the plugin cannot tell about unknown and its money held, with the plugin\'s reason', async () => {
    const { key, reservationId } = await leftOpen('o-unknown', 'ton', 'recorded');
    const ton = methodAnswering('ton', async () => ({ outcome: 'unknown', reason: 'chain unreachable' }));
    expect(await reconcile([ton.method])).toEqual([{ idempotencyKey: key, orderId: 'o-unknown', method: 'ton', outcome: 'unknown', reason: 'chain unreachable' }]);
    expect(await inLedger('o-unknown', key, reservationId)).toMatchObject({
      intent: 'unknown', intentReason: 'chain unreachable', order: 'unknown', reservation: 'held', reserved: toNano('4'),
    });
  });

  it('keeps an intent unknown and held when its plugin throws, with the error as the reason', async () => {
    const { key, reservationId } = await leftOpen('o-throws', 'ton', 'sent');
    const ton = methodAnswering('ton', async () => { throw new Error('toncenter answered 502'); });
    expect(await reconcile([ton.method])).toEqual([{ idempotencyKey: key, orderId: 'o-throws', method: 'ton', outcome: 'unknown', reason: 'toncenter answered 502' }]);
    expect(await inLedger('o-throws', key, reservationId)).toMatchObject({ intent: 'unknown', intentReason: 'toncenter answered 502', reservation: 'held' });
  });

  it('leaves an intent whose method is not enabled as it was, reports it as no-plugin and warns how to settle it', async () => {
    const { key, reservationId } = await leftOpen('o-stars', 'stars');
    const before = await inLedger('o-stars', key, reservationId);
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'h', fee: FEE }));
    expect(await reconcile([ton.method])).toEqual([{ idempotencyKey: key, orderId: 'o-stars', method: 'stars', outcome: 'no-plugin' }]);
    expect(ton.asked).toEqual([]);
    expect(await inLedger('o-stars', key, reservationId)).toEqual(before);
    const warning = logged.find((l) => l.level === 40);
    expect(warning).toMatchObject({ idempotencyKey: key, orderId: 'o-stars', method: 'stars' });
    expect(warning?.msg).toMatch(/not enabled.*enable it/);
  });

  it('asks each intent\'s own plugin, each once, and logs each outcome', async () => {
    const a = await leftOpen('o-ton', 'ton');
    const b = await leftOpen('o-xtr', 'stars');
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'tx-ton', fee: FEE }));
    const stars = methodAnswering('stars', async () => ({ outcome: 'not-paid', reason: 'Telegram took nothing' }));
    const results = await reconcile([ton.method, stars.method]);
    expect(ton.asked).toEqual([a.key]);
    expect(stars.asked).toEqual([b.key]);
    expect(results.map((r) => [r.orderId, r.outcome]).sort()).toEqual([['o-ton', 'paid'], ['o-xtr', 'not-paid']]);
    expect((await ledger.orders.get('o-ton'))?.state).toBe('paid');
    expect((await ledger.orders.get('o-xtr'))?.state).toBe('failed');
    expect(logged.filter((l) => l.level === 30 && l.msg === 'reconciled intent').map((l) => [l.idempotencyKey, l.orderId, l.method, l.outcome]).sort())
      .toEqual([[b.key, 'o-xtr', 'stars', 'not-paid'], [a.key, 'o-ton', 'ton', 'paid']]);
  });

  it('settles the intents that answer within the limit and leaves the silent one unknown, with the limit as its reason', async () => {
    const answered = await leftOpen('o-answered', 'ton');
    const silent = await leftOpen('o-silent', 'silent');
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'tx', fee: FEE }));
    const quiet = methodAnswering('silent', never());
    const results = await reconcile([ton.method, quiet.method], undefined, 200);
    expect(results.find((r) => r.orderId === 'o-answered')?.outcome).toBe('paid');
    expect(results.find((r) => r.orderId === 'o-silent')).toMatchObject({ outcome: 'unknown', reason: 'reconciliation took longer than 0.2 s' });
    expect(await inLedger('o-silent', silent.key, silent.reservationId)).toMatchObject({ intent: 'unknown', reservation: 'held' });
    expect(await inLedger('o-answered', answered.key, answered.reservationId)).toMatchObject({ order: 'paid', reservation: 'consumed' });
  });

  it('returns at the limit even when a plugin ignores its signal', async () => {
    const { key, reservationId } = await leftOpen('o-deaf', 'deaf');
    const deaf = methodAnswering('deaf', never(true));
    const results = await reconcile([deaf.method], undefined, 100);
    expect(results).toEqual([{ idempotencyKey: key, orderId: 'o-deaf', method: 'deaf', outcome: 'unknown', reason: 'reconciliation took longer than 0.1 s' }]);
    expect(await inLedger('o-deaf', key, reservationId)).toMatchObject({ intent: 'unknown', reservation: 'held' });
  });

  it('passes the plugin a signal that aborts at the limit', async () => {
    await leftOpen('o-signal', 'silent');
    let seen: AbortSignal | undefined;
    const quiet = methodAnswering('silent', (intent, signal) => {
      seen = signal;
      return never()(intent, signal);
    });
    await reconcile([quiet.method], undefined, 100);
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as Error).message).toBe('reconciliation took longer than 0.1 s');
  });

  it('stops when the run is stopped, leaving what is not settled unknown with the stop\'s reason', async () => {
    const { key, reservationId } = await leftOpen('o-stopped', 'silent');
    const quiet = methodAnswering('silent', never(true));
    const run = new AbortController();
    setTimeout(() => run.abort(new Error('run stopping')), 50);
    const results = await reconcile([quiet.method], run.signal, 60_000);
    expect(results).toEqual([{ idempotencyKey: key, orderId: 'o-stopped', method: 'silent', outcome: 'unknown', reason: 'run stopping' }]);
    expect(await inLedger('o-stopped', key, reservationId)).toMatchObject({ intent: 'unknown', reservation: 'held' });
  });

  it('settles nothing when the run was stopped before it began, even an intent its plugin could settle', async () => {
    const { key, reservationId } = await leftOpen('o-late', 'ton');
    const run = new AbortController();
    run.abort(new Error('stopped before the start'));
    const ton = methodAnswering('ton', () => new Promise((resolve) => setTimeout(() => resolve({ outcome: 'paid', txHash: 'tx', fee: FEE }), 20)));
    const results = await reconcile([ton.method], run.signal, 60_000);
    expect(results).toEqual([{ idempotencyKey: key, orderId: 'o-late', method: 'ton', outcome: 'unknown', reason: 'stopped before the start' }]);
    expect(await inLedger('o-late', key, reservationId)).toMatchObject({ intent: 'unknown', reservation: 'held' });
  });

  it('says reconciliation stopped when the stop carries no error', async () => {
    await leftOpen('o-plain-stop', 'silent');
    const quiet = methodAnswering('silent', never(true));
    const run = new AbortController();
    run.abort('shutdown');
    expect(await reconcile([quiet.method], run.signal, 60_000)).toMatchObject([{ outcome: 'unknown', reason: 'reconciliation stopped' }]);
  });

  it('settles only the intents the scope picks, leaving the others as they were', async () => {
    const picked = await leftOpen('o-picked', 'ton');
    const other = await leftOpen('o-other', 'ton', 'sent');
    const ton = methodAnswering('ton', async () => ({ outcome: 'not-paid', reason: 'never on chain' }));
    const results = await reconcileOpenIntents(ledger, [ton.method], log, new AbortController().signal, undefined, {
      only: (intent) => intent.orderId === 'o-picked',
    });
    expect(results.map((r) => r.orderId)).toEqual(['o-picked']);
    expect(ton.asked).toEqual([picked.key]);
    expect(await inLedger('o-other', other.key, other.reservationId)).toMatchObject({ intent: 'sent', order: 'paying', reservation: 'held' });
  });

  it('tells of each settlement as soon as the ledger has it, before a slower one ends', async () => {
    await leftOpen('o-fast', 'ton');
    await leftOpen('o-slow', 'slow');
    const heard: [string, string][] = [];
    let answerSlow: (s: Settlement) => void = () => undefined;
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'tx', fee: FEE }));
    const slow = methodAnswering('slow', () => new Promise<Settlement>((resolve) => { answerSlow = resolve; }));
    await reconcileOpenIntents(ledger, [ton.method, slow.method], log, new AbortController().signal, undefined, {
      onSettled: (r) => {
        heard.push([r.orderId, r.outcome]);
        // The slow plugin answers only once the fast one was heard of: told only at the end, this would never end.
        if (r.orderId === 'o-fast') setTimeout(() => answerSlow({ outcome: 'unknown', reason: 'still nothing' }), 10);
      },
    });
    expect(heard).toEqual([['o-fast', 'paid'], ['o-slow', 'unknown']]);
  });

  it('leaves no timer running and no listener on the run\'s signal once it returns', async () => {
    // A kept 60 s timer would hold a finished process open for a minute; a kept listener would leak one per start.
    await leftOpen('o-clean', 'ton');
    const ton = methodAnswering('ton', async () => ({ outcome: 'paid', txHash: 'tx', fee: FEE }));
    const run = new AbortController();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await reconcile([ton.method], run.signal);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });
});
