/** The sniper, root of one run: spawns the limiter and endpoints singletons, one store client per account, one
 *  watcher per target and one purchase per target × account (a target's watcher stopped once all its purchases have
 *  ended); ends when every purchase has ended, or on STOP once the payments in flight have settled (bounded by
 *  STOP_GRACE_MS). Keeps what the watchers report of targets gone blind
 *  (failed-polls.ts) for the summary, and with `stopWhenBlind` stops a blind target's purchases. Talks to: purchases
 *  (STOP out; their outputs in), watchers (WATCH_FAILING / WATCH_RECOVERED in). */
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom, type AnyActorRef } from 'xstate';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Currency, Units } from '../money.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PaymentMethod } from '../plugins/payment.js';
import { StoreClient } from '../store/store-client.js';
import { authId, authMachine, tokenProvider } from './auth.js';
import { tokenSourceOf, WEB_APP_LOGIN_TIMEOUT_MS, type RunAccount } from './run-accounts.js';
import { endpointResolver, endpointsLogic, flushEndpoints, responseReader } from './endpoints.js';
import { flushLimiter, limiterGate, limiterLogic, limiterPollPace, type LimiterInput, type LimiterSettings } from './limiter.js';
import { purchaseMachine, type PurchaseInput, type PurchaseOutput } from './purchase.js';
import type { RetryPolicy } from './purchase.js';
import type { RunMetrics } from './run-metrics.js';
import { watcherLogic, type WatcherInput } from './watcher.js';
import type { BlindTarget, WatchReport } from './failed-polls.js';
import {
  countWatchers, purchaseId, releaseWatcher, spawnTarget, targetEnded, targetKey, type RunTarget, type RunWiring,
} from './target-actors.js';
import { listingWatcherLogic, type ListingReport, type SnipeSetup } from '../snipe/listing-watcher.js';
import type { UnknownPayments } from './unknown-payments.js';
import type { RunEventSink } from '../events/run-events.js';

export type { AccountLogin, RunAccount } from './run-accounts.js';
export type { RunTarget } from './target-actors.js';

export interface SniperInput {
  readonly accounts: readonly RunAccount[];
  readonly targets: readonly RunTarget[];
  readonly payments: readonly PaymentMethod[];
  readonly budget: Partial<Record<Currency, Units>>;
  readonly store: { readonly baseUrl: string; readonly mirrors: readonly string[]; readonly userAgent: string; readonly timeoutMs: number };
  /** The profile's limiter settings, and the watchers' poll interval and the limit after which a target whose polls
   *  keep failing is blind (failed-polls.ts; DEFAULT_BLIND_LIMIT without them). */
  readonly limits: LimiterSettings & Pick<LimiterInput, 'pools'> & { readonly pollIntervalMs: number; readonly blindAfterPolls?: number; readonly blindAfterMs?: number };
  /** The config's `stopWhenBlind`: a blind target's purchases stop. */
  readonly stopWhenBlind?: boolean;
  readonly policy: RetryPolicy;
  readonly ledger: Ledger;
  readonly metrics: RunMetrics;
  readonly log: Logger;
  readonly dispatcher: Dispatcher;
  readonly dryRun: boolean;
  /** The run's in-run reconciliation of unknown payments, handed to every payer. */
  readonly unknownPayments?: UnknownPayments;
  /** Snipe mode: the listing watcher is spawned, and the run goes on until stopped (new drops may come any time). */
  readonly snipe?: SnipeSetup;
  /** The run's events (core/events/), handed to the actors that emit them. */
  readonly events?: RunEventSink;
}

export type SniperEvent =
  /** From the CLI on SIGINT/SIGTERM or a deadline. */
  | { type: 'STOP'; reason: string }
  /** From xstate when a child ends; for a purchase its output says how. */
  | { type: `xstate.done.actor.${string}`; output: unknown }
  /** From a watcher whose polls keep failing, or that reads its target again after they did. */
  | WatchReport
  /** From the listing watcher: targets a snipe filter matched (spawned like configured ones), a dry run's preview. */
  | ListingReport;

