/** `automint doctor --config FILE`: checks config, ledger, the limiter's pools, store reachability and auth, and wallet
 *  balances; prints a verdict per check with the fix for each failure. Exit 0 only when every check passes; stopped
 *  by Ctrl-C or SIGTERM, it prints what it checked and exits 130 or 143 once the plugins are closed. */
import { loadValidatedConfig } from '../core/config/load.js';
import { renderDoctor, runDoctor } from '../core/run/doctor.js';
import { createLogger } from '../core/telemetry/logger.js';
import { knownSecrets } from '../core/telemetry/secret-registry.js';
import { action, EXIT_FAILURE, EXIT_OK, stopExitCode } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';
import { protectSecrets } from './session.js';

export const doctorCommand = action(async (opts: ConfigCommandOptions): Promise<number> => {
  const { config } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  protectSecrets(config);
  const log = createLogger({ level: 'warn', format: config.telemetry.logFormat, secrets: knownSecrets });
  // Ctrl-C or SIGTERM stops the checks, not the process: the plugins are closed before it exits (130, 143).
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => stop.abort(signal);
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const results = await runDoctor(config, log, stop.signal);
    process.stdout.write(renderDoctor(results) + '\n');
    if (stop.signal.aborted) return stopExitCode(stop.signal);
    return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
});
