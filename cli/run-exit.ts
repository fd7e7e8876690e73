/** The exit code of a run that ended without an error, for `automint run` and `automint demo`: a script reads it to
 *  tell "bought everything" from "refused everything". Apart from failure.ts, which every command loads, because the
 *  verdict brings the run's modules with it. */
import { runVerdict, type RunFacts } from '../core/run/run-verdict.js';
import { EXIT_BLIND, EXIT_FAILURE, EXIT_OK, stopExitCode } from './failure.js';

/** 0 every target reached (a dry run: nothing failed), 1 a target ended short or something failed, 4 a target short
 *  was blind at the end (even when the run was stopped), 130 stopped by the user (143 by SIGTERM); `summary` is a
 *  RunSummary, `stop` the signal that stops the run. */
export function runExitCode(summary: RunFacts, stop?: AbortSignal): number {
  const verdict = runVerdict(summary);
  switch (verdict.kind) {
    case 'complete':
      return EXIT_OK;
    case 'blind':
      return EXIT_BLIND;
    case 'stopped':
      return stopExitCode(stop);
    case 'short':
      return EXIT_FAILURE;
  }
}
