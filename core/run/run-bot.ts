/** One run of the bot: ledger, plugins, reconciliation, then the sniper actor system until every purchase ends or
 *  the run is stopped; returns the summary. Shared by `automint run` and `automint demo`. */
import 'reflect-metadata';
import path from 'node:path';
import { Agent } from 'undici';
import { AccountRoutes } from './account-routes.js';
import { WarmSockets } from '../store/warm-sockets.js';
import { startWarmUps, type WarmUps } from './warm-up.js';
import { createActor, toPromise } from 'xstate';
import { context as otelContext, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { AutomintConfig } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import { profileSettings, type ProfileSettings } from '../config/profiles.js';
import { secretValues } from '../config/redact.js';
import { openLedger } from '../ledger/database.js';
import { registerSecrets } from '../telemetry/secret-registry.js';
import { createActorInspector } from '../telemetry/actor-spans.js';
import { Attr } from '../telemetry/attributes.js';
import type { Tracing } from '../telemetry/tracing.js';
import { RunMetrics } from '../actors/run-metrics.js';
import { sniperMachine, type AccountLogin, type SniperInput } from '../actors/sniper.js';
import { configuredTargets, snipeSetup } from './run-targets.js';
import type { WebAppLogin } from '../plugins/web-app-login.js';
import { loadRunPlugins, type RunPlugins } from './run-plugins.js';
import { firstWave, waveOverIp } from './ip-wave.js';
import { ipLimit, MAX_PACKS_PER_ORDER, storePools, type PerIpLimit } from '../store/rate-pools.js';
import { AutomintError } from '../errors.js';
import { reconcileOpenIntents } from './reconcile.js';
import { InRunReconciliation, type InRunTiming } from './in-run-reconciliation.js';
import { describeHeld } from '../actors/unknown-payments.js';
import { checkCampaign } from './campaign.js';
import { lockDataDir } from './data-dir-lock.js';
import { prepareDataDir, refuseMovedLedger } from './data-dir.js';
import { summarize, type RunSummary } from './summary.js';
import { actorAttributes } from './actor-attributes.js';
import { RunEvents } from '../events/run-events.js';
import { startNotifiers, type RunNotifiers } from './run-notifiers.js';
import { emitReconciled, startedEvent, stoppedEvent, summaryEvent } from './run-event-drafts.js';

export interface RunOptions {
  readonly config: AutomintConfig;
  readonly log: Logger;
  readonly tracing?: Tracing;
  /** `run`, `demo`, … (a span attribute). */
  readonly command: string;
  /** Stops the run (SIGINT/SIGTERM, a deadline). */
  readonly signal?: AbortSignal;
  /** Take a config that changed the ledger's campaign (targets, packs, budgets) as the new campaign. */
  readonly acceptConfigChange?: boolean;
  /** Where the config's relative dataDir pointed when it was read against the working folder (ConfigSource). */
  readonly legacyDataDir?: string;
  /** The cadence and bounds of reconciliation during the run (IN_RUN_RECONCILIATION unless told; tests shorten them). */
  readonly inRunReconciliation?: InRunTiming;
  /** The run's events (core/events/), when the caller subscribes before the run starts (a live view, a test); the
   *  run closes it when it ends, on every way out. A fresh one otherwise, for the notifier plugins. */
  readonly events?: RunEvents;
}

export class RunSetupError extends AutomintError {}

/** The summary of a run, and in a dry run with snipe filters what they would buy of what is listed. */
export type BotSummary = RunSummary & { readonly snipePreview: readonly string[] };

/** The ledger file of a config: dry runs keep their own, so a rehearsal never mixes with real money. */
export function ledgerPath(config: AutomintConfig): string {
  return path.resolve(config.dataDir, config.dryRun ? 'automint-dry-run.db' : 'automint.db');
}

/** What the run's end tells its events' subscribers, filled in as the run goes. */
interface RunEnding {
  notifiers: RunNotifiers | null;
  summary: RunSummary | null;
  /** Closed last, after the notifiers: a plugin's own close releases what its register set up, a notifier's too. */
  plugins: RunPlugins | null;
  /** What ended the run, when it failed (the `run.stopped` event says so). */
  failure: unknown;
  /** The end of the events and plugins, once begun (finishRun). */
  finished: Promise<void> | null;
}

/** Runs the bot to the end and returns its summary. Whatever way it ends, the run's events end with `run.stopped`,
 *  are drained (bounded) and the notifiers and plugins closed — while the ledger is still open and the data dir still
 *  locked (runWithEvents calls finishRun before it lets them go); here only for a run that ended before it took them. */
export async function runBot(opts: RunOptions): Promise<BotSummary> {
  const events = opts.events ?? new RunEvents({ log: opts.log.child({ component: 'run-events' }) });
  const ending: RunEnding = { notifiers: null, summary: null, plugins: null, failure: null, finished: null };
  try {
    return await runWithEvents(opts, events, ending);
  } catch (e) {
    ending.failure ??= e;
    throw e;
  } finally {
    await finishRun(events, ending, opts.log);
  }
}

/** The end of a run's events and plugins, once whoever calls first: `run.stopped` emitted, the events drained
 *  (bounded) and the notifiers closed, then each plugin's own close (bounded). It must come before the ledger closes
 *  and the data dir lock is released: a plugin's close and a notifier's last events may read the ledger, and a second
 *  run must not take the data dir while this one's plugins still work in it. Never rejects. */
function finishRun(events: RunEvents, ending: RunEnding, log: Logger): Promise<void> {
  ending.finished ??= (async () => {
    try {
      events.emit(stoppedEvent(ending.summary, ending.failure));
      await (ending.notifiers?.close() ?? events.close());
      await ending.plugins?.close();
    } catch (e) {
      log.warn({ err: e }, 'could not close the run\'s events or plugins cleanly');
    }
  })();
  return ending.finished;
}

/** The run itself: runBot without the end of its events. */
async function runWithEvents(opts: RunOptions, events: RunEvents, ending: RunEnding): Promise<BotSummary> {
  const { config, log } = opts;
  registerSecrets(secretValues(config));
  // Crash injection for the crash tests (AUTOMINT_CRASH_AT / AUTOMINT_CRASH_RANDOM): loaded only when asked for, and
  // checked before anything is opened, so a mistyped point stops the run with a config error (exit 2).
  const crash = process.env.AUTOMINT_CRASH_AT || process.env.AUTOMINT_CRASH_RANDOM
    ? (await import('./crash-switch.js')).crashSwitchFromEnv(process.env)
    : undefined;
  const profile = profileSettings(config.profile);
  // A data dir that cannot hold the ledger is a config error (exit 2); one writer per ledger: a second run on the same
  // data dir stops here (exit 3) before it opens anything.
  refuseMovedLedger(ledgerPath(config), opts.legacyDataDir);
  prepareDataDir(config.dataDir);
  const lock = lockDataDir(config.dataDir, opts.command);
  if (lock.tookOverFrom) log.warn({ holder: lock.tookOverFrom }, 'took over the data dir lock of a run that is no longer running');
  crash?.arm();
  let ledger: Ledger;
  try {
    ledger = await openLedger(ledgerPath(config));
  } catch (e) {
    crash?.disarm();
    lock.release();
    throw e;
  }
  // One request per connection (no pipelining): as many sockets to the store as calls the IP may have out at once, or
  // a fleet's orders at a drop queue for a socket after the limiter let them go.
  const sockets = new WarmSockets();
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: config.store.perIp.inFlight, connect: sockets.connect });
  const routes = new AccountRoutes(config.accounts, dispatcher, { keepAliveTimeout: 30_000, connections: config.store.perIp.inFlight });
  let warmUps: WarmUps = { stop: () => sockets.close() };
  const rootSpan = opts.tracing?.rootSpan(undefined, { [Attr.runCommand]: opts.command, [Attr.runMode]: config.dryRun ? 'dry-run' : 'live' });
  // Events emitted outside any span (the run's own, at its start and end) carry the run's trace.
  if (rootSpan) events.setRunTraceId(rootSpan.spanContext().traceId);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // A dry run rehearses with its own ledger: whatever it changes there moves no money.
    await checkCampaign(ledger, config, { accept: opts.acceptConfigChange === true || config.dryRun, log });
    const plugins = await loadRunPlugins(config, ledger, log, events.source());
    ending.plugins = plugins;
    const { payments } = plugins;
    try {
      ending.notifiers = await startNotifiers(plugins.notifiers, events, log);
      events.emit(startedEvent(config, opts.command, payments.map((p) => p.id)));
      const logins = await accountLogins(config, plugins.logins).catch((e: unknown) => {
        // An account no login can serve: a person must log it in (or paste a token) before the run can buy.
        if (e instanceof RunSetupError && e.code === 'NO_STORE_LOGIN') {
          const account = String(e.details['account']);
          events.emitOnce(`login:${account}:${e.code}`, { type: 'login.needed', account, code: e.code, reason: e.message });
        }
        throw e;
      });
      const reconciled = await reconcileOpenIntents(ledger, payments, log, stop.signal);
      if (reconciled.length > 0) log.info({ count: reconciled.length }, 'reconciled open intents from an earlier run');
      await emitReconciled(events, ledger, reconciled);
      // Orders that ended before any intent (a crash while verifying or signing) keep no budget or packs held.
      const swept = await ledger.sweepAbandoned(Date.now());
      if (swept.orders.length + swept.reservations.length > 0) log.info({ orders: swept.orders, reservations: swept.reservations }, 'released orders abandoned before payment');

      const targets = await configuredTargets(config, ledger, log);
      // Snipe filters: characters they match during the run are armed by the same builder (run-targets.ts).
      const snipe = snipeSetup(config, ledger, log);
      // Per way out: this machine's address, and each proxy's (accounts naming one proxy share it).
      const routeOf = (account: string): string => routes.of(account).proxy?.shown ?? 'direct';
      const wave = firstWave(targets, routeOf);
      for (const route of new Set(['direct', ...config.accounts.map((a) => routeOf(a.name))])) {
        const overIp = waveOverIp(firstWave(targets, routeOf, route), config.store.perIp, route);
        if (overIp !== null) log.warn({ perIp: config.store.perIp }, overIp);
      }
      // The first wave's connections, opened around each drop's time (never more than may be in flight at once); only
      // for the accounts without a proxy: a proxied account's calls must not leave from this machine's address.
      warmUps = startWarmUps({
        sockets, origin: config.store.baseUrl, count: Math.min(wave, config.store.perIp.inFlight), log,
        dropAts: targets.flatMap((t) => (t.dropAt === undefined ? [] : [t.dropAt])),
      });
      const metrics = new RunMetrics();
      // The same reconciliation, during the run, for unknown payments that hold a payer back (never in a dry run,
      // which pays nothing).
      const unknownPayments = config.dryRun ? undefined : new InRunReconciliation(ledger, payments, log.child({ actor: 'reconciliation' }), stop.signal, opts.inRunReconciliation, events);
      const inspector = opts.tracing && rootSpan
        ? createActorInspector({ tracer: opts.tracing.tracer, rootContext: trace.setSpan(otelContext.active(), rootSpan), attributesFor: actorAttributes })
        : undefined;
      const sniper = createActor(sniperMachine, {
        systemId: 'sniper',
        inspect: crash ? crash.alongside(inspector) : inspector,
        input: {
          accounts: config.accounts.map((a) => ({ name: a.name, wallet: a.wallet, login: logins.get(a.name)!, budget: a.budget, route: routes.of(a.name) })),
          targets, payments, budget: config.budget,
          store: { baseUrl: config.store.baseUrl, mirrors: config.store.mirrors, userAgent: config.store.userAgent, timeoutMs: profile.requestTimeoutMs },
          ...profileInputs(profile, config.store.perIp),
          stopWhenBlind: config.stopWhenBlind,
          ledger, metrics, log, dispatcher, dryRun: config.dryRun, unknownPayments, snipe, events,
        },
      });
      // A stop asked for during setup must not be lost: abort fires once, so check before starting.
      if (stop.signal.aborted) {
        ending.summary = await summarize(ledger, metrics, [], 'stopped before the run started', config);
        events.emit(summaryEvent(ending.summary));
        return { ...ending.summary, snipePreview: [] };
      }
      const onStop = (): void => sniper.send({ type: 'STOP', reason: 'signal' });
      stop.signal.addEventListener('abort', onStop, { once: true });
      // Started inside the root span's context: every async continuation of the run, and so every log line, carries its trace id.
      const runContext = rootSpan ? trace.setSpan(otelContext.active(), rootSpan) : otelContext.active();
      otelContext.with(runContext, () => sniper.start());
      // A disk that refuses the ledger's writes ends the run (exit 1, the reason in the summary): no intent can be
      // recorded, so nothing more may be paid.
      ledger.onStorageFault((fault) => {
        log.error({ err: fault }, 'ledger cannot be written; stopping the run');
        sniper.send({ type: 'STOP', reason: 'the ledger cannot be written' });
      });
      const output = await toPromise(sniper).finally(() => unknownPayments?.close());
      inspector?.endAll();
      await releaseUnusedClaims(ledger, log);
      // What was wanted: the configured targets and the ones snipe filters matched during the run.
      const plan = { targets: [...config.targets, ...output.sniped], dryRun: config.dryRun };
      const summary = { ...await summarize(ledger, metrics, output.outcomes, output.stopReason, plan, output.blind), snipePreview: output.snipePreview };
      ending.summary = summary;
      events.emit(summaryEvent(summary));
      // What the run could not settle, each with why, for whoever reads the log rather than the summary.
      if (summary.held.length > 0) log.error({ held: summary.held.map(describeHeld) }, `${summary.held.length} payment(s) still held with an unknown outcome; the next start reconciles them`);
      return summary;
    } finally {
      await plugins.closePayments();
    }
  } catch (e) {
    ending.failure ??= e;
    throw e;
  } finally {
    crash?.disarm();
    opts.signal?.removeEventListener('abort', onAbort);
    rootSpan?.end();
    try {
      warmUps.stop();
      await dispatcher.close().catch(() => undefined);
      await routes.close();
    } finally {
      // The events and plugins end while the ledger is open and the data dir is still this run's; the lock goes last,
      // whatever failed before it.
      try {
        await finishRun(events, ending, log);
        await ledger.close();
      } finally {
        lock.release();
      }
    }
  }
}

