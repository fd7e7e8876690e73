/** What every command that runs the bot sets up, in order: tracing first (so everything after is traced), then the
 *  logger (lines carry trace ids, secrets scrubbed), then a stop signal wired to SIGINT/SIGTERM with a bounded flush. */
import type { Logger } from 'pino';
import type { AutomintConfig } from '../core/config/schema.js';
import { secretValues } from '../core/config/redact.js';
import { createLogger } from '../core/telemetry/logger.js';
import { knownSecrets, registerSecrets } from '../core/telemetry/secret-registry.js';
import { installSignalFlush, startTracing, type Tracing } from '../core/telemetry/tracing.js';
import { packageVersion } from './package-root.js';

export interface Session {
  readonly tracing: Tracing;
  readonly log: Logger;
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Flushes spans (bounded) and removes the signal handlers. */
  close(): Promise<void>;
}

/** Opens a session for a command. `config` may be absent (the demo creates its config after the world). */
export async function openSession(opts: { serviceName: string; logLevel?: AutomintConfig['telemetry']['logLevel']; logFormat?: AutomintConfig['telemetry']['logFormat'] }): Promise<Session> {
  const tracing = await startTracing({ serviceName: opts.serviceName, serviceVersion: packageVersion() });
  const log = createLogger({
    level: (process.env.AUTOMINT_LOG_LEVEL as AutomintConfig['telemetry']['logLevel'] | undefined) ?? opts.logLevel ?? 'info',
    format: opts.logFormat ?? 'auto',
    secrets: knownSecrets,
  });
  const stop = new AbortController();
  const uninstall = installSignalFlush(tracing, (sig) => {
    log.warn({ signal: sig }, 'stopping');
    // The reason is the signal's name: SIGTERM and SIGINT end with different exit codes.
    stop.abort(sig);
  });
  return {
    tracing, log, signal: stop.signal,
    close: async () => {
      uninstall();
      await tracing.shutdown();
    },
  };
}

/** Registers every secret of a config with the scrubber before anything can log it. */
export function protectSecrets(config: AutomintConfig): void {
  registerSecrets(secretValues(config));
}
