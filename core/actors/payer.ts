/** The payer: one payment method's loop for one purchase. While stock and budget last it plans an order, quotes,
 *  reserves budget, orders, verifies, prepares (signs), records the intent, sends and confirms; then plans again.
 *  Talks to: its purchase (STOCK/SOLD_OUT/STOP in; PAYER.PAID/PAYER.DONE out), the ledger, the plugin's steps. */
import { assign, sendParent, setup } from 'xstate';
import type { Units } from '../money.js';
import type { PaymentAttempt, Settlement, StoreOrder } from '../plugins/payment.js';
import {
  BudgetExhausted,
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
  type PayerInput,
  type Plan,
} from './payer-steps.js';

export type { PayerInput, PayerPolicy } from './payer-steps.js';

export type PayerEvent =
  /** From the purchase, after every poll that shows stock. */
  | { type: 'STOCK'; left: number; observedAt: number }
  /** From the purchase, when the watcher sees the character sold out. */
  | { type: 'SOLD_OUT' }
  /** From the purchase, when the run stops. */
  | { type: 'STOP' };

/** What a payer tells its purchase while it runs. When it ends, its output (PayerOutput) arrives as xstate's
 *  `xstate.done.actor.<id>` event. */
export type PayerReport = { type: 'PAYER.PAID'; method: string; orderId: string; count: number; amount: Units };

/** Why a payer ended. */
export type PayerOutput = { method: string; reason: string };

