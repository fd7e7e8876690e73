/** The purchase lifecycle for one target and one account: arms (ledger row, each method's prewarm, then one payer per
 *  method spawned and claiming its first order before the drop), waits for stock, then buys through its payers, in
 *  parallel, until the target count is reached, stock or budget runs out, or the run stops. Under `cheapest` the
 *  payers are spawned only once stock shows (the methods are ranked by the prices it brings). Talks to: watcher (STOCK/SOLD_OUT in, POLL_NOW out), payers (PAYER.*
 *  and their outputs in; STOCK, SOLD_OUT, STOP out), the ledger; its output reaches the sniper when it ends. */
import { setTimeout as sleep } from 'node:timers/promises';
import { and, assign, enqueueActions, fromPromise, setup } from 'xstate';
import { AutomintError, isPermanent, retryAtOf } from '../errors.js';
import type { Logger } from 'pino';
import type { Currency, Units } from '../money.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PaymentAccount, PaymentMethod, TargetSpec } from '../plugins/payment.js';
import { payerMachine, type PayerInput, type PayerOutput, type PayerPolicy, type PayerReport } from './payer.js';
import { rankMethods } from './method-ranking.js';
import type { RunMetrics } from './run-metrics.js';
import type { TargetQuota } from './target-quota.js';
import type { UnknownPayments } from './unknown-payments.js';
import type { RunEventSink } from '../events/run-events.js';
import { emitLoginNeeded } from '../events/login-needed.js';

/** The payer policy fields that do not depend on the payment method. */
export type RetryPolicy = Omit<PayerPolicy, 'toleranceBps' | 'expiryMarginMs' | 'feeAllowance'>;

export interface PurchaseInput {
  /** `purchase:<collection>:<character>:<account>`. */
  readonly purchaseId: string;
  readonly account: PaymentAccount;
  readonly target: TargetSpec & { readonly packsWanted: number; readonly maxPricePerPack: Partial<Record<Currency, Units>> };
  readonly methods: readonly PaymentMethod[];
  /** The target's pack quota, shared with the other accounts' purchases of the same target. */
  readonly quota: TargetQuota;
  readonly ledger: Ledger;
  /** Budget limits per currency; a currency without one cannot be spent. */
  readonly budget: Partial<Record<Currency, Units>>;
  /** This account's own limits per currency (across its targets), where set. */
  readonly accountBudget?: Partial<Record<Currency, Units>>;
  /** This target's own limits per currency (across its accounts), where set. */
  readonly targetBudget?: Partial<Record<Currency, Units>>;
  /** Retry policy; each method's own order policy (tolerance, expiry margin, fee allowance) is added per payer. */
  readonly policy: RetryPolicy;
  /** systemId of the target's watcher, asked for a fresh look when an order is refused for stock. */
  readonly watcherId: string;
  readonly metrics: RunMetrics;
  readonly log: Logger;
  readonly dryRun: boolean;
  /** How the methods share the packs (`split` shares live in the quota). */
  readonly split: { readonly policy: SplitPolicy; readonly starsPerTon?: bigint };
  /** The run's in-run reconciliation, handed to every payer. */
  readonly unknownPayments?: UnknownPayments;
  /** The run's events, handed to every payer; an arming that needs a new login is told there. */
  readonly events?: RunEventSink;
}

/** `race`: every method buys at once; `cheapest`: one at a time, cheapest first, the next when one fails; `split`:
 *  every method at once, each within its share. */
export type SplitPolicy = 'race' | 'cheapest' | 'split';

/** Payer endings that are not failures: under `cheapest` the next method takes over only after a failure. */
const NOT_A_FAILURE = new Set(['target reached', 'sold out', 'stopped', 'share reached']);

