/** `automint reconcile --config FILE [--json]`: settles unknown payments against the chain and Telegram now and says
 *  what changed. Exit 0 when every payment is settled afterwards; a missing ledger is an error (exit 2), never created. */
import { loadValidatedConfig } from '../core/config/load.js';
import { checkDataDir, requireLedgerFile } from '../core/run/data-dir.js';
import { ledgerPath } from '../core/run/run-bot.js';
import { lockDataDir } from '../core/run/data-dir-lock.js';
import { reconcileNow, renderReconcile } from '../core/run/reconcile-now.js';
import { createLogger } from '../core/telemetry/logger.js';
import { knownSecrets } from '../core/telemetry/secret-registry.js';
import { action, EXIT_FAILURE, EXIT_OK } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';
import { protectSecrets } from './session.js';
import { deadline } from '../core/time/deadline.js';

export const reconcileCommand = action(async (opts: ConfigCommandOptions & { json?: boolean }): Promise<number> => {
  const { config } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  protectSecrets(config);
  // Nothing to settle without a ledger: refused (exit 2) before anything is created in the data dir.
  checkDataDir(config.dataDir);
  requireLedgerFile(ledgerPath(config));
  // One writer per ledger, before the ledger is even opened: settling payments beside a running bot would race its
  // own settlement (exit 3).
  const lock = lockDataDir(config.dataDir, 'reconcile');
  const log = createLogger({ level: 'warn', format: config.telemetry.logFormat, secrets: knownSecrets });
  // Two minutes at most, on a kept timer (core/time/deadline.ts): what is not settled by then stays open.
  const limit = deadline(120_000);
  const report = await reconcileNow(config, log, limit.signal).finally(() => {
    limit.clear();
    lock.release();
  });
  process.stdout.write((opts.json ? JSON.stringify(report) : renderReconcile(report)) + '\n');
  return report.stillOpen === 0 ? EXIT_OK : EXIT_FAILURE;
});
