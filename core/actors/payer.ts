/** The payer: one payment method's loop for one purchase. Spawned at arming, it claims its first order's packs and
 *  budget in the ledger before the drop and waits for stock (`armed`), so the first order goes out on the stock report
 *  with no ledger write before it. While stock and budget last it plans an order, quotes, reserves budget, orders,
 *  verifies, prepares (signs), records the intent, sends and confirms; then plans again.
 *  When payments whose outcome is unknown stand in its way (its own, or every pack left), it holds and plans again
 *  after the run's in-run reconciliation round, and ends, saying what holds it, when they outlast the run's bound.
 *  Talks to: its purchase (STOCK/SOLD_OUT/STOP in; PAYER.PAID and PAYER.OUT_OF_STOCK out; its output when it ends),
 *  the ledger, the payment plugin's steps, and the run's in-run reconciliation (unknown-payments.ts). */
import { and, assign, enqueueActions, not, sendParent, setup } from 'xstate';
import type { Units } from '../money.js';
import type { PaymentAttempt, Settlement, StoreOrder } from '../plugins/payment.js';
import { OrderRefused } from './order-verification.js';
import { busyRetryAt, isStoreBusy, MAX_BUSY_MS } from '../store/store-busy.js';
import { isPermanent, isRateLimited, retryAtOf } from '../errors.js';
import {
  BudgetExhausted,
  PacksClaimed,
  confirmStep,
  isOutOfStock,
  orderStep,
  planStep,
  prepareStep,
  quoteStep,
  recordStep,
  reserveStep,
  sendStep,
  verifyStep,
  type OrderPlaced,
  type PayerInput,
  type Plan,
  type Reserved,
  UnpaidOrdersLimit,
} from './payer-steps.js';
import { describeHeld } from './unknown-payments.js';
import { emitLoginNeeded } from '../events/login-needed.js';
import { noteTargetReached } from '../events/payer-events.js';

export type { PayerInput, PayerPolicy } from './payer-steps.js';

export type PayerEvent =
  /** From the purchase, after every poll that shows stock. */
  | { type: 'STOCK'; left: number; observedAt: number }
  /** From the purchase, when the watcher sees the character sold out. */
  | { type: 'SOLD_OUT' }
  /** From the purchase, when the run stops. A payment being sent or confirmed is finished first. */
  | { type: 'STOP' };

/** What a payer tells its purchase while it runs. When it ends, its output (PayerOutput) arrives as xstate's
 *  `xstate.done.actor.<id>` event. */
export type PayerReport =
  | { type: 'PAYER.PAID'; method: string; orderId: string; count: number; amount: Units }
  /** The store refused an order for lack of stock: a fresh look at the stock is wanted now. */
  | { type: 'PAYER.OUT_OF_STOCK'; method: string };

/** Why a payer ended. */
export type PayerOutput = { method: string; reason: string };

interface PayerContext {
  readonly input: PayerInput;
  left: number;
  soldOut: boolean;
  observedAt: number;
  /** The stock observation an earlier order of this payer was already measured from (detect-to-order counts once). */
  measuredObservation: number | null;
  /** Packs of the order being placed. */
  count: number;
  /** Packs this payer holds claimed, in the target's quota and (once reserved) in the ledger: `count`, or more when a
   *  claim made at arming met less stock; the rest go back to the target once the order's reservation has shrunk. */
  claimed: number;
  /** The claim made at arming was tried (once per payer). */
  claimTried: boolean;
  /** Price per pack; null until fetched (alongside the order when a per-pack maximum bounds the reservation). */
  quote: Units | null;
  reservationId: number;
  held: Units;
  order: StoreOrder | null;
  respondedAt: number;
  attempt: PaymentAttempt | null;
  failures: number;
  /** Epoch ms the limiter said to wait until (a ban or an open breaker), while holding. */
  holdUntil: number;
  stopRequested: boolean;
  reason: string;
  /** When the budget was first found held by payments in flight, in this stretch of waiting for it. */
  budgetBusySince: number | null;
  /** When the store first refused a new order for unpaid ones, in this stretch of refusals. */
  unpaidSince: number | null;
  /** When (epoch ms) a rate limit that gave no time to come back (`details.rateLimited` without `retryAt`) first held
   *  this payer, in this stretch without an order made: held past the profile's longest wait, it counts as a failure. */
  rateLimitedSince: number | null;
  /** When (performance.now(), like `observedAt`) the store first answered busy (5xx) to a quote or an order, in this
   *  stretch of busy answers, and how many busy answers in a row since (the backoff). */
  busySince: number | null;
  busyInARow: number;
  /** Until when (performance.now()) the store's own Retry-After held this account back: the limiter holds its polls
   *  too, so a target watched through it alone sees nothing meanwhile, which says nothing about the stock. */
  toldToWaitUntil: number;
  /** This payer's orders whose outcome came back unknown in this run and are not settled yet (in-run reconciliation):
   *  its method pays nothing more until they are. */
  unsettled: readonly string[];
  /** When unknown payments first held this payer back, in this stretch of being held. */
  heldSince: number | null;
}