interface PayerContext {
  readonly input: PayerInput;
  left: number;
  observedAt: number;
  count: number;
  /** Price per pack; null until fetched (alongside the order when a per-pack maximum bounds the reservation). */
  quote: Units | null;
  reservationId: string | number;
  held: Units;
  order: StoreOrder | null;
  respondedAt: number;
  attempt: PaymentAttempt | null;
  failures: number;
  reason: string;
}

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
    shouldOrder: ({ event }) => (event as unknown as { output: Plan }).output.kind === 'order',
    shouldOrderAtMaxPrice: ({ context, event }) =>
      (event as unknown as { output: Plan }).output.kind === 'order' && context.input.target.maxPricePerPack !== null && !context.input.dryRun,
    shouldWait: ({ event }) => (event as unknown as { output: Plan }).output.kind === 'wait',
    dryRun: ({ context }) => context.input.dryRun,
    hasStock: ({ event }) => event.type === 'STOCK' && event.left > 0,
    budgetExhausted: ({ event }) => (event as unknown as { error: unknown }).error instanceof BudgetExhausted,
    outOfStock: ({ event }) => isOutOfStock((event as unknown as { error: unknown }).error),
    tooManyFailures: ({ context }) => context.failures >= context.input.policy.maxFailures,
    wasPaid: ({ event }) => (event as unknown as { output: Settlement }).output.outcome === 'paid',
    wasNotPaid: ({ event }) => (event as unknown as { output: Settlement }).output.outcome === 'not-paid',
  },
  delays: {
    retryDelay: ({ context }) => context.input.policy.retryDelayMs,
  },
  actions: {
    takePlan: assign({ count: ({ event }) => (event as unknown as { output: Extract<Plan, { kind: 'order' }> }).output.count, quote: null }),
    noteStock: assign(({ context, event }) =>
      event.type === 'STOCK' ? { left: event.left, observedAt: event.observedAt } : event.type === 'SOLD_OUT' ? { left: 0 } : {},
    ),
    noteFailure: assign(({ context, event }) => ({
      failures: context.failures + 1,
      reason: String((event as unknown as { error?: { message?: string } }).error?.message ?? 'failed'),
    })),
    logFailure: ({ context, event }) =>
      context.input.log.warn({ err: (event as unknown as { error?: unknown }).error, method: context.input.method }, 'payer step failed'),
    /** The claimed packs will not be bought by this attempt: give them back to the target's quota. */
    releaseClaim: ({ context }) => context.input.quota.release(context.count),
    settleClaim: ({ context }) => context.input.quota.settle(context.count),
  },
}).createMachine({
  id: 'payer',
  context: ({ input }) => ({
    input, left: input.left, observedAt: input.observedAt, count: 0, quote: null, reservationId: 0, held: 0n,
    order: null, respondedAt: 0, attempt: null, failures: 0, reason: '',
  }),
  initial: 'planning',
  on: {
    STOCK: { actions: 'noteStock' },
    SOLD_OUT: { actions: 'noteStock' },
    STOP: { target: '.done', actions: assign({ reason: 'stopped' }) },
  },
  states: {
    planning: {
      invoke: {
        src: 'plan',
        input: ({ context }) => ({ input: context.input, left: context.left }),
        onDone: [
          // With a per-pack maximum the budget can be held before the price is known: the quote rides along with the order.
          { guard: 'shouldOrderAtMaxPrice', target: 'reserving', actions: 'takePlan' },
          { guard: 'shouldOrder', target: 'quoting', actions: 'takePlan' },
          { guard: 'shouldWait', target: 'waiting' },
          { target: 'done', actions: assign({ reason: ({ event }) => (event.output as Extract<Plan, { kind: 'done' }>).reason }) },
        ],
        onError: { target: 'retrying', actions: ['logFailure', 'noteFailure'] },
      },
    },
    waiting: {
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
          { guard: 'dryRun', target: 'done', actions: [
            'releaseClaim',
            assign({ quote: ({ event }) => event.output, reason: ({ context, event }) => `dry run: would order ${context.count} packs at ${event.output} per pack` }),
            ({ context, event }) => context.input.log.info({ count: context.count, quotePerPack: event.output.toString() }, 'dry run: order not created'),
          ] },
          { target: 'reserving', actions: assign({ quote: ({ event }) => event.output }) },
        ],
        onError: { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
      },
    },
    reserving: {
      invoke: {
        src: 'reserve',
        input: ({ context }) => ({ input: context.input, count: context.count, quote: context.quote }),
        onDone: { target: 'ordering', actions: assign({ reservationId: ({ event }) => event.output.reservationId, held: ({ event }) => event.output.held }) },
        onError: [
          { guard: 'budgetExhausted', target: 'done', actions: ['releaseClaim', assign({ reason: 'budget exhausted' })] },
          { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
        ],
      },
    },
    ordering: {
      invoke: {
        src: 'order',
        input: ({ context }) => ({ input: context.input, count: context.count, quote: context.quote, reservationId: context.reservationId, observedAt: context.observedAt }),
        onDone: { target: 'verifying', actions: assign({ order: ({ event }) => event.output.order, respondedAt: ({ event }) => event.output.respondedAt, quote: ({ event }) => event.output.quote }) },
        onError: [
          { guard: 'outOfStock', target: 'waiting', actions: ['releaseClaim', assign({ left: 0 })] },
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
        // A store that asks for more than it quoted is not paid again by this method in this run.
        onError: { target: 'done', actions: ['logFailure', 'releaseClaim', assign({ reason: ({ event }) => `refused: ${(event.error as Error).message}` })] },
      },
    },
    preparing: {
      invoke: {
        src: 'prepare',
        input: ({ context }) => ({ input: context.input, order: context.order!, reservationId: context.reservationId }),
        onDone: { target: 'recording', actions: assign({ attempt: ({ event }) => event.output }) },
        onError: { target: 'retrying', actions: ['logFailure', 'noteFailure', 'releaseClaim'] },
      },
    },
    recording: {
      invoke: {
        src: 'record',
        input: ({ context }) => ({ input: context.input, order: context.order!, attempt: context.attempt! }),
        onDone: { target: 'sending' },
        // Without an intent on record no money may move: stop this payer.
        onError: { target: 'done', actions: ['logFailure', ({ context }) => context.attempt?.dispose(), assign({ reason: ({ event }) => `ledger write failed: ${(event.error as Error).message}` })] },
      },
    },
    sending: {
      invoke: {
        src: 'send',
        input: ({ context }) => ({ input: context.input, attempt: context.attempt!, respondedAt: context.respondedAt }),
        onDone: { target: 'confirming' },
      },
    },
    confirming: {
      invoke: {
        src: 'confirm',
        input: ({ context }) => ({ input: context.input, order: context.order!, attempt: context.attempt!, reservationId: context.reservationId }),
        onDone: [
          {
            guard: 'wasPaid', target: 'planning',
            actions: [
              'settleClaim',
              assign({ failures: 0 }),
              sendParent(({ context }) => ({ type: 'PAYER.PAID', method: context.input.method, orderId: context.order!.orderId, count: context.order!.count, amount: context.order!.amount }) satisfies PayerReport),
              assign({ order: null, attempt: null }),
            ],
          },
          { guard: 'wasNotPaid', target: 'planning', actions: ['releaseClaim', assign({ order: null, attempt: null, failures: ({ context }) => context.failures + 1 })] },
          // Unknown: the packs stay claimed until reconciliation says what happened.
          { target: 'planning', actions: assign({ order: null, attempt: null, failures: ({ context }) => context.failures + 1 }) },
        ],
        onError: { target: 'done', actions: ['logFailure', assign({ reason: ({ event }) => `ledger write failed: ${(event.error as Error).message}` })] },
      },
    },
    retrying: {
      always: { guard: 'tooManyFailures', target: 'done' },
      after: { retryDelay: 'planning' },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ method: context.input.method, reason: context.reason }),
});