/** What the run ends with. */
export interface SniperOutput {
  outcomes: PurchaseOutcome[];
  stopReason: string | null;
  /** Targets that went blind during the run (failed-polls.ts). */
  blind: BlindTarget[];
  /** Targets snipe filters armed during the run. */
  sniped: RunTarget[];
  /** A dry run's look at what the filters would buy of what is listed (empty otherwise). */
  snipePreview: string[];
}

/** How one purchase ended (its output). */
export type PurchaseOutcome = PurchaseOutput;

interface SniperContext {
  readonly input: SniperInput;
  /** Every purchase spawned so far (snipe mode adds some during the run). */
  purchaseIds: readonly string[];
  /** What every target's actors use, built at the start. */
  wiring: RunWiring | null;
  sniped: RunTarget[];
  snipePreview: string[];
  outcomes: PurchaseOutcome[];
  stopReason: string | null;
  children: AnyActorRef[];
  /** Per target key, the targets reported blind. */
  blind: Record<string, BlindTarget>;
}

/** How long the end of a run waits for the limiter's state to be written. */
export const FLUSH_LIMIT_MS = 3_000;

/** How long a stopping run waits for payments in flight to settle. */
export const STOP_GRACE_MS = 30_000;

export { purchaseId, targetKey } from './target-actors.js';

