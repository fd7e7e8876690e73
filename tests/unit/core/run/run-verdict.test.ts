/** What a finished run amounts to, and the exit code a script reads: 0 only when every target has its packs (a dry
 *  run: when nothing failed), 1 when one ended short or a payment is unsettled, naming the target, the packs missing
 *  and why, 130 when the user stopped it. */
import { describe, expect, it } from 'vitest';
import type { PurchaseOutcome } from '../../../../core/actors/sniper.js';
import { EXIT_BLIND, EXIT_FAILURE, EXIT_OK, EXIT_STOPPED } from '../../../../cli/failure.js';
import { runExitCode } from '../../../../cli/run-exit.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { runVerdict, type RunFacts } from '../../../../core/run/run-verdict.js';
import { renderSummary, summarize } from '../../../../core/run/summary.js';
import { targetResults, type OrderFacts, type RunPlan } from '../../../../core/run/target-results.js';

/** The demo's targets: 20 Blue Cats (1:1) and 5 Golden Dogs (1:2). */
const PLAN: RunPlan = { dryRun: false, targets: [{ collection: 1, character: 1, packs: 20 }, { collection: 1, character: 2, packs: 5 }] };

/** `count` packs of `target` paid by `method` in orders of 5. */
const paid = (target: string, method: string, count: number): OrderFacts[] =>
  Array.from({ length: count / 5 }, () => ({ target, method, count: 5, state: 'paid', reason: null }));

const done = (purchaseId: string, reason: string): PurchaseOutcome => ({ purchaseId, outcome: 'done', reason });

/** The facts of a run with these orders and outcomes, as the summary gives them. */
function run(opts: { plan?: RunPlan; orders?: OrderFacts[]; outcomes?: PurchaseOutcome[]; stopReason?: string | null }): RunFacts {
  const plan = opts.plan ?? PLAN;
  const orders = opts.orders ?? [];
  const outcomes = opts.outcomes ?? [];
  return {
    dryRun: plan.dryRun, outcomes, stopReason: opts.stopReason ?? null,
    targets: targetResults(plan, orders, outcomes),
    unknown: orders.filter((o) => o.state === 'unknown' || o.state === 'paying').length,
  };
}

/** The verdict's problems; fails unless it is `short`. */
function problems(facts: RunFacts): readonly string[] {
  const verdict = runVerdict(facts);
  expect(verdict.kind).toBe('short');
  return verdict.kind === 'short' ? verdict.problems : [];
}

