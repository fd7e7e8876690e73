// @ts-check
/** Mutation testing of the money-critical modules (npm run test:mutation [group...]).
 *
 *  A run over every module reruns the whole in-process suite per mutant (about 10 s each on two cores, an 11-minute
 *  initial run), so the modules are split into groups, each with the few test files that exercise it. Choose groups
 *  with MUTATION_GROUPS (comma-separated; scripts/test-mutation.mjs sets it from its arguments); none means all
 *  modules against all in-process tests. Each group keeps its own incremental file and report, so a re-run tests only
 *  the mutants whose code or tests changed, and one group's run never discards another's results. */

import { writeFileSync } from 'node:fs';

/** Each group: the modules it mutates and the tests that exercise them; `related: false` when those tests reach the
 *  modules through a dynamic import (vitest's related-file search cannot follow it).
 *  @type {Record<string, { mutate: string[]; testFiles: string[]; related?: boolean }>} */
export const mutationGroups = {
  ledger: {
    mutate: [
      'core/ledger/pack-claims.ts',
      'core/ledger/budget.ts',
      'core/ledger/budget-limits.ts',
      'core/ledger/settlement.ts',
      'core/ledger/transitions.ts',
      'core/ledger/payment-intents.ts',
      'core/ledger/orders.ts',
    ],
    testFiles: ['tests/unit/core/ledger/**/*.test.ts'],
  },
  verification: {
    mutate: ['core/actors/order-verification.ts', 'core/actors/target-quota.ts'],
    testFiles: [
      'tests/unit/core/actors/order-verification.test.ts',
      'tests/unit/core/actors/target-quota.test.ts',
      'tests/unit/core/actors/target-quota-shares.test.ts',
    ],
  },
  payer: {
    mutate: ['core/actors/payer.ts', 'core/actors/payer-steps.ts'],
    // payer*.test.ts: also payer-unknown-outcomes.test.ts (in-run reconciliation of unknown payments).
    testFiles: ['tests/unit/core/actors/payer*.test.ts', 'tests/unit/core/actors/purchase-split.test.ts'],
  },
  reconcile: {
    mutate: ['core/run/reconcile.ts'],
    // The unit test settles every answer on a real ledger in seconds; reconcile-at-start.test.ts proves the same paths
    // against the simulated chain and Telegram but takes 90 s, too long to rerun per mutant.
    testFiles: ['tests/unit/core/run/reconcile.test.ts'],
  },
  stars: {
    mutate: ['plugins/stars/stars-attempt.ts', 'plugins/stars/stars-history.ts', 'plugins/stars/stars-steps.ts'],
    // The unit tests drive these modules against the simulated Telegram alone (no chain, no store) in about 20 s;
    // tests/plugins/stars proves the same paths through the whole world but takes about 150 s, too long per mutant.
    testFiles: ['tests/unit/plugins/stars/stars-*.test.ts'],
  },
  ton: {
    mutate: [
      'plugins/ton/ton-payment.ts',
      'plugins/ton/wallet-batcher.ts',
      'plugins/ton/destination-guard.ts',
      'plugins/ton/message-watch.ts',
      // They decide paid / not paid: which transaction used the message's seqno, and whether it was ours.
      'plugins/ton/message-search.ts',
      'plugins/ton/wallet-request.ts',
    ],
    // The fast tests over a chain of their own with blocks made by hand (seconds per file); tests/plugins/ton runs the
    // same code through the plugin with blocks on a timer (minutes per pass, too slow to rerun per mutant).
    testFiles: ['tests/unit/plugins/ton/**/*.test.ts'],
    // ton-reconcile and ton-order-check load the plugin as the host does (discoverPlugins imports it by path).
    related: false,
  },
};

const chosen = (process.env.MUTATION_GROUPS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
const unknown = chosen.filter((name) => !(name in mutationGroups));
if (unknown.length > 0) {
  throw new Error(`unknown mutation group(s) ${unknown.join(', ')}; known: ${Object.keys(mutationGroups).join(', ')}`);
}
const groups = chosen.map((name) => mutationGroups[name]);
/** Report and incremental files are named after the groups, so runs of different groups keep separate results. */
const label = chosen.length > 0 ? chosen.join('+') : 'all';

/** The type checker refuses to start while anything it compiles has a type error, so for groups it compiles only
 *  their modules and tests (and what those import): another engineer's half-done work elsewhere cannot stop it. The
 *  file is written at each run (git ignores it); a run of everything checks the whole project. */
function groupTsconfig() {
  if (groups.length === 0) return 'tsconfig.json';
  const file = `tsconfig.mutation-${label}.json`;
  const include = [...groups.flatMap((group) => [...group.mutate, ...group.testFiles]), 'tests/setup.ts'];
  writeFileSync(file, `${JSON.stringify({ extends: './tsconfig.json', include }, null, 2)}\n`);
  return file;
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Without groups the tests are vitest.mutation.config.ts's include: the in-process tests only (the e2e and crash
  // tests run the built CLI in child processes, which mutants never reach).
  vitest: { configFile: 'vitest.mutation.config.ts', related: !groups.some((group) => group.related === false) },
  checkers: ['typescript'],
  tsconfigFile: groupTsconfig(),
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level values: the transition tables, state lists, limits) are never active when this
  // Stryker/vitest pair runs them: `paying: []` in ORDER_TRANSITIONS "survived" the ledger tests, 16 of which fail
  // when the same edit is made by hand. Such values are pinned by their own tests instead (e.g. transitions.test.ts).
  ignoreStatic: true,
  // Log lines, latency metrics and trace marks move no money: not mutated (scripts/stryker-telemetry-ignorer.mjs).
  plugins: ['@stryker-mutator/*', './scripts/stryker-telemetry-ignorer.mjs'],
  ignorers: ['telemetry'],
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${label}.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${label}.html` },
  jsonReporter: { fileName: `reports/mutation/${label}.json` },
  // One test runner: the machine is shared, and each runner already forks vitest.
  concurrency: 1,
  timeoutMS: 20000,
  mutate: groups.length > 0 ? groups.flatMap((group) => group.mutate) : Object.values(mutationGroups).flatMap((group) => group.mutate),
  ...(groups.length > 0 ? { testFiles: groups.flatMap((group) => group.testFiles) } : {}),
  // The sandbox needs sources, tests and configs, not build output or old reports.
  ignorePatterns: ['dist', 'reports', 'data', '.stryker-tmp'],
  thresholds: { high: 90, low: 85, break: null },
  dryRunTimeoutMinutes: 30,
};
