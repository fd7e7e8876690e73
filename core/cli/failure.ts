/** How a command ends in error: a config mistake exits 2 with the message that names the key, anything else exits 1
 *  with the error's code and message. Every text is scrubbed of known secrets first. */
import { AutomintError } from '../errors.js';
import { ConfigError, formatConfigError } from '../config/config-error.js';
import { PluginError } from '../plugins/plugin-error.js';
import { scrub } from '../telemetry/secret-registry.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

/** Prints the error to stderr and returns the exit code for it. */
export function reportFailure(e: unknown): number {
  if (e instanceof ConfigError) {
    process.stderr.write(scrub(formatConfigError(e)) + '\n');
    return EXIT_CONFIG;
  }
  if (e instanceof PluginError && e.isConfigFault) {
    process.stderr.write(scrub(`invalid configuration [${e.code}]\n  - ${e.message}`) + '\n');
    return EXIT_CONFIG;
  }
  if (e instanceof AutomintError) {
    process.stderr.write(scrub(`error [${e.code}]: ${e.message}`) + '\n');
    return EXIT_FAILURE;
  }
  const err = e as Error;
  process.stderr.write(scrub(`unexpected error: ${err?.stack ?? String(e)}`) + '\n');
  return EXIT_FAILURE;
}

/** Wraps a command action: runs it, sets the exit code from its result or its error. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await fn(...args)) ?? EXIT_OK;
    } catch (e) {
      process.exitCode = reportFailure(e);
    }
  };
}
