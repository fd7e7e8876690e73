/** `automint doctor --config FILE`: checks config, ledger, the limiter's pools, store reachability and auth, and wallet
 *  balances; prints a verdict per check with the fix for each failure. Exit 0 only when every check passes. */
import { loadValidatedConfig } from '../config/load.js';
import { renderDoctor, runDoctor } from '../run/doctor.js';
import { createLogger } from '../telemetry/logger.js';
import { knownSecrets } from '../telemetry/secret-registry.js';
import { action, EXIT_FAILURE, EXIT_OK } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';
import { protectSecrets } from './session.js';

export const doctorCommand = action(async (opts: ConfigCommandOptions): Promise<number> => {
  const { config } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  protectSecrets(config);
  const log = createLogger({ level: 'warn', format: config.telemetry.logFormat, secrets: knownSecrets });
  const results = await runDoctor(config, log);
  process.stdout.write(renderDoctor(results) + '\n');
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
});