/** `store busy for 12 s`: how long the store has been answering busy, in this stretch. */
const busyFor = (context: PayerContext): string =>
  `store busy for ${Math.round((performance.now() - (context.busySince ?? performance.now())) / 1000)} s`;

/** The output of the invoked step whose done event is being handled. */
const outputOf = <T>(event: unknown): T => (event as { output: T }).output;
/** The error of the invoked step whose error event is being handled. */
const errorOf = (event: unknown): unknown => (event as { error: unknown }).error;
const messageOf = (event: unknown): string => String((errorOf(event) as { message?: unknown } | null)?.message ?? errorOf(event));

export const payerMachine = setup({
  types: {
    context: {} as PayerContext,
    events: {} as PayerEvent,
    input: {} as PayerInput,
    output: {} as PayerOutput,
  },
  actors: {
    plan: planStep, quote: quoteStep, reserve: reserveStep, order: orderStep, verify: verifyStep,
    prepare: prepareStep, record: recordStep, send: sendStep, confirm: confirmStep,
  },
  guards: {
    planIsOrder: ({ event }) => outputOf<Plan>(event).kind === 'order',
    /** With a per-pack maximum the budget can be held before the price is known: the quote rides along with the order. */
    planIsOrderAtMaxPrice: ({ context, event }) =>
      outputOf<Plan>(event).kind === 'order' && context.input.target.maxPricePerPack !== null && !context.input.dryRun,
    planIsWait: ({ event }) => outputOf<Plan>(event).kind === 'wait',
    /** Unknown payments stand in the way (the payer's own, or every pack left): wait for an in-run round. */
    planIsHeld: ({ event }) => outputOf<Plan>(event).kind === 'held',
    /** The payer's own unknown payment was proven not paid in-run (the round already freed its packs). */
    planIsNotPaid: ({ event }) => outputOf<Plan>(event).kind === 'not-paid',
    /** Unknown payments have held this payer back for the run's bound: stop waiting for them. */
    heldTooLong: ({ context }) => context.heldSince !== null && Date.now() - context.heldSince > (context.input.unknownPayments?.giveUpAfterMs ?? 0),
    /** The run reconciles unknown payments while it runs: an unknown outcome waits for it instead of ending the payer. */
    reconcilesInRun: ({ context }) => context.input.unknownPayments !== undefined,
    dryRun: ({ context }) => context.input.dryRun,
    /** Spawned at arming: waits in `armed` for the drop. */
    armAhead: ({ context }) => context.input.armAhead === true,
    /** Packs were claimed at arming in the target's quota, not yet in the ledger. */
    mustClaim: ({ context }) => context.claimed > 0 && context.reservationId === 0,
    /** The first order's packs and budget are held in the ledger since arming. */
    holdsClaim: ({ context }) => context.claimed > 0 && context.reservationId !== 0,
    stockLeft: ({ context }) => context.left > 0,
    hasStock: ({ event }) => event.type === 'STOCK' && event.left > 0,
    budgetExhausted: ({ event }) => errorOf(event) instanceof BudgetExhausted && (errorOf(event) as BudgetExhausted).final,
    budgetBusy: ({ event }) => errorOf(event) instanceof BudgetExhausted,
    /** Every pack is paid, by this run or another that shares the ledger. */
    packsAllPaid: ({ event }) => errorOf(event) instanceof PacksClaimed && (errorOf(event) as PacksClaimed).final,
    /** Packs are held by orders in flight (of this or another process): they free up if those are not paid. */
    packsHeld: ({ event }) => errorOf(event) instanceof PacksClaimed,
    outOfStock: ({ event }) => isOutOfStock(errorOf(event)),
    /** Held back with a time to come back (the limiter, a Telegram flood wait): wait, it is not a failure. */
    rateLimited: ({ event }) => isRateLimited(errorOf(event)) || retryAtOf(errorOf(event)) !== null,
    /** A rate limit that says no time to come back has held this payer for longer than the profile's longest wait
     *  (nothing bounds it otherwise: the payer would ask every retryDelayMs forever, never counting a failure). */
    rateLimitedTooLong: ({ context, event }) =>
      retryAtOf(errorOf(event)) === null && context.rateLimitedSince !== null && Date.now() - context.rateLimitedSince > context.input.policy.maxHoldMs,
    /** Only a person can fix it (a refused login, a revoked session, verification needed): this method stops. */
    permanent: ({ event }) => isPermanent(errorOf(event)),
    unpaidLimit: ({ event }) => errorOf(event) instanceof UnpaidOrdersLimit,
    /** The store has refused new orders for unpaid ones for twice the profile's longest wait: they are not expiring soon. */
    unpaidHeldTooLong: ({ context }) => context.unpaidSince !== null && Date.now() - context.unpaidSince > 2 * context.input.policy.maxHoldMs,
    /** The store answered 5xx: overloaded (a drop), not a failure of the order (core/store/store-busy.ts). */
    storeBusy: ({ event }) => isStoreBusy(errorOf(event)),
    /** Busy answers are ridden out while the drop can still be bought: until no stock report has shown packs left for
     *  the profile's longest wait (the watcher sees nothing either) — not counting the time the store's Retry-After
     *  held the account, its polls included —, and never past MAX_BUSY_MS. */
    storeBusyTooLong: ({ context }) => {
      if (context.busySince === null) return false;
      const now = performance.now();
      // Time the store itself made the account wait is not time without stock: the watcher was held as well.
      const sinceStockSeen = now - Math.max(context.busySince, context.observedAt, context.toldToWaitUntil);
      return sinceStockSeen > context.input.policy.maxHoldMs || now - context.busySince > MAX_BUSY_MS;
    },
    /** The budget has been held by payments in flight for the profile's longest wait: stop waiting for it. */
    budgetBusyTooLong: ({ context }) => context.budgetBusySince !== null && Date.now() - context.budgetBusySince > context.input.policy.maxHoldMs,
    orderRefused: ({ event }) => errorOf(event) instanceof OrderRefused,
    tooManyFailures: ({ context }) => context.failures >= context.input.policy.maxFailures,
    stopRequested: ({ context }) => context.stopRequested,
    soldOut: ({ context }) => context.soldOut,
    paid: ({ event }) => outputOf<Settlement>(event).outcome === 'paid',
    notPaid: ({ event }) => outputOf<Settlement>(event).outcome === 'not-paid',
    notPaidFinal: ({ event }) => {
      const s = outputOf<Settlement>(event);
      return s.outcome === 'not-paid' && s.final === true;
    },
  },
  delays: {
    retryDelay: ({ context }) => context.input.policy.retryDelayMs,
    holdLimit: ({ context }) => context.input.policy.maxHoldMs,
    /** Until the limiter's retry time; never beyond the profile's longest wait (the limiter caps it too). */
    holdDelay: ({ context }) => Math.max(context.input.policy.retryDelayMs, Math.min(context.holdUntil - Date.now(), context.input.policy.maxHoldMs)),
  },
  actions: {
    takePlan: assign(({ event }) => {
      const count = (outputOf<Plan>(event) as Extract<Plan, { kind: 'order' }>).count;
      return { count, claimed: count, quote: null };
    }),
    /** At arming, the packs of the first order: what the store takes in one order (the method's maxPerOrder), of what
     *  the target (or the method's share) has free. Only when the amount is bounded before the price is known (a
     *  maximum per pack) and money may move (not a dry run); tried once. */
    claimAhead: assign(({ context }) => {
      const { input } = context;
      if (context.claimTried || input.armAhead !== true || input.target.maxPricePerPack === null || input.dryRun) return {};
      const claimed = input.quota.claim(input.policy.maxPerOrder, input.method);
      return { claimTried: true, claimed, count: claimed };
    }),
    /** The first order from the claim made at arming: as many of its packs as the stock shows. */
    orderFromClaim: assign({ count: ({ context }) => Math.min(context.claimed, context.left), quote: null }),
    /** A claim made at arming that no order used (a stop or a sell-out before it) goes back: the quota at once, the
     *  ledger's reservation by a write that needs no waiting for (a crash before it leaves a reservation without an
     *  order, which the run's end and the next start release: Ledger.sweepAbandoned). */
    releaseUnusedClaim: ({ context }) => {
      const { input } = context;
      if (context.claimed > 0) input.quota.release(context.claimed, input.method);
      if (context.reservationId !== 0) {
        void input.ledger.budget.release(context.reservationId).catch((e: unknown) =>
          input.log.error({ err: e, reservationId: context.reservationId }, 'could not release the claim made at arming; the run\'s end releases it'));
      }
    },
    /** Packs claimed but not ordered (a claim made at arming that met less stock) go back to the target, now that the
     *  order's reservation holds only its own. */
    returnUnorderedPacks: enqueueActions(({ context, enqueue }) => {
      if (context.claimed <= context.count) return;
      context.input.quota.release(context.claimed - context.count, context.input.method);
      enqueue.assign({ claimed: context.count });
    }),
    logNoClaimAhead: ({ context, event }) => context.input.log.info({ method: context.input.method, reason: messageOf(event) },
      'no claim at arming; the first order claims at the stock report'),
    endWithPlan: assign({
      reason: ({ context, event }) => {
        const reason = (outputOf<Plan>(event) as Extract<Plan, { kind: 'done' }>).reason;
        // Sold out while the store would not take our orders: say so, it is why nothing was bought.
        return context.busySince === null ? reason : `${reason} (${busyFor(context)}: ${context.reason})`;
      },
    }),
    /** What the plan says of unknown payments: the payer's own still unsettled, and since when they hold it back. */
    notePlanHolds: assign(({ context, event }) => {
      const p = outputOf<Plan>(event);
      if (p.kind !== 'held') return { unsettled: [], heldSince: null };
      return { unsettled: p.by === 'own' ? p.payments.map((x) => x.orderId) : [], heldSince: context.heldSince ?? Date.now(), holdUntil: p.retryAt };
    }),
    endHeld: assign({
      reason: ({ event }) => {
        const p = outputOf<Plan>(event) as Extract<Plan, { kind: 'held' }>;
        return p.by === 'own'
          ? `payment outcome unknown (${p.payments.map((x) => x.reason).join('; ')}); reconciled at the next start`
          : `every pack left${p.by === 'share' ? ' of its share' : ''} is held by payments whose outcome is unknown (${p.payments.map((x) => x.orderId).join(', ')}); reconciled at the next start`;
      },
    }),
    logGiveUp: ({ context, event }) => {
      const p = outputOf<Plan>(event) as Extract<Plan, { kind: 'held' }>;
      context.input.log.error({ method: context.input.method, held: p.payments.map(describeHeld) },
        'unknown payments still hold this payer after in-run reconciliation; it ends, they are reconciled at the next start');
    },
    noteUnsettled: assign({ unsettled: ({ context }) => [...context.unsettled, context.order!.orderId] }),
    noteStock: assign(({ event }) =>
      event.type === 'STOCK' ? { left: event.left, observedAt: event.observedAt, soldOut: event.left === 0 } : event.type === 'SOLD_OUT' ? { left: 0, soldOut: true } : {},
    ),
    noteQuote: assign({ quote: ({ event }) => outputOf<Units>(event) }),
    /** Packs the budget could not cover go back to the target for other payers. */
    returnUncoveredPacks: ({ context, event }) => {
      const r = outputOf<Reserved>(event);
      if (r.count < context.count) context.input.quota.release(context.count - r.count, context.input.method);
    },
    noteReservation: assign(({ event }) => {
      const r = outputOf<Reserved>(event);
      return { reservationId: r.reservationId, held: r.held, count: r.count, claimed: r.count };
    }),
    noteOrder: assign(({ context, event }) => {
      const placed = outputOf<OrderPlaced>(event);
      return { order: placed.order, respondedAt: placed.respondedAt, quote: placed.quote, measuredObservation: context.observedAt };
    }),
    noteAttempt: assign({ attempt: ({ event }) => outputOf<PaymentAttempt>(event) }),
    noteFailure: assign(({ context, event }) => ({ failures: context.failures + 1, reason: messageOf(event) })),
    noteStopRequest: assign({ stopRequested: true }),
    // A rate limit that says no time (a plugin's) is waited out for the profile's retry delay (holdDelay's floor).
    noteHold: assign({ holdUntil: ({ event }) => retryAtOf(errorOf(event)) ?? Date.now() }),
    /** A rate limit with a time to come back is bounded by it (and the limiter); one without starts the clock of
     *  rateLimitedTooLong. */
    noteRateLimited: assign({
      rateLimitedSince: ({ context, event }) => (retryAtOf(errorOf(event)) === null ? context.rateLimitedSince ?? Date.now() : context.rateLimitedSince),
    }),
    noteBudgetBusy: assign({ budgetBusySince: ({ context }) => context.budgetBusySince ?? Date.now() }),
    // Slots held by the account's own orders being paid free up as they settle: that wait is not counted.
    noteUnpaidLimit: assign({
      unpaidSince: ({ context, event }) => ((errorOf(event) as UnpaidOrdersLimit).ownInFlight > 0 ? null : context.unpaidSince ?? Date.now()),
    }),
    noteBusy: assign(({ context, event }) => {
      const e = errorOf(event);
      const inARow = context.busyInARow + 1;
      const now = Date.now();
      const toldMs = isStoreBusy(e) ? e.retryAfterMs ?? 0 : 0;
      return {
        busySince: context.busySince ?? performance.now(), busyInARow: inARow, reason: messageOf(event),
        toldToWaitUntil: toldMs > 0 ? Math.max(context.toldToWaitUntil, performance.now() + toldMs) : context.toldToWaitUntil,
        holdUntil: isStoreBusy(e)
          ? busyRetryAt(e, inARow, context.input.policy.retryDelayMs, now)
          : now + context.input.policy.retryDelayMs,
      };
    }),
    logBusy: ({ context }) => context.input.log.info(
      { method: context.input.method, reason: context.reason, inARow: context.busyInARow,
        retryAt: new Date(context.holdUntil).toISOString() },
      'store busy; asking again after a pause'),
    endBusy: assign({ reason: ({ context, event }) => `${busyFor(context)}: ${messageOf(event)}` }),
    endPermanently: assign({ reason: ({ event }) => `cannot go on: ${messageOf(event)}` }),
    logFailure: ({ context, event }) => {
      context.input.log.warn({ err: errorOf(event), method: context.input.method }, 'payer step failed');
      // A failure only a new login fixes (a revoked Telegram session) is told to the run's events once per account.
      if (context.input.events) emitLoginNeeded(context.input.events, context.input.account, errorOf(event), context.input.log);
    },
    /** The claimed packs will not be bought by this attempt: give them back to the target's quota. */
    releaseClaim: ({ context }) => context.input.quota.release(context.claimed, context.input.method),
    settleClaim: ({ context }) => {
      context.input.quota.settle(context.count, context.input.method);
      noteTargetReached(context.input.events, context.input.target.key, context.input.quota, context.input.log);
    },
    forgetOrder: assign({ order: null, attempt: null }),
    askForStock: sendParent(({ context }) => ({ type: 'PAYER.OUT_OF_STOCK', method: context.input.method }) satisfies PayerReport),
    reportPaid: sendParent(({ context }) => ({
      type: 'PAYER.PAID', method: context.input.method, orderId: context.order!.orderId, count: context.order!.count, amount: context.order!.amount,
    }) satisfies PayerReport),
  },
}).createMachine({
  id: 'payer',
  context: ({ input }) => ({
    input, left: input.left, soldOut: false, observedAt: input.observedAt, measuredObservation: null, count: 0, claimed: 0, claimTried: false,
    quote: null, reservationId: 0, held: 0n,
    order: null, respondedAt: 0, attempt: null, failures: 0, holdUntil: 0, stopRequested: false, reason: '', budgetBusySince: null, unpaidSince: null,
    rateLimitedSince: null, busySince: null, busyInARow: 0, toldToWaitUntil: 0,
    unsettled: [], heldSince: null,
  }),
  initial: 'armed',
  on: {
    STOCK: { actions: 'noteStock' },
    SOLD_OUT: { actions: 'noteStock' },
    STOP: { target: '.done', actions: assign({ reason: 'stopped' }) },
  },
  states: {
    /** Waiting for the drop with the first order's packs and budget claimed (when they can be): the stock report
     *  leads straight to the order request. A payer spawned on stock passes through to planning. */
    armed: {
      entry: 'claimAhead',
      always: [
        { guard: 'stopRequested', target: 'done', actions: ['releaseUnusedClaim', assign({ reason: 'stopped' })] },
        { guard: 'mustClaim', target: 'claiming' },
        { guard: not('armAhead'), target: 'planning' },
        { guard: 'soldOut', target: 'done', actions: ['releaseUnusedClaim', assign({ reason: 'sold out' })] },
        { guard: and(['holdsClaim', 'stockLeft']), target: 'ordering', actions: 'orderFromClaim' },
        { guard: 'stockLeft', target: 'planning' },
      ],
      on: { STOP: { target: 'done', actions: ['releaseUnusedClaim', assign({ reason: 'stopped' })] } },
    },
    /** The claim made at arming: packs and budget in one ledger transaction (PackClaims.claim), like `reserving`. One
     *  that fails leaves the first order to claim at the stock report. */
    claiming: {
      // The claim is let finish, so a stop never leaves it behind unreleased.
      on: { STOP: { actions: 'noteStopRequest' } },
      invoke: {
        id: 'claim', src: 'reserve',
        input: ({ context }) => ({ input: context.input, count: context.claimed, quote: null }),
        onDone: { target: 'armed', actions: ['returnUncoveredPacks', 'noteReservation'] },
        onError: { target: 'armed', actions: ['releaseClaim', 'logNoClaimAhead', assign({ claimed: 0, count: 0 })] },
      },
    },
    planning: {
      invoke: {
        src: 'plan',
        input: ({ context }) => ({ input: context.input, left: context.left, soldOut: context.soldOut, unsettled: context.unsettled }),
        onDone: [
          { guard: 'planIsOrderAtMaxPrice', target: 'reserving', actions: ['notePlanHolds', 'takePlan'] },
          { guard: 'planIsOrder', target: 'quoting', actions: ['notePlanHolds', 'takePlan'] },
          { guard: and(['planIsHeld', 'heldTooLong']), target: 'done', actions: ['logGiveUp', 'endHeld'] },
          // Held by unknown payments: plan again once the in-run reconciliation round asked for now is over.
          { guard: 'planIsHeld', target: 'holding', actions: 'notePlanHolds' },
          // Counted like a confirmation that says not paid, so a payment lost every time ends after the retries.
          { guard: 'planIsNotPaid', target: 'retrying', actions: ['notePlanHolds', assign(({ context }) => ({ failures: context.failures + 1, reason: 'payment did not happen' }))] },
          { guard: 'planIsWait', target: 'waiting', actions: 'notePlanHolds' },
          { target: 'done', actions: 'endWithPlan' },
        ],
      },
    },
    waiting: {
      // A SOLD_OUT that came while an order was in flight is remembered: no point waiting for stock then.
      always: { guard: 'soldOut', target: 'done', actions: assign({ reason: 'sold out' }) },
      // The watcher reports stock after every poll that finds some; silence this long means it cannot see the store
      // (an expired token, a ban): end instead of waiting forever.
      after: { holdLimit: { target: 'done', actions: assign({ reason: ({ context }) => `no stock report for ${Math.round(context.input.policy.maxHoldMs / 1000)} s` }) } },
      on: {
        STOCK: { guard: 'hasStock', target: 'planning', actions: 'noteStock' },
        SOLD_OUT: { target: 'done', actions: ['noteStock', assign({ reason: 'sold out' })] },
      },
    },
    quoting: {
      invoke: {
        src: 'quote',
        input: ({ context }) => ({ input: context.input }),
        onDone: [
          {
            guard: 'dryRun', target: 'done',
            actions: [
              'releaseClaim', 'noteQuote',
              assign({ reason: ({ context, event }) => `dry run: would order ${context.count} packs at ${event.output} per pack` }),
              ({ context, event }) => context.input.log.info({ count: context.count, quotePerPack: event.output.toString() }, 'dry run: order not created'),
            ],
          },
          { target: 'reserving', actions: 'noteQuote' },
        ],
        onError: [
          { guard: and(['rateLimited', 'rateLimitedTooLong']), target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
          { guard: 'rateLimited', target: 'holding', actions: ['releaseClaim', 'noteHold', 'noteRateLimited'] },
          { guard: and(['storeBusy', 'storeBusyTooLong']), target: 'done', actions: ['logFailure', 'releaseClaim', 'endBusy'] },
          { guard: 'storeBusy', target: 'holding', actions: ['releaseClaim', 'noteBusy', 'logBusy'] },
          { guard: 'permanent', target: 'done', actions: ['logFailure', 'releaseClaim', 'endPermanently'] },
          { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
        ],
      },
    },
    reserving: {
      invoke: {
        src: 'reserve',
        input: ({ context }) => ({ input: context.input, count: context.count, quote: context.quote }),
        onDone: { target: 'ordering', actions: ['returnUncoveredPacks', 'noteReservation', assign({ budgetBusySince: null })] },
        onError: [
          { guard: 'packsAllPaid', target: 'done', actions: ['releaseClaim', assign({ reason: ({ event }) => ((errorOf(event) as PacksClaimed).details['scope'] === 'METHOD' ? 'share reached' : 'target reached') })] },
          { guard: and(['packsHeld', 'budgetBusyTooLong']), target: 'done', actions: ['releaseClaim', assign({ reason: 'packs held by orders in flight for too long' })] },
          { guard: 'packsHeld', target: 'waiting', actions: ['releaseClaim', 'noteBudgetBusy', ({ context }) => context.input.log.info({ method: context.input.method }, 'packs held by orders in flight; waiting')] },
          { guard: 'budgetExhausted', target: 'done', actions: ['releaseClaim', assign({ reason: 'budget exhausted' })] },
          // Held by payments whose outcome stays unknown, the budget may never free up in this run.
          { guard: and(['budgetBusy', 'budgetBusyTooLong']), target: 'done', actions: ['releaseClaim', assign({ reason: 'budget held by payments in flight for too long' })] },
          // The budget is held by orders in flight: try again at the next stock report, once some have settled.
          { guard: 'budgetBusy', target: 'waiting', actions: ['releaseClaim', 'noteBudgetBusy', ({ context }) => context.input.log.info({ method: context.input.method }, 'budget held by orders in flight; waiting')] },
          { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
        ],
      },
    },
    ordering: {
      invoke: {
        src: 'order',
        input: ({ context }) => ({
          input: context.input, count: context.count, quote: context.quote, reservationId: context.reservationId,
          observedAt: context.measuredObservation === context.observedAt ? null : context.observedAt,
        }),
        onDone: { target: 'verifying', actions: ['noteOrder', assign({ unpaidSince: null, rateLimitedSince: null, busySince: null, busyInARow: 0 })] },
        onError: [
          { guard: 'outOfStock', target: 'waiting', actions: ['releaseClaim', assign({ left: 0 }), 'askForStock'] },
          { guard: and(['unpaidLimit', 'unpaidHeldTooLong']), target: 'done', actions: ['logFailure', 'releaseClaim', 'endPermanently'] },
          { guard: 'unpaidLimit', target: 'holding', actions: ['releaseClaim', 'noteHold', 'noteUnpaidLimit'] },
          // Held back by the limiter (a ban, an open breaker): the request never left, so wait as told; not a failure.
          { guard: and(['rateLimited', 'rateLimitedTooLong']), target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
          { guard: 'rateLimited', target: 'holding', actions: ['releaseClaim', 'noteHold', 'noteRateLimited'] },
          // The store too busy to take it (a 5xx at a drop): asked again after a backoff while the drop can be bought.
          { guard: and(['storeBusy', 'storeBusyTooLong']), target: 'done', actions: ['logFailure', 'releaseClaim', 'endBusy'] },
          { guard: 'storeBusy', target: 'holding', actions: ['releaseClaim', 'noteBusy', 'logBusy'] },
          { guard: 'permanent', target: 'done', actions: ['logFailure', 'releaseClaim', 'endPermanently'] },
          // Anything else may have created an order we never saw (a timeout, a reset, a garbled answer). No money can move
          // for it — only orders whose details we hold are paid — so trying again is safe; it counts as a failure.
          { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
        ],
      },
    },
    verifying: {
      invoke: {
        src: 'verify',
        input: ({ context }) => ({
          input: context.input, order: context.order!, count: context.count, quote: context.quote!, held: context.held, reservationId: context.reservationId,
        }),
        onDone: { target: 'preparing' },
        onError: [
          // A store that asks for more than it quoted is not paid again by this method in this run.
          { guard: 'orderRefused', target: 'done', actions: ['logFailure', 'releaseClaim', assign({ reason: ({ event }) => `refused: ${messageOf(event)}` })] },
          { guard: 'permanent', target: 'done', actions: ['logFailure', 'releaseClaim', 'forgetOrder', 'endPermanently'] },
          { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim', 'forgetOrder'] },
        ],
      },
    },
    preparing: {
      invoke: {
        src: 'prepare',
        input: ({ context }) => ({ input: context.input, order: context.order!, reservationId: context.reservationId }),
        onDone: { target: 'recording', actions: 'noteAttempt' },
        onError: [
          { guard: 'permanent', target: 'done', actions: ['logFailure', 'releaseClaim', 'forgetOrder', 'endPermanently'] },
          { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim', 'forgetOrder'] },
        ],
      },
    },
    recording: {
      invoke: {
        src: 'record',
        input: ({ context }) => ({ input: context.input, order: context.order!, attempt: context.attempt!, reservationId: context.reservationId }),
        // The reservation holds only the order's packs now: the rest of a larger claim go back to the target's quota.
        onDone: { target: 'sending', actions: 'returnUnorderedPacks' },
        // Without an intent on record no money may move: stop this payer (`done` disposes the attempt, freeing its place
        // in the wallet's batch); the start-of-run sweep frees the order's budget.
        onError: { target: 'done', actions: ['logFailure', assign({ reason: ({ event }) => `ledger write failed: ${messageOf(event)}` })] },
      },
    },
    sending: {
      // Money may be moving: a STOP waits for the outcome instead of abandoning it.
      on: { STOP: { actions: 'noteStopRequest' } },
      invoke: {
        src: 'send',
        input: ({ context }) => ({ input: context.input, order: context.order!, attempt: context.attempt!, respondedAt: context.respondedAt }),
        onDone: { target: 'confirming' },
      },
    },
    confirming: {
      on: { STOP: { actions: 'noteStopRequest' } },
      invoke: {
        src: 'confirm',
        input: ({ context }) => ({ input: context.input, order: context.order!, attempt: context.attempt!, reservationId: context.reservationId }),
        onDone: [
          { guard: 'paid', target: 'settled', actions: ['settleClaim', assign({ failures: 0 }), 'reportPaid', 'forgetOrder'] },
          {
            guard: 'notPaidFinal', target: 'done',
            actions: ['releaseClaim', 'forgetOrder', assign({ reason: ({ event }) => `cannot pay with this method: ${(outputOf<Settlement>(event) as { reason?: string }).reason}` })],
          },
          { guard: 'notPaid', target: 'retrying', actions: ['releaseClaim', 'forgetOrder', assign(({ context }) => ({ failures: context.failures + 1, reason: 'payment did not happen' }))] },
          // Unknown: money may have moved. The packs stay claimed and the budget held; this method pays nothing more
          // until the run's reconciliation settles the payment (planning holds it back), then goes on: paid counts,
          // not paid frees the packs to buy again (the round tells the quota either way).
          { guard: and(['reconcilesInRun', not('stopRequested')]), target: 'planning', actions: ['noteUnsettled', 'forgetOrder'] },
          // Without in-run reconciliation, or stopping: this method stops buying; reconciliation at the next start
          // settles the payment.
          {
            target: 'done',
            actions: ['forgetOrder', assign({ reason: ({ event }) => `payment outcome unknown (${(outputOf<Settlement>(event) as { reason?: string }).reason}); reconciled at the next start` })],
          },
        ],
        onError: { target: 'done', actions: ['logFailure', assign({ reason: ({ event }) => `ledger write failed: ${messageOf(event)}` })] },
      },
    },
    settled: {
      always: [
        { guard: 'stopRequested', target: 'done', actions: assign({ reason: 'stopped' }) },
        { target: 'planning' },
      ],
    },
    /** Held back until a given time: by the limiter, a flood wait, the store's unpaid-orders limit, a busy store, or
     *  unknown payments (until the in-run reconciliation round is over). */
    holding: {
      always: { guard: 'stopRequested', target: 'done', actions: assign({ reason: 'stopped' }) },
      after: { holdDelay: 'planning' },
    },
    retrying: {
      always: [
        { guard: 'stopRequested', target: 'done', actions: assign({ reason: 'stopped' }) },
        { guard: 'tooManyFailures', target: 'done' },
      ],
      after: { retryDelay: 'planning' },
    },
    // An attempt prepared but never sent (a STOP while preparing or recording) frees what it holds (the wallet's batch).
    done: { type: 'final', entry: ({ context }) => context.attempt?.dispose() },
  },
  output: ({ context }) => ({ method: context.input.method, reason: context.reason }),
});