export const sniperMachine = setup({
  types: {
    context: {} as SniperContext,
    events: {} as SniperEvent,
    input: {} as SniperInput,
    output: {} as SniperOutput,
  },
  actors: {
    // The limiter's and the endpoints' state, written before the ledger closes (their writes are paced during the run).
    flush: fromPromise<void>(async ({ system }) => {
      await Promise.all([flushLimiter(system.get('limiter')), flushEndpoints(system.get('endpoints'))]);
    }),
    limiter: limiterLogic,
    endpoints: endpointsLogic,
    auth: authMachine,
    watcher: watcherLogic,
    purchase: purchaseMachine,
    listing: listingWatcherLogic,
  },
  actions: {
    /** Spawns the singletons first: store clients are built on them, then the purchases and watchers that use the clients. */
    spawnRun: assign(({ context, spawn }) => {
      const { input } = context;
      const limiter = spawn('limiter', {
        id: 'limiter', systemId: 'limiter',
        input: { ...input.limits, store: input.ledger.limiter, log: input.log.child({ actor: 'limiter' }), events: input.events },
      });
      const endpoints = spawn('endpoints', {
        id: 'endpoints', systemId: 'endpoints',
        input: { primary: input.store.baseUrl, mirrors: input.store.mirrors, saved: input.ledger.endpointStats, log: input.log.child({ actor: 'endpoints' }) },
      });
      const gate = limiterGate(limiter);
      const resolver = endpointResolver(endpoints);
      const responses = responseReader(endpoints);
      const limiterPace = limiterPollPace(limiter, input.limits.pollIntervalMs);
      // An account behind a proxy is paced by that proxy's `ip:` pool, not the direct one.
      const pace = (account: string): Promise<number> => limiterPace(account, input.accounts.find((a) => a.name === account)?.route?.proxy?.shown);
      // Each watcher polls through every account of its target; an account's pace is shared by the watchers using it.
      const sharedBy = new Map<string, number>();
      countWatchers(sharedBy, input.targets);
      // The listing is polled through every account some filter buys with, in turn: one more sharer of each.
      const listingAccounts = input.snipe ? [...new Set(input.snipe.filters.flatMap((f) => f.buying.accounts))] : [];
      countWatchers(sharedBy, [{ accounts: listingAccounts }]);
      const children: AnyActorRef[] = [limiter, endpoints];
      const clients = new Map<string, StoreClient>();
      for (const a of input.accounts) {
        // The source asks for the client only when it needs a token, by which time the client exists.
        const source = tokenSourceOf(a.login, a.name, () => clients.get(a.name)!);
        const auth = spawn('auth', {
          id: authId(a.name), systemId: authId(a.name),
          input: {
            account: a.name, source, log: input.log.child({ actor: 'auth' }),
            // A web-app login may have to connect to Telegram and wait out a flood wait before the store call.
            ...(a.login.kind === 'web-app' ? { obtainTimeoutMs: WEB_APP_LOGIN_TIMEOUT_MS } : {}),
          },
        });
        children.push(auth);
        clients.set(a.name, new StoreClient({
          account: a.name, token: tokenProvider(auth), gate, endpoints: resolver, responses, dispatcher: a.route?.dispatcher ?? input.dispatcher,
          ...(a.route?.proxy === undefined ? {} : { proxy: a.route.proxy }),
          userAgent: input.store.userAgent, timeoutMs: input.store.timeoutMs,
        }));
      }
      const wiring: RunWiring = { clients, pace, sharedBy };
      const spawners = {
        purchase: (id: string, i: PurchaseInput) => spawn('purchase', { id, systemId: id, input: i }),
        watcher: (id: string, i: WatcherInput) => spawn('watcher', { id, systemId: id, input: i }),
      };
      for (const t of input.targets) children.push(...spawnTarget(t, input, wiring, spawners).children);
      if (input.snipe) {
        children.push(spawn('listing', {
          id: 'listing', systemId: 'listing',
          input: {
            ...input.snipe, pollers: listingAccounts.map((a) => ({ account: a, store: clients.get(a)! })), pace,
            sharedBy: (a: string) => sharedBy.get(a) ?? 1, pollIntervalMs: input.limits.pollIntervalMs, dryRun: input.dryRun, log: input.log.child({ actor: 'listing' }),
            events: input.events,
          },
        }));
      }
      return { children, wiring };
    }),
    /** Targets a snipe filter matched: spawned as a configured target is, each key once. */
    armSniped: assign(({ context, event, spawn }) => {
      if (event.type !== 'SNIPE_ARM' || context.wiring === null) return {};
      const armed = new Set(context.purchaseIds.map((id) => id.split(':').slice(1, 3).join(':')));
      const fresh = event.targets.filter((t) => !armed.has(targetKey(t)));
      if (fresh.length === 0) return {};
      countWatchers(context.wiring.sharedBy, fresh);
      const spawners = {
        purchase: (id: string, i: PurchaseInput) => spawn('purchase', { id, systemId: id, input: i }),
        watcher: (id: string, i: WatcherInput) => spawn('watcher', { id, systemId: id, input: i }),
      };
      const children = [...context.children];
      const ids = [...context.purchaseIds];
      for (const t of fresh) {
        const spawned = spawnTarget(t, context.input, context.wiring, spawners);
        children.push(...spawned.children);
        ids.push(...spawned.purchaseIds);
        context.input.log.info({ target: targetKey(t), packs: t.packs, methods: t.methods, accounts: t.accounts }, 'target armed (snipe)');
      }
      return { children, purchaseIds: ids, sniped: [...context.sniped, ...fresh] };
    }),
    notePreview: assign(({ event }) => (event.type === 'SNIPE_PREVIEW' ? { snipePreview: [...event.lines] } : {})),
    noteOutcome: assign(({ context, event }) => {
      const out = (event as { output?: PurchaseOutput }).output;
      return out ? { outcomes: [...context.outcomes, { purchaseId: out.purchaseId, outcome: out.outcome, reason: out.reason }] } : {};
    }),
    /** The last purchase of a target ended: its watcher stops, and its accounts' pace is left to the other watchers. */
    stopEndedWatcher: enqueueActions(({ context, event, enqueue, self }) => {
      const out = (event as { output?: PurchaseOutput }).output;
      const over = new Set(context.outcomes.map((o) => o.purchaseId));
      const ended = out && context.wiring ? targetEnded(out.purchaseId, context.purchaseIds, over) : null;
      if (ended === null || context.wiring === null || self.getSnapshot().children[ended.watcherId] === undefined) return;
      enqueue.stopChild(ended.watcherId);
      releaseWatcher(context.wiring.sharedBy, ended.accounts);
      context.input.log.info({ watcher: ended.watcherId, accounts: ended.accounts }, 'target ended: its watcher stopped');
    }),
    stopPurchases: enqueueActions(({ context, enqueue }) => {
      // A purchase that has ended is gone (a snipe run keeps running after some have).
      const ended = new Set(context.outcomes.map((o) => o.purchaseId));
      for (const id of context.purchaseIds) if (!ended.has(id)) enqueue.sendTo(id, { type: 'STOP' });
    }),
    /** A blind target is kept (its latest report); one seen again stays in the summary as "was blind". */
    noteWatch: assign(({ context, event }) => {
      const r = event as WatchReport;
      // A warning before the limit (or one after the target was seen again) is not blindness: the log has it.
      if (!r.blind) return {};
      const blindAtEnd = r.type === 'WATCH_FAILING';
      const entry: BlindTarget = { target: r.target, failures: r.failures, since: r.since, until: Date.now(), cause: r.cause, blindAtEnd };
      return { blind: { ...context.blind, [r.target]: entry } };
    }),
    /** `stopWhenBlind`: the blind target's purchases stop (payments in flight settle first, as on any STOP). */
    stopBlindTarget: enqueueActions(({ context, event, enqueue }) => {
      const r = event as WatchReport;
      context.input.log.error({ target: r.target }, 'target blind: stopping its purchases (stopWhenBlind)');
      for (const id of context.purchaseIds.filter((p) => p.startsWith(`purchase:${r.target}:`))) enqueue.sendTo(id, { type: 'STOP' });
    }),
  },
  guards: {
    isPurchase: ({ event }) => typeof (event as { output?: PurchaseOutput }).output?.purchaseId === 'string',
    allReported: ({ context }) => context.outcomes.length >= context.purchaseIds.length,
    // Snipe mode runs until stopped: a new drop may come at any time.
    noPurchases: ({ context }) => context.purchaseIds.length === 0 && context.input.snipe === undefined,
    stopsWhenBlind: ({ context, event }) =>
      context.input.stopWhenBlind === true && event.type === 'WATCH_FAILING' && event.blind && context.blind[event.target]?.blindAtEnd !== true,
    lastPurchase: ({ context, event }) =>
      context.input.snipe === undefined &&
      typeof (event as { output?: PurchaseOutput }).output?.purchaseId === 'string' && context.outcomes.length + 1 >= context.purchaseIds.length,
  },
}).createMachine({
  id: 'sniper',
  context: ({ input }) => ({
    input,
    purchaseIds: input.targets.flatMap((t) => t.accounts.map((a) => purchaseId(t, a))),
    outcomes: [],
    stopReason: null,
    children: [],
    blind: {},
    wiring: null,
    sniped: [],
    snipePreview: [],
  }),
  // In every state: a watcher may report until the run's last moment.
  on: {
    WATCH_FAILING: [{ guard: 'stopsWhenBlind', actions: ['stopBlindTarget', 'noteWatch'] }, { actions: 'noteWatch' }],
    WATCH_RECOVERED: { actions: 'noteWatch' },
    SNIPE_PREVIEW: { actions: 'notePreview' },
  },
  initial: 'running',
  states: {
    running: {
      entry: 'spawnRun',
      always: { guard: 'noPurchases', target: 'flushing' },
      on: {
        'xstate.done.actor.*': [
          { guard: 'lastPurchase', target: 'flushing', actions: 'noteOutcome' },
          { guard: 'isPurchase', actions: ['noteOutcome', 'stopEndedWatcher'] },
        ],
        STOP: { target: 'stopping', actions: [assign({ stopReason: ({ event }) => event.reason }), 'stopPurchases'] },
        SNIPE_ARM: { actions: 'armSniped' },
      },
    },
    /** Payers finish a payment being sent or confirmed before they end; the grace keeps a stuck one from holding the
     *  run (its intent stays open in the ledger and is reconciled at the next start). */
    stopping: {
      always: { guard: 'allReported', target: 'flushing' },
      on: { 'xstate.done.actor.*': { guard: 'isPurchase', actions: ['noteOutcome', 'stopEndedWatcher'] } },
      after: { [STOP_GRACE_MS]: 'flushing' },
    },
    /** The limiter's state (a ban window, an open breaker) and the endpoint stats are written before the run ends and the
     *  ledger closes. */
    flushing: {
      invoke: { src: 'flush', onDone: 'finished', onError: 'finished' },
      after: { [FLUSH_LIMIT_MS]: 'finished' },
    },
    finished: { type: 'final' },
  },
  output: ({ context }) => ({
    outcomes: context.outcomes, stopReason: context.stopReason,
    // A target still blind was blind up to the end of the run.
    blind: Object.values(context.blind).map((b) => (b.blindAtEnd ? { ...b, until: Date.now() } : b)),
    sniped: context.sniped, snipePreview: context.snipePreview,
  }),
});

export type SniperRef = ActorRefFrom<typeof sniperMachine>;
