/** One run of the bot: ledger, plugins, reconciliation, then the sniper actor system until every purchase ends or
 *  the run is stopped; returns the summary. Shared by `automint run` and `automint demo`. */
import 'reflect-metadata';
import path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import { Agent } from 'undici';
import { createActor, toPromise } from 'xstate';
import { context as otelContext, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { AutomintConfig } from '../config/schema.js';
import { pluginBlocks, targetAccounts } from '../config/schema.js';
import { profileSettings, type ProfileSettings } from '../config/profiles.js';
import { secretValues } from '../config/redact.js';
import { openLedger } from '../ledger/database.js';
import { discoverPlugins, registerPlugins } from '../plugins/host.js';
import { CONFIG, LEDGER, LOGGER } from '../plugins/tokens.js';
import { registerSecrets } from '../telemetry/secret-registry.js';
import { createActorInspector } from '../telemetry/actor-spans.js';
import { Attr } from '../telemetry/attributes.js';
import type { Tracing } from '../telemetry/tracing.js';
import { RunMetrics } from '../actors/run-metrics.js';
import { configuredToken } from '../actors/auth.js';
import { purchaseId, sniperMachine, targetKey, type RunTarget, type SniperInput } from '../actors/sniper.js';
import { MAX_PACKS_PER_ORDER } from '../store/rate-pools.js';
import { AutomintError } from '../errors.js';
import { reconcileOpenIntents } from './reconcile.js';
import { summarize, type RunSummary } from './summary.js';
import { actorAttributes } from './actor-attributes.js';

export interface RunOptions {
  readonly config: AutomintConfig;
  readonly log: Logger;
  readonly tracing?: Tracing;
  /** `run`, `demo`, … (a span attribute). */
  readonly command: string;
  /** Stops the run (SIGINT/SIGTERM, a deadline). */
  readonly signal?: AbortSignal;
}

export class RunSetupError extends AutomintError {}

/** The ledger file of a config: dry runs keep their own, so a rehearsal never mixes with real money. */
export function ledgerPath(config: AutomintConfig): string {
  return path.resolve(config.dataDir, config.dryRun ? 'automint-dry-run.db' : 'automint.db');
}

/** Runs the bot to the end and returns its summary. */
export async function runBot(opts: RunOptions): Promise<RunSummary> {
  const { config, log } = opts;
  registerSecrets(secretValues(config));
  for (const a of config.accounts) {
    // Until Telegram login exists, a store token is the only way in.
    if (!a.storeToken) throw new RunSetupError('NO_STORE_TOKEN', `account ${a.name} has no store token: set accounts[].storeToken`, { account: a.name });
  }
  const profile = profileSettings(config.profile);
  const ledger = await openLedger(ledgerPath(config));
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  const scope = rootContainer.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: log });
  scope.register(LEDGER, { useValue: ledger });
  const rootSpan = opts.tracing?.rootSpan(undefined, { [Attr.runCommand]: opts.command, [Attr.runMode]: config.dryRun ? 'dry-run' : 'live' });
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const wanted = new Set(config.targets.flatMap((t) => t.methods));
    const discovered = await discoverPlugins(config.plugins.paths);
    const { payments } = await registerPlugins(scope, discovered, pluginBlocks(config), wanted);
    try {
      const reconciled = await reconcileOpenIntents(ledger, payments, log, stop.signal);
      if (reconciled.length > 0) log.info({ count: reconciled.length }, 'reconciled open intents from an earlier run');
      // Orders that ended before any intent (a crash while verifying or signing) keep no budget or packs held.
      const swept = await ledger.sweepAbandoned(Date.now());
      if (swept.orders.length + swept.reservations.length > 0) log.info({ orders: swept.orders, reservations: swept.reservations }, 'released orders abandoned before payment');

      const targets: RunTarget[] = [];
      for (const t of config.targets) {
        const accounts = targetAccounts(config, t).map((a) => a.name);
        let paid = 0;
        let inFlight = 0;
        for (const a of accounts) {
          paid += await ledger.orders.paidPacks(purchaseId(t, a));
          inFlight += await ledger.orders.inFlightPacks(purchaseId(t, a));
        }
        targets.push({ collection: t.collection, character: t.character, packs: t.packs, maxPricePerPack: t.maxPricePerPack,
          methods: t.methods, accounts, seed: { paid, inFlight }, dropAt: t.dropAt === undefined ? undefined : Date.parse(t.dropAt) });
        log.info({ target: targetKey(t), packs: t.packs, paid, inFlight, methods: t.methods, accounts }, 'target armed');
      }
      const metrics = new RunMetrics();
      const inspector = opts.tracing && rootSpan
        ? createActorInspector({ tracer: opts.tracing.tracer, rootContext: trace.setSpan(otelContext.active(), rootSpan), attributesFor: actorAttributes })
        : undefined;
      const sniper = createActor(sniperMachine, {
        systemId: 'sniper',
        inspect: inspector,
        input: {
          accounts: config.accounts.map((a) => ({ name: a.name, wallet: a.wallet, tokenSource: configuredToken(a.storeToken!) })),
          targets, payments, budget: { TON: config.budget.TON, XTR: config.budget.XTR },
          store: { baseUrl: config.store.baseUrl, mirrors: config.store.mirrors, userAgent: config.store.userAgent, timeoutMs: profile.requestTimeoutMs },
          ...profileInputs(profile),
          ledger, metrics, log, dispatcher, dryRun: config.dryRun,
        },
      });
      // A stop asked for during setup must not be lost: abort fires once, so check before starting.
      if (stop.signal.aborted) return await summarize(ledger, metrics, [], 'stopped before the run started');
      const onStop = (): void => sniper.send({ type: 'STOP', reason: 'signal' });
      stop.signal.addEventListener('abort', onStop, { once: true });
      // Started inside the root span's context: every async continuation of the run, and so every log line, carries its trace id.
      const runContext = rootSpan ? trace.setSpan(otelContext.active(), rootSpan) : otelContext.active();
      otelContext.with(runContext, () => sniper.start());
      const output = await toPromise(sniper);
      inspector?.endAll();
      return await summarize(ledger, metrics, output.outcomes, output.stopReason);
    } finally {
      await Promise.all(payments.map((p) => p.close().catch(() => undefined)));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    rootSpan?.end();
    await dispatcher.close().catch(() => undefined);
    await ledger.close();
  }
}

/** Where each profile number goes: the limiter (margin, breaker, waits, lease life), the watchers (poll interval), the
 *  payers (retries, retry delay). The store client's time limit is `requestTimeoutMs` too (set with the store). */
export function profileInputs(profile: ProfileSettings): Pick<SniperInput, 'limits' | 'policy'> {
  return {
    limits: {
      maxWaitMs: profile.maxWaitMs, safetyMarginPct: profile.safetyMarginPct, breakerThreshold: profile.breakerThreshold,
      breakerCooldownMs: profile.breakerCooldownMs, requestTimeoutMs: profile.requestTimeoutMs, pollIntervalMs: profile.pollIntervalMs,
    },
    policy: { maxPerOrder: MAX_PACKS_PER_ORDER, maxFailures: profile.retries, retryDelayMs: profile.retryDelayMs, maxHoldMs: profile.maxWaitMs },
  };
}
