/** How a command ends: the exit codes, and the one of an error: a config mistake exits 2 with the message that names
 *  the key, a ledger held by another run exits 3 with the message that names it, an error of a run the user stopped
 *  exits 130, anything else exits 1 with the error's code and message. Every text is scrubbed of known secrets first.
 *  (A run that ends without an error gets its code from run-exit.ts.) Kept light: every command loads it. */
import { hasCode, isAutomintError } from '../core/errors.js';
import { ConfigError, formatConfigError } from '../core/config/config-error.js';
import { PluginError } from '../core/plugins/plugin-error.js';
import { scrub } from '../core/telemetry/secret-registry.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;
/** Another run holds the ledger (the error's code is LEDGER_LOCKED). */
export const EXIT_LOCKED = 3;
/** A target was blind when the run ended: its polls of the store kept failing past the profile's limit (run-verdict.ts). */
export const EXIT_BLIND = 4;
/** Stopped by the user (SIGINT/SIGTERM): 128 + SIGINT, as shells report it. */
export const EXIT_STOPPED = 130;
/** Stopped by SIGTERM (a service manager's stop), as shells report a process ended by it. */
export const EXIT_TERMINATED = 143;

/** The exit code of a run stopped by `signal`: 143 for SIGTERM, else 130 (Ctrl-C, SIGINT). */
export function stopExitCode(signal?: AbortSignal): number {
  return signal?.reason === 'SIGTERM' ? EXIT_TERMINATED : EXIT_STOPPED;
}

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
  // By code, not class: the lock may be taken by code that has its own copy of AutomintError.
  if (hasCode(e, 'LEDGER_LOCKED')) {
    process.stderr.write(scrub(`error [LEDGER_LOCKED]: ${(e as Error).message}`) + '\n');
    return EXIT_LOCKED;
  }
  if (isAutomintError(e)) {
    process.stderr.write(scrub(`error [${e.code}]: ${e.message}`) + '\n');
    return EXIT_FAILURE;
  }
  const err = e as Error;
  process.stderr.write(scrub(`unexpected error: ${err?.stack ?? String(e)}`) + '\n');
  return EXIT_FAILURE;
}

/** An error that ended a run the user had stopped (a step interrupted while it was setting up): reported, and
 *  exit 130 unless it is a config mistake or a held ledger, which keep their codes. An error of a run nobody
 *  stopped is thrown on to the command's handler. */
export function stoppedRunFailure(e: unknown, signal: AbortSignal): number {
  if (!signal.aborted) throw e;
  const code = reportFailure(e);
  return code === EXIT_FAILURE ? stopExitCode(signal) : code;
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
