/** `npm run test:crash`: kills the bot with SIGKILL at every state of the purchase and payer actors in turn (read
 *  from the machine definitions), and at RANDOM seeded moments, each time in a fresh `automint world`, restarts it on
 *  the same ledger and world, and checks the money: every order paid at most once, every paid order recorded as
 *  paid, no payment without an order, spend within budget, ledger equal to the world. Progress goes to stderr; the
 *  last stdout line is `{"injectionPoints":N,"runs":R,"doublePaid":0,"lostPayments":0,"overBudget":0}`; the exit code
 *  is 1 when any check failed or a run could not be carried out.
 *  Flags: --random N (default 20); --max-ms MS, the random window after the run starts (default 4500: a demo run
 *  buys from about 1 s to 3.5 s after it starts); --parallel N (default 2); --only POINT (one injection point, e.g.
 *  payer:sending#2, instead of all); --keep (keep every run's folder, not only failed ones). */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { injectionPoints } from '../core/run/crash-switch.js';
import { runCrashJob, type CrashJob, type CrashJobResult } from './crash-job.js';
import { crashJobs, pointJob } from './crash-jobs.js';

const { values: flags } = parseArgs({
  options: {
    random: { type: 'string', default: '20' },
    'max-ms': { type: 'string', default: '4500' },
    parallel: { type: 'string', default: '2' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const randomRuns = Number(flags.random);
const maxMs = Number(flags['max-ms']);
const parallel = Math.max(1, Number(flags.parallel));
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const BOT_TIMEOUT_MS = 120_000;

const points = injectionPoints();

const jobs: CrashJob[] = flags.only !== undefined ? [pointJob(flags.only)] : crashJobs(randomRuns, maxMs);

const root = await mkdtemp(path.join(os.tmpdir(), 'automint-crash-'));
const children = new Set<ChildProcess>();
const stopChildren = (): void => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', stopChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stopChildren();
    process.exit(130);
  });
}

const say = (line: string): boolean => process.stderr.write(line + '\n');
say(`crash runner: ${points.length} injection points, ${jobs.length} runs, ${parallel} at a time, folders under ${root}`);

const started = performance.now();
const results: CrashJobResult[] = [];
const broken: string[] = [];
let next = 0;
let done = 0;
async function worker(): Promise<void> {
  while (next < jobs.length) {
    const index = next++;
    const job = jobs[index]!;
    const dir = path.join(root, `${String(index + 1).padStart(2, '0')}-${job.label.replace(/[^A-Za-z0-9_.-]+/g, '_')}`);
    try {
      const r = await runCrashJob(job, { cli, dir, botTimeoutMs: BOT_TIMEOUT_MS, children });
      results.push(r);
      done++;
      const failed = r.verdict.problems.length > 0;
      const bought = `${r.verdict.paidOrders} orders / ${r.verdict.paidPacks} packs paid`;
      say(`[${String(done).padStart(2)}/${jobs.length}] ${job.label.padEnd(24)} ${describe(r)}; ${bought}; ${failed ? 'FAILED' : 'ok'} (${(r.ms / 1000).toFixed(1)} s)`);
      for (const p of r.verdict.problems) say(`    ✗ ${p}`);
      for (const n of r.verdict.notes) say(`    · ${n}`);
      if (failed) say(`    logs, ledger and world state kept in ${dir}`);
      else if (!flags.keep) await rm(dir, { recursive: true, force: true });
    } catch (e) {
      done++;
      const message = e instanceof Error ? e.message : String(e);
      broken.push(`${job.label}: ${message}`);
      say(`[${String(done).padStart(2)}/${jobs.length}] ${job.label.padEnd(24)} BROKEN: ${message}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, () => worker()));

/** One line on what happened to the bot in a run. */
function describe(r: CrashJobResult): string {
  if (!r.killed) return `${r.job.kind === 'point' ? 'not reached' : 'ended before the kill'}, exit ${r.first.code}`;
  return `killed at ${r.crashLine ?? '?'}, restart exit ${r.restart?.code ?? r.restart?.signal}`;
}

const pointResults = results.filter((r) => r.job.kind === 'point');
const reached = pointResults.filter((r) => r.killed);
const notReached = pointResults.filter((r) => !r.killed).map((r) => r.job.label);
const randomResults = results.filter((r) => r.job.kind === 'random');
const sum = (pick: (r: CrashJobResult) => number): number => results.reduce((a, r) => a + pick(r), 0);
const totals = {
  injectionPoints: flags.only !== undefined ? 1 : points.length,
  runs: reached.length + randomResults.length,
  doublePaid: sum((r) => r.verdict.doublePaid),
  lostPayments: sum((r) => r.verdict.lostPayments),
  overBudget: sum((r) => r.verdict.overBudget),
  overbought: sum((r) => r.verdict.overbought),
};
const mismatched = sum((r) => r.verdict.ledgerMismatch);

say(`reached ${reached.length}/${pointResults.length} injection points; not reached: ${notReached.join(', ') || 'none'}`);
say(`random runs: ${randomResults.filter((r) => r.killed).length}/${randomResults.length} killed (the others ended first)`);
if (mismatched > 0) say(`ledger vs world: ${mismatched} paid order(s) disagree in state or amount (see ✗ lines)`);
if (broken.length > 0) say(`${broken.length} run(s) could not be carried out:\n  ${broken.join('\n  ')}`);
say(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
const clean = totals.doublePaid + totals.lostPayments + totals.overBudget + totals.overbought + mismatched === 0 && broken.length === 0;
if (clean && !flags.keep) await rm(root, { recursive: true, force: true });
console.log(JSON.stringify(totals));
process.exitCode = clean ? 0 : 1;