/** Claims made at arming that no order used (the run stopped before the drop or sold out, and a payer's own release
 *  did not get to the ledger) go back at the run's end: no payer of this run is left to attach an order to them. A
 *  ledger that cannot be written leaves them to the next start's sweep. */
async function releaseUnusedClaims(ledger: Ledger, log: Logger): Promise<void> {
  if (ledger.storageFault) return;
  try {
    const released = await ledger.releaseUnattached(Date.now() + 1);
    if (released.length > 0) log.info({ reservations: released }, 'released claims no order used');
  } catch (e) {
    log.warn({ err: e }, 'could not release the claims no order used; the next start releases them');
  }
}

/** How each account logs in: its pasted token when it has one, else the first web-app login (Telegram) that can
 *  serve it. An account with neither cannot buy: the run does not start, and the error says what to do. */
export async function accountLogins(config: AutomintConfig, logins: readonly WebAppLogin[]): Promise<Map<string, AccountLogin>> {
  const chosen = new Map<string, AccountLogin>();
  for (const a of config.accounts) {
    if (a.storeToken) {
      chosen.set(a.name, { kind: 'token', jwt: a.storeToken });
      continue;
    }
    const why: string[] = [];
    for (const login of logins) {
      const blocker = await login.unavailableFor(a.name);
      if (blocker === null) {
        chosen.set(a.name, { kind: 'web-app', via: login });
        break;
      }
      why.push(`${login.id}: ${blocker}`);
    }
    if (!chosen.has(a.name)) {
      const advice = why.length > 0 ? why.join('; ') : `configure plugins.stars (apiId, apiHash) and run \`automint login --account ${a.name}\``;
      throw new RunSetupError('NO_STORE_LOGIN', `account ${a.name} cannot log in to the store: no accounts[].storeToken, and ${advice}`, { account: a.name });
    }
  }
  return chosen;
}

/** Where each profile number goes: the limiter (margin, breaker, waits, lease life), the watchers (poll interval, blind
 *  limit), the payers (retries, retry delay). The store client's time limit is `requestTimeoutMs` too (set with the
 *  store). */
export function profileInputs(profile: ProfileSettings, perIp?: PerIpLimit): Pick<SniperInput, 'limits' | 'policy'> {
  return {
    limits: {
      ...(perIp === undefined ? {} : { pools: storePools(ipLimit(perIp)) }),
      maxWaitMs: profile.maxWaitMs, safetyMarginPct: profile.safetyMarginPct, breakerThreshold: profile.breakerThreshold,
      breakerCooldownMs: profile.breakerCooldownMs, requestTimeoutMs: profile.requestTimeoutMs, pollIntervalMs: profile.pollIntervalMs,
      blindAfterPolls: profile.blindAfterPolls, blindAfterMs: profile.blindAfterMs,
    },
    policy: { maxPerOrder: MAX_PACKS_PER_ORDER, maxFailures: profile.retries, retryDelayMs: profile.retryDelayMs, maxHoldMs: profile.maxWaitMs },
  };
}
