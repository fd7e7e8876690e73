/** `automint run --config FILE`: watch the configured targets and buy when they drop, and with `snipe` filters buy the
 *  new collections they match until stopped; the exit code says whether every target was reached (see runExitCode).
 *  `--dry-run` also prints what each filter would buy of what the store lists now. */
import { loadValidatedConfig } from '../core/config/load.js';
import { action, stoppedRunFailure } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';
import { openSession, protectSecrets } from './session.js';
import { scrub } from '../core/telemetry/secret-registry.js';

export const runCommand = action(async (opts: ConfigCommandOptions & { acceptConfigChange?: boolean }): Promise<number> => {
  const { config, source } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  protectSecrets(config);
  // The run's modules load only once the configuration is valid: a refused one is answered at once.
  const [{ runBot }, { renderSummary }, { runExitCode }] = await Promise.all([import('../core/run/run-bot.js'), import('../core/run/summary.js'), import('./run-exit.js')]);
  const session = await openSession({ serviceName: config.telemetry.serviceName, logLevel: config.telemetry.logLevel, logFormat: config.telemetry.logFormat });
  try {
    const summary = await runBot({ config, log: session.log, tracing: session.tracing, command: 'run', signal: session.signal, acceptConfigChange: opts.acceptConfigChange === true, legacyDataDir: source.legacyDataDir });
    process.stdout.write(renderSummary(summary) + '\n');
    // A dry run with snipe filters: what they would buy of what the store lists, and whether it would be skipped.
    if (summary.snipePreview.length > 0) process.stdout.write(summary.snipePreview.join('\n') + '\n');
    // The one failure a person must fix before running again: said where errors go too, not only in the summary.
    if (summary.ledgerFault) process.stderr.write(scrub(`error [STORAGE_FAILED]: ${summary.ledgerFault}`) + '\n');
    return runExitCode(summary, session.signal);
  } catch (e) {
    return stoppedRunFailure(e, session.signal);
  } finally {
    await session.close();
  }
});
