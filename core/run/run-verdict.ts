/** What a finished run amounts to for whoever started it: every target reached, something short or failed, or
 *  stopped by the user. A run that bought nothing is never a success because nothing crashed: a script reads the
 *  exit code made from this (cli/run-exit.ts) to tell "bought everything" from "refused everything". */
import type { PurchaseOutcome } from '../actors/sniper.js';
import { endingsOf, type TargetResult } from './target-results.js';
import { describeBlind, type BlindTarget } from '../actors/failed-polls.js';

/** The facts of a summary the verdict reads. */
export interface RunFacts {
  readonly dryRun: boolean;
  readonly targets: readonly TargetResult[];
  readonly outcomes: readonly PurchaseOutcome[];
  /** Orders whose payment is not settled (paying or unknown). */
  readonly unknown: number;
  /** Set when the run was stopped (SIGINT/SIGTERM, or before it started). */
  readonly stopReason: string | null;
  /** Set when the disk refused a ledger write (full, read-only, I/O error): the run stopped for it. */
  readonly ledgerFault?: string | null;
  /** Targets whose polls went blind (failed-polls.ts). */
  readonly blind?: readonly BlindTarget[];
}

export type RunVerdict =
  /** Every target has its packs (a dry run: nothing failed) and every payment is settled. */
  | { readonly kind: 'complete' }
  /** A target ended short, a purchase failed, a payment is not settled, or the ledger could not be written;
   *  `problems` says which and why. */
  | { readonly kind: 'short'; readonly problems: readonly string[] }
  /** The user stopped the run; what it bought so far is in the summary. */
  | { readonly kind: 'stopped'; readonly reason: string }
  /** A target was blind when the run ended: its polls kept failing past the profile's limit, so the run could not see
   *  its drop; `problems` names each with the count and the last cause, then whatever else went short. */
  | { readonly kind: 'blind'; readonly problems: readonly string[] };

/** Endings in a dry run that are not failures: it evaluated an order, or there was nothing to evaluate. */
const DRY_RUN_ENDINGS = new Set(['target reached', 'share reached', 'sold out', 'sold out before buying', 'stopped']);
const evaluated = (text: string): boolean => DRY_RUN_ENDINGS.has(text) || text.startsWith('dry run: ');

/** The verdict on a finished run. */
export function runVerdict(run: RunFacts): RunVerdict {
  // A ledger that cannot be written is a failure whatever else happened, even when a signal came too: what the run
  // did may not all be on record, and the next run needs the disk fixed first.
  if (run.ledgerFault) return { kind: 'short', problems: [run.ledgerFault] };
  // Before a stop: a run killed while blind (a deadline, Ctrl-C, stopWhenBlind) must still say it could not see.
  // A target that has all its packs was not missed, whatever its watcher saw after.
  const missed = (target: string): boolean => run.dryRun || (run.targets.find((t) => t.target === target)?.short ?? 1) > 0;
  const blind = (run.blind ?? []).filter((b) => b.blindAtEnd && missed(b.target)).map(describeBlind);
  if (blind.length > 0) return { kind: 'blind', problems: [...blind, ...(run.stopReason === null ? shortProblems(run) : [])] };
  if (run.stopReason !== null) return { kind: 'stopped', reason: run.stopReason };
  const problems = shortProblems(run);
  return problems.length === 0 ? { kind: 'complete' } : { kind: 'short', problems };
}

/** Why a run that was not stopped is not complete: payments not settled, targets short (a dry run: failures). */
function shortProblems(run: RunFacts): string[] {
  const problems: string[] = [];
  if (run.unknown > 0) problems.push(`${run.unknown} payment(s) not settled; the next run reconciles them`);
  if (run.dryRun) {
    // Nothing is bought by design, so packs say nothing: a dry run fails when something in it failed.
    for (const o of run.outcomes) {
      const failed = o.outcome === 'failed'
        ? [o.reason]
        : endingsOf(o).filter((e) => !evaluated(e.text)).map((e) => (e.method === null ? e.text : `${e.method}: ${e.text}`));
      if (failed.length > 0) problems.push(`${o.purchaseId} failed: ${failed.join('; ')}`);
    }
  } else {
    for (const t of run.targets.filter((x) => x.short > 0)) problems.push(shortfall(t));
  }
  return problems;
}

/** `target 1:2: 5 packs short (0 of 5): ton: refused: AMOUNT_ABOVE_QUOTE; sold out`. */
export function shortfall(t: TargetResult): string {
  return `target ${t.target}: ${t.short} pack${t.short === 1 ? '' : 's'} short (${t.paid} of ${t.packs})` +
    (t.why.length > 0 ? `: ${t.why.join('; ')}` : '');
}