describe('runVerdict', () => {
  it('is complete, exit 0, when every target has its packs', () => {
    const facts = run({
      orders: [...paid('1:1', 'ton', 10), ...paid('1:1', 'stars', 10), ...paid('1:2', 'ton', 5)],
      outcomes: [done('purchase:1:1:alice', 'ton: target reached; stars: target reached'), done('purchase:1:2:alice', 'ton: target reached')],
    });
    expect(runVerdict(facts)).toEqual({ kind: 'complete' });
    expect(runExitCode(facts)).toBe(EXIT_OK);
    expect(facts.targets.map((t) => t.short)).toEqual([0, 0]);
  });

  it('is complete when a target was reached although one account\'s purchase of it failed', () => {
    const facts = run({
      orders: [...paid('1:1', 'ton', 20), ...paid('1:2', 'ton', 5)],
      outcomes: [
        done('purchase:1:1:alice', 'ton: target reached'),
        { purchaseId: 'purchase:1:1:bob', outcome: 'failed', reason: 'arming failed: no payment method could be prepared for account bob' },
        done('purchase:1:2:alice', 'ton: target reached'),
      ],
    });
    expect(runExitCode(facts)).toBe(EXIT_OK);
  });

  it('exits 1 when every method refused, naming the target, the packs missing and each refusal\'s code', () => {
    const facts = run({
      orders: [
        ...paid('1:1', 'ton', 20),
        { target: '1:2', method: 'ton', count: 5, state: 'refused', reason: 'AMOUNT_ABOVE_QUOTE: order o-7 asks 30 TON, above quote × 5 + 100 bps' },
      ],
      outcomes: [
        done('purchase:1:1:alice', 'ton: target reached'),
        done('purchase:1:2:alice', 'ton: refused: order o-7 asks 30 TON, above quote × 5 + 100 bps'),
        // A store that answers `{ok:false}` until the payer gives up: its last failure, as the payer said it.
        done('purchase:1:2:bob', 'ton: store refused buyTon: not_available (HTTP 200)'),
      ],
    });
    expect(runExitCode(facts)).toBe(EXIT_FAILURE);
    expect(problems(facts)).toEqual([
      'target 1:2: 5 packs short (0 of 5): ton: refused: AMOUNT_ABOVE_QUOTE; ton: store refused buyTon: not_available (HTTP 200)',
    ]);
  });

  it('exits 1 when a target sold out before anything was bought', () => {
    const facts = run({
      orders: paid('1:1', 'ton', 20),
      outcomes: [done('purchase:1:1:alice', 'ton: target reached'), done('purchase:1:2:alice', 'sold out before buying')],
    });
    expect(runExitCode(facts)).toBe(EXIT_FAILURE);
    expect(problems(facts)).toEqual(['target 1:2: 5 packs short (0 of 5): sold out before buying']);
  });

  it('exits 1 when the budget ran out part of the way, saying how many packs are missing', () => {
    const facts = run({
      orders: [...paid('1:1', 'ton', 15), ...paid('1:2', 'ton', 5)],
      outcomes: [done('purchase:1:1:alice', 'ton: budget exhausted; stars: sold out'), done('purchase:1:2:alice', 'ton: target reached')],
    });
    expect(problems(facts)).toEqual(['target 1:1: 5 packs short (15 of 20): ton: budget exhausted; sold out']);
  });

  it('exits 1 while a payment is not settled', () => {
    const facts = run({
      orders: [...paid('1:1', 'ton', 15), { target: '1:1', method: 'ton', count: 5, state: 'unknown', reason: null }, ...paid('1:2', 'ton', 5)],
      outcomes: [done('purchase:1:1:alice', 'ton: payment outcome unknown (no answer); reconciled at the next start')],
    });
    expect(runExitCode(facts)).toBe(EXIT_FAILURE);
    const said = problems(facts);
    expect(said[0]).toMatch(/^1 payment\(s\) not settled/);
    expect(said[1]).toMatch(/^target 1:1: 5 packs short \(15 of 20\): ton: payment outcome unknown .*; 1 payment\(s\) not settled$/);
  });

  it('exits 130 when the user stopped the run, during it or before it started', () => {
    expect(runExitCode(run({ orders: paid('1:1', 'ton', 5), stopReason: 'signal' }))).toBe(EXIT_STOPPED);
    expect(runVerdict(run({ stopReason: 'stopped before the run started' }))).toEqual({ kind: 'stopped', reason: 'stopped before the run started' });
  });

  it('exits 1 naming what the disk said when the ledger could not be written, even with every target reached or a signal', () => {
    const fault = 'the ledger at /data/automint.db cannot be written (SQLITE_FULL: database or disk is full): free space on its disk or make it writable, then run again';
    const reached = { ...run({ orders: [...paid('1:1', 'ton', 20), ...paid('1:2', 'ton', 5)] }), ledgerFault: fault };
    expect(runVerdict(reached)).toEqual({ kind: 'short', problems: [fault] });
    expect(runExitCode(reached)).toBe(EXIT_FAILURE);
    const stopped = { ...run({ stopReason: 'the ledger cannot be written' }), ledgerFault: fault };
    expect(runExitCode(stopped)).toBe(EXIT_FAILURE);
  });

  const blind = (target: string, blindAtEnd = true) => ({
    target, failures: 21, since: 0, until: 12_000, cause: 'STORE_HTTP: store answered HTTP 418 to collection', blindAtEnd,
  });

  it('exits 4 naming the blind target, its count and last cause, before the shortfalls', () => {
    const facts = { ...run({ orders: paid('1:2', 'ton', 5) }), blind: [blind('1:1')] };
    const verdict = runVerdict(facts);
    expect(verdict.kind).toBe('blind');
    expect(verdict.kind === 'blind' ? verdict.problems : []).toEqual([
      'target 1:1 blind: 21 polls failed in a row over 12 s, last: STORE_HTTP: store answered HTTP 418 to collection',
      'target 1:1: 20 packs short (0 of 20)',
    ]);
    expect(runExitCode(facts)).toBe(EXIT_BLIND);
  });

  it('exits 4 for a run stopped while a target was blind: the stop does not hide that it could not see', () => {
    expect(runExitCode({ ...run({ stopReason: 'signal' }), blind: [blind('1:1')] })).toBe(EXIT_BLIND);
  });

  it('does not count a target seen again, or one that has all its packs, as blind', () => {
    const seenAgain = { ...run({ orders: [...paid('1:1', 'ton', 20), ...paid('1:2', 'ton', 5)] }), blind: [blind('1:1', false)] };
    expect(runExitCode(seenAgain)).toBe(EXIT_OK);
    const reached = { ...run({ orders: [...paid('1:1', 'ton', 20)] }), blind: [blind('1:1')] };
    expect(runExitCode(reached)).toBe(EXIT_FAILURE);
  });

  it('exits 0 for a dry run that evaluated its targets, although it bought nothing', () => {
    const facts = run({
      plan: { ...PLAN, dryRun: true },
      outcomes: [
        done('purchase:1:1:alice', 'ton: dry run: would order 10 packs at 2500000000 per pack; stars: dry run: would order 10 packs at 250 per pack'),
        done('purchase:1:2:alice', 'sold out before buying'),
      ],
    });
    expect(runVerdict(facts)).toEqual({ kind: 'complete' });
    expect(runExitCode(facts)).toBe(EXIT_OK);
  });

  it('exits 1 for a dry run in which something failed', () => {
    const facts = run({
      plan: { ...PLAN, dryRun: true },
      outcomes: [
        done('purchase:1:1:alice', 'ton: dry run: would order 10 packs at 2500000000 per pack; stars: cannot go on: the account has no Telegram session'),
        { purchaseId: 'purchase:1:2:alice', outcome: 'failed', reason: 'arming failed: store unreachable' },
      ],
    });
    expect(problems(facts)).toEqual([
      'purchase:1:1:alice failed: stars: cannot go on: the account has no Telegram session',
      'purchase:1:2:alice failed: arming failed: store unreachable',
    ]);
  });
});

