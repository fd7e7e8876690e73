/** `automint orders --config FILE [--json] [--state S]`: the ledger's orders and their payments. Reads only: a missing
 *  ledger is an error (exit 2), never created. */
import { loadValidatedConfig } from '../core/config/load.js';
import { ORDER_STATES, type OrderState } from '../core/ledger/schema.js';
import { ConfigError } from '../core/config/config-error.js';
import { openExistingLedger } from '../core/run/data-dir.js';
import { ledgerPath } from '../core/run/run-bot.js';
import { orderReports, renderOrders } from '../core/run/order-report.js';
import { action, EXIT_OK } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';
import { protectSecrets } from './session.js';

export const ordersCommand = action(async (opts: ConfigCommandOptions & { json?: boolean; state?: string }): Promise<number> => {
  const { config } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  protectSecrets(config);
  const states: readonly string[] = [...ORDER_STATES, 'maybe-created'];
  if (opts.state !== undefined && !states.includes(opts.state)) {
    throw new ConfigError('CONFIG_INVALID', [{ path: '--state', message: `must be one of ${states.join(', ')} (got "${opts.state}")` }]);
  }
  const ledger = await openExistingLedger(ledgerPath(config));
  try {
    const reports = await orderReports(ledger, opts.state as OrderState | 'maybe-created' | undefined);
    process.stdout.write((opts.json ? reports.map((r) => JSON.stringify(r)).join('\n') : renderOrders(reports)) + (reports.length || !opts.json ? '\n' : ''));
    return EXIT_OK;
  } finally {
    await ledger.close();
  }
});