export type PurchaseEvent =
  /** From the watcher, after every poll that finds the character on sale. */
  | { type: 'STOCK'; left: number; observedAt: number }
  /** From the watcher, when the character is sold out. */
  | { type: 'SOLD_OUT' }
  /** From the sniper, when the run stops. */
  | { type: 'STOP' }
  | PayerReport
  /** From xstate when a payer child ends; its output says why. */
  | { type: `xstate.done.actor.${string}`; output: PayerOutput };

/** How a purchase ended: its output, which the sniper receives as `xstate.done.actor.<purchaseId>`. */
export type PurchaseOutput = { purchaseId: string; outcome: 'done' | 'failed' | 'stopped'; reason: string };

interface PurchaseContext {
  readonly input: PurchaseInput;
  left: number;
  soldOut: boolean;
  stopped: boolean;
  observedAt: number;
  payersRunning: number;
  reasons: string[];
  failure: string | null;
  /** Method ids in the order they buy (cheapest first under `cheapest`; all at once otherwise). */
  order: string[];
  /** How many of `order` have been spawned. */
  spawned: number;
  /** Methods whose payer has ended. */
  ended: string[];
}

/** The payer's child id (also its systemId) for one method of one purchase. */
export const payerId = (method: string, purchaseId: string): string => `pay:${method}:${purchaseId}`;

/** How long arming waits before asking again for a token the store or Telegram could not give yet. */
const LOGIN_RETRY_MS = 5_000;

/** The account's store token, obtained while arming so the drop does not wait for a login. A failure that only a
 *  person can fix (a refused login, no session, an expired pasted token) fails arming; a passing one (the store busy
 *  or unreachable) is tried again until it works or the run stops. */
async function warmUpLogin(input: PurchaseInput, signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      return await input.account.store.warmUp(signal);
    } catch (e) {
      if (isPermanent(e) || signal.aborted) throw e;
      input.log.warn({ err: e }, 'no store token yet; trying again');
      await sleep(Math.max(LOGIN_RETRY_MS, (retryAtOf(e) ?? 0) - Date.now()), undefined, { signal });
    }
  }
}

/** The methods from cheapest to dearest, for the `cheapest` policy. */
const rankLogic = fromPromise<string[], PurchaseInput>(async ({ input, signal }) => {
  const ranked = await rankMethods(
    input.methods.map((m) => ({ id: m.id, currency: m.currency, quote: (t, s) => m.steps(input.account).quote(t, s) })),
    input.target, input.split.starsPerTon, signal,
  );
  input.log.info({ order: ranked.order, pricesInNanoStars: ranked.prices }, 'methods ranked by price per pack');
  return ranked.order;
});

/** Ledger row and prewarm of every method for this account. */
const armLogic = fromPromise<string[], PurchaseInput>(async ({ input, signal }) => {
  await input.ledger.purchases.ensure({
    id: input.purchaseId, collection: input.target.collection, character: input.target.character,
    account: input.account.name, packsWanted: input.target.packsWanted,
  });
  await input.ledger.purchases.setState(input.purchaseId, 'arming');
  const [, ...prepared] = await Promise.all([warmUpLogin(input, signal), ...input.methods.map((m) => prepareMethod(input, m, signal))]);
  const armed = input.methods.filter((_m, i) => prepared[i]).map((m) => m.id);
  if (armed.length === 0) throw new AutomintError('NO_METHOD_ARMED', `no payment method could be prepared for account ${input.account.name} (see the errors above)`, { account: input.account.name });
  await input.ledger.purchases.setState(input.purchaseId, 'armed');
  return armed;
});

/** Tries a passing failure of a method's prewarm this many times before leaving the method out of the purchase. */
const PREPARE_TRIES = 3;

/** Prewarms one method; false when it cannot be used by this purchase (the others go on without it). */
async function prepareMethod(input: PurchaseInput, method: PaymentMethod, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await method.prepare(input.account, signal);
      return true;
    } catch (e) {
      if (signal.aborted) throw e;
      if (isPermanent(e) || attempt >= PREPARE_TRIES) {
        if (input.events) emitLoginNeeded(input.events, input.account.name, e, input.log);
        input.log.error({ err: e, method: method.id }, `payment method ${method.id} is left out of this purchase: ${(e as Error).message}`);
        return false;
      }
      input.log.warn({ err: e, method: method.id, attempt }, 'payment method not ready; trying again');
      await sleep(Math.max(1_000, (retryAtOf(e) ?? 0) - Date.now()), undefined, { signal });
    }
  }
}