describe('the summary', () => {
  /** A ledger holding these orders (the summary reads orders and their intents' fees). */
  function ledgerWith(orders: Array<{ orderId: string; character: number; method: string; count: number; state: string; reason?: string }>): Ledger {
    const rows = orders.map((o) => ({
      account: 'alice', collection: 1, currency: o.method === 'ton' ? 'TON' : 'XTR', amount: 1n, reason: null, ...o,
    }));
    return { orders: { list: async () => rows }, intents: { forOrder: async () => [] } } as unknown as Ledger;
  }

  it('is not ok and names the target that ended short when every method was refused, though nothing crashed', async () => {
    const ledger = ledgerWith([
      { orderId: 'o-1', character: 1, method: 'ton', count: 5, state: 'refused', reason: 'AMOUNT_ABOVE_QUOTE: order o-1 asks 30 TON' },
      { orderId: 'o-2', character: 2, method: 'ton', count: 5, state: 'paid' },
    ]);
    const outcomes = [done('purchase:1:1:alice', 'ton: refused: order o-1 asks 30 TON'), done('purchase:1:2:alice', 'ton: target reached')];
    const summary = await summarize(ledger, new RunMetrics(), outcomes, null, PLAN);
    expect(summary.ok).toBe(false);
    expect(summary.packs).toBe(5);
    expect(summary.targets).toEqual([
      { target: '1:1', packs: 20, paid: 0, short: 20, why: ['ton: refused: AMOUNT_ABOVE_QUOTE'] },
      { target: '1:2', packs: 5, paid: 5, short: 0, why: [] },
    ]);
    const text = renderSummary(summary);
    expect(text).toContain('target 1:1: 20 packs short (0 of 20): ton: refused: AMOUNT_ABOVE_QUOTE');
    expect(text).toContain('target 1:2: 5 of 5 packs');
    expect(runExitCode(summary)).toBe(EXIT_FAILURE);
  });

  it('shows a latency with no sample as none, not as 0 ms', async () => {
    const metrics = new RunMetrics();
    metrics.record('detectToWire', 'ton', 7.5);
    const summary = await summarize(ledgerWith([]), metrics, [], null, PLAN);
    const line = renderSummary(summary).split('\n').find((l) => l.startsWith('latency ms ton'));
    expect(line).toContain('detect→order on the wire 7.5 / 7.5');
    expect(line).toContain('later orders none');
  });
});
