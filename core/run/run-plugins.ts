/** The plugins of a configuration, registered the way every command that runs them needs: discovered, validated,
 *  given the config, logger and ledger, enabled by the targets' methods or their config block; and closed again,
 *  each plugin's own `close` once, whichever way the command ends. */
import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { secretValues } from '../config/redact.js';
import { methodsInUse, pluginBlocks, type AutomintConfig } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import { discoverPlugins, registerPlugins } from '../plugins/host.js';
import type { PaymentMethod } from '../plugins/payment.js';
import { CONFIG, LEDGER, LOGGER } from '../plugins/tokens.js';
import { WEB_APP_LOGIN, type WebAppLogin } from '../plugins/web-app-login.js';
import { NOTIFIER, RUN_EVENTS, type Notifier } from '../plugins/notifier.js';
import { RunEvents, type RunEventSource } from '../events/run-events.js';
import { registerSecrets } from '../telemetry/secret-registry.js';

export interface RunPlugins {
  readonly payments: PaymentMethod[];
  readonly logins: WebAppLogin[];
  /** Notifier plugins: the run subscribes them when it starts (run-notifiers.ts). */
  readonly notifiers: Notifier[];
  /** Closes every payment method (connections, timers), once. */
  closePayments(): Promise<void>;
  /** Closes the payment methods (if not yet), then calls every registered plugin's own `close` once (manifest.ts):
   *  after whatever uses the plugins (a run's notifiers included) is done with them. */
  close(): Promise<void>;
}

/** Registers the config's plugins on a fresh child of the root container. `events`, the run's read-only event
 *  source, is registered as RUN_EVENTS; commands that run no bot (doctor, reconcile) register one nothing is emitted
 *  on, so a plugin resolving it works everywhere. */
export async function loadRunPlugins(config: AutomintConfig, ledger: Ledger, log: Logger, events?: RunEventSource): Promise<RunPlugins> {
  const scope = rootContainer.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: log });
  scope.register(LEDGER, { useValue: ledger });
  scope.register(RUN_EVENTS, { useValue: events ?? new RunEvents().source() });
  const wanted = methodsInUse(config);
  const discovered = await discoverPlugins(config.plugins.paths);
  // Found now, a plugin's secret keys are known: their values are scrubbed before its register can log them (a
  // caller that loaded the config without the plugins, as the demo does, gets them here).
  registerSecrets(secretValues(config));
  const registered = await registerPlugins(scope, discovered, pluginBlocks(config), wanted);
  const { scope: plugins, payments } = registered;
  let logins: WebAppLogin[];
  let notifiers: Notifier[];
  try {
    logins = plugins.isRegistered(WEB_APP_LOGIN, true) ? plugins.resolveAll<WebAppLogin>(WEB_APP_LOGIN) : [];
    notifiers = plugins.isRegistered(NOTIFIER, true) ? plugins.resolveAll<Notifier>(NOTIFIER) : [];
  } catch (e) {
    await registered.close();
    throw e;
  }
  let paymentsClosed: Promise<void> | undefined;
  const closePayments = (): Promise<void> =>
    (paymentsClosed ??= Promise.all(payments.map((p) => p.close().catch(() => undefined))).then(() => undefined));
  return {
    payments, logins, notifiers, closePayments,
    close: async () => {
      await closePayments();
      await registered.close();
    },
  };
}