/** The store's unpaid-order limit for `method`, read from the account's (cached) shop settings, when the method says
 *  which setting it is. */
function unpaidLimitOf(method: PaymentMethod, account: PaymentAccount): { unpaidLimit?: () => Promise<number> } {
  const read = method.orderPolicy.unpaidOrdersLimit;
  return read === undefined ? {} : { unpaidLimit: async () => read(await account.store.settings()) };
}

/** What spawning a payer needs of enqueueActions. */
interface PayerSpawner {
  spawnChild(src: 'payer', options: { id: string; systemId: string; input: PayerInput }): void;
  assign(values: Partial<PurchaseContext>): void;
}

/** Spawns the next payers: under `cheapest` one method at a time, otherwise all of them at once. */
function spawnPayers(context: PurchaseContext, enqueue: PayerSpawner): void {
  const { input } = context;
  const next = input.split.policy === 'cheapest' ? context.order.slice(context.spawned, context.spawned + 1) : context.order.slice(context.spawned);
  for (const method of next.map((id) => input.methods.find((m) => m.id === id)!)) {
    const id = payerId(method.id, input.purchaseId);
    enqueue.spawnChild('payer', {
      id, systemId: id,
      input: {
        purchaseId: input.purchaseId, account: input.account.name, method: method.id, currency: method.currency,
        target: { key: input.target.key, collection: input.target.collection, character: input.target.character, maxPricePerPack: input.target.maxPricePerPack[method.currency] ?? null },
        steps: method.steps(input.account), quota: input.quota, ledger: input.ledger,
        budget: input.budget[method.currency] ?? 0n,
        accountBudget: input.accountBudget?.[method.currency], targetBudget: input.targetBudget?.[method.currency],
        ...unpaidLimitOf(method, input.account),
        policy: { ...input.policy, ...method.orderPolicy, maxPerOrder: Math.min(input.policy.maxPerOrder, method.orderPolicy.maxPerOrder ?? input.policy.maxPerOrder) }, metrics: input.metrics, log: input.log.child({ method: method.id }), dryRun: input.dryRun,
        left: context.left, observedAt: context.observedAt, unknownPayments: input.unknownPayments, events: input.events,
        // Spawned before any stock (the purchase is armed): claim ahead and wait for the drop.
        armAhead: input.split.policy !== 'cheapest',
      },
    });
  }
  enqueue.assign({ payersRunning: context.payersRunning + next.length, spawned: context.spawned + next.length });
  if (context.spawned > 0) input.log.info({ method: next[0] }, 'falling back to the next method');
}

