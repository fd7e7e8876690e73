/** The exit code of a run that ended without an error, for `automint run` and `automint demo`: a script reads it to
 *  tell "bought everything" from "refused everything". Apart from failure.ts, which every command loads, because the
 *  verdict brings the run's modules with it. */
import { runVerdict, type RunFacts } from '../run/run-verdict.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_STOPPED } from './failure.js';

/** 0 every target reached (a dry run: nothing failed), 1 a target ended short or something failed, 130 stopped by
 *  the user; `summary` is a RunSummary. */
export function runExitCode(summary: RunFacts): number {
  const verdict = runVerdict(summary);
  return verdict.kind === 'complete' ? EXIT_OK : verdict.kind === 'stopped' ? EXIT_STOPPED : EXIT_FAILURE;
}