export const purchaseMachine = setup({
  types: {
    context: {} as PurchaseContext,
    events: {} as PurchaseEvent,
    input: {} as PurchaseInput,
    output: {} as PurchaseOutput,
  },
  actors: { arm: armLogic, rank: rankLogic, payer: payerMachine },
  guards: {
    lastPayer: ({ context }) => context.payersRunning <= 1,
    stockSeen: ({ context }) => context.left > 0,
    soldOut: ({ context }) => context.soldOut,
    stopped: ({ context }) => context.stopped,
    noPayers: ({ context }) => context.spawned === 0,
    targetReached: ({ context }) => context.input.quota.reached,
    mustRank: ({ context }) => context.input.split.policy === 'cheapest' && context.order.length > 1,
    /** Under `cheapest`, a method that failed hands over to the next one while packs are still wanted. */
    fallBack: ({ context, event }) => {
      const output = (event as { output?: PayerOutput }).output;
      return context.input.split.policy === 'cheapest' && context.payersRunning <= 1 && context.spawned < context.order.length
        && !context.stopped && !context.soldOut && !context.input.quota.reached && output !== undefined && !NOT_A_FAILURE.has(output.reason);
    },
  },
  actions: {
    noteStock: assign(({ event }) =>
      event.type === 'STOCK' ? { left: event.left, observedAt: event.observedAt, soldOut: event.left === 0 } : event.type === 'SOLD_OUT' ? { left: 0, soldOut: true } : {},
    ),
    noteStop: assign({ stopped: true }),
    /** At arming (every policy but `cheapest`, which ranks the methods first): the payers claim their first order and
     *  wait for the drop. */
    spawnArmedPayers: enqueueActions(({ context, enqueue }) => {
      if (context.input.split.policy !== 'cheapest' && context.spawned === 0) spawnPayers(context, enqueue);
    }),
    /** On stock, under `cheapest`: the cheapest method's payer. */
    spawnFirstPayers: enqueueActions(({ context, enqueue }) => {
      if (context.spawned === 0) spawnPayers(context, enqueue);
    }),
    /** Under `cheapest`, the next method after one failed. */
    spawnPayers: enqueueActions(({ context, enqueue }) => spawnPayers(context, enqueue)),
    noteRanking: assign({ order: ({ event }) => (event as unknown as { output: string[] }).output }),
    forwardToPayers: enqueueActions(({ context, event, enqueue }) => {
      // Only to payers still running: an ended one would only log that it got an event.
      for (const id of context.order.slice(0, context.spawned)) {
        if (!context.ended.includes(id)) enqueue.sendTo(payerId(id, context.input.purchaseId), event);
      }
    }),
    askWatcher: ({ context, system }) => system.get(context.input.watcherId)?.send({ type: 'POLL_NOW' }),
    logPaid: ({ context, event }) => {
      if (event.type === 'PAYER.PAID') context.input.log.info({ method: event.method, orderId: event.orderId, count: event.count }, 'payer paid an order');
    },
    notePayerDone: assign(({ context, event }) => {
      const output = (event as { output?: PayerOutput }).output;
      return {
        payersRunning: context.payersRunning - 1,
        reasons: output ? [...context.reasons, `${output.method}: ${output.reason}`] : context.reasons,
        ended: output ? [...context.ended, output.method] : context.ended,
      };
    }),
    noteArmingFailure: assign({ failure: ({ event }) => `arming failed: ${String((event as { error?: { message?: string } }).error?.message)}` }),
    logArmingFailure: ({ context, event }) => {
      const error = (event as { error?: unknown }).error;
      context.input.log.error({ err: error }, 'arming failed');
      if (context.input.events) emitLoginNeeded(context.input.events, context.input.account.name, error, context.input.log);
    },
    recordEnd: ({ context }) => {
      void context.input.ledger.purchases.setState(context.input.purchaseId, context.failure ? 'failed' : 'done').catch((e: unknown) =>
        context.input.log.error({ err: e }, 'could not record the end of the purchase'));
    },
    /** Payers that ended before any stock showed end the purchase as it would have ended without them. */
    endArmed: assign(({ context }) => (context.soldOut ? { reasons: ['sold out before buying'] } : context.stopped ? { reasons: [] } : {})),
  },
}).createMachine({
  id: 'purchase',
  context: ({ input }) => ({
    input, left: 0, soldOut: false, stopped: false, observedAt: 0, payersRunning: 0, reasons: [], failure: null,
    order: input.methods.map((m) => m.id), spawned: 0, ended: [],
  }),
  initial: 'arming',
  states: {
    arming: {
      invoke: {
        src: 'arm',
        input: ({ context }) => context.input,
        // Only the methods that could be prepared buy.
        onDone: { target: 'armed', actions: assign({ order: ({ event }) => event.output }) },
        onError: { target: 'done', actions: ['noteArmingFailure', 'logArmingFailure'] },
      },
      // What the watcher sees while arming is kept, so buying starts the moment arming ends. An account whose arming
      // keeps failing on something passing (its proxy or Telegram unreachable) is tried until the run stops, unless
      // the others bought the whole target or the drop sold out meanwhile: then there is nothing left to arm for.
      on: {
        STOCK: [
          { guard: 'targetReached', target: 'done', actions: assign({ reasons: ['target reached by the other accounts while this one armed'] }) },
          { actions: 'noteStock' },
        ],
        SOLD_OUT: { target: 'done', actions: ['noteStock', assign({ reasons: ['sold out before buying'] })] },
        STOP: { target: 'done', actions: 'noteStop' },
      },
    },
    armed: {
      // The payers wait for the drop here, their first order claimed (payer.ts `armed`).
      entry: 'spawnArmedPayers',
      always: [
        { guard: and(['soldOut', 'noPayers']), target: 'done', actions: assign({ reasons: ['sold out before buying'] }) },
        { guard: and(['stockSeen', 'mustRank']), target: 'ranking' },
        { guard: 'stockSeen', target: 'buying' },
      ],
      on: {
        STOCK: { actions: ['noteStock', 'forwardToPayers'] },
        // Armed payers release their claims and end; the purchase ends with the last of them.
        SOLD_OUT: { actions: ['noteStock', 'forwardToPayers'] },
        STOP: [{ guard: 'noPayers', target: 'done', actions: 'noteStop' }, { actions: ['noteStop', 'forwardToPayers'] }],
        'xstate.done.actor.*': [
          { guard: 'lastPayer', target: 'done', actions: ['notePayerDone', 'endArmed'] },
          { actions: 'notePayerDone' },
        ],
      },
    },
    ranking: {
      invoke: {
        src: 'rank',
        input: ({ context }) => ({ ...context.input, methods: context.input.methods.filter((m) => context.order.includes(m.id)) }),
        // A sell-out seen while ranking ends the purchase as it would have before buying.
        onDone: [
          { guard: 'soldOut', target: 'done', actions: assign({ reasons: ['sold out before buying'] }) },
          { target: 'buying', actions: 'noteRanking' },
        ],
        // Without prices the configured order stands: buying must not wait on a price lookup.
        onError: [
          { guard: 'soldOut', target: 'done', actions: assign({ reasons: ['sold out before buying'] }) },
          { target: 'buying' },
        ],
      },
      on: {
        STOCK: { actions: 'noteStock' },
        SOLD_OUT: { actions: 'noteStock' },
        STOP: { target: 'done', actions: 'noteStop' },
      },
    },
    buying: {
      // The purchase row moves to buying with its first order (Ledger.recordOrder), not here: nothing is written between
      // the stock report and the order request that safety does not need.
      entry: 'spawnFirstPayers',
      on: {
        STOCK: { actions: ['noteStock', 'forwardToPayers'] },
        SOLD_OUT: { actions: ['noteStock', 'forwardToPayers'] },
        // Payers finish a payment in flight before they end; the purchase ends when they have.
        STOP: { actions: ['noteStop', 'forwardToPayers'] },
        'PAYER.PAID': { actions: 'logPaid' },
        'PAYER.OUT_OF_STOCK': { actions: 'askWatcher' },
        'xstate.done.actor.*': [
          { guard: 'fallBack', actions: ['notePayerDone', 'spawnPayers'] },
          { guard: 'lastPayer', target: 'done', actions: 'notePayerDone' },
          { actions: 'notePayerDone' },
        ],
      },
    },
    done: {
      type: 'final',
      entry: 'recordEnd',
    },
  },
  output: ({ context }): PurchaseOutput => ({
    purchaseId: context.input.purchaseId,
    outcome: context.failure ? 'failed' : context.stopped ? 'stopped' : 'done',
    reason: context.failure ?? (context.reasons.join('; ') || (context.stopped ? 'stopped' : '')),
  }),
});
