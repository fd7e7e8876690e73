/** The real crash runner, short: the built bot SIGKILLed at every state of its purchase and payer statecharts once,
 *  and at two seeded random moments, each time in a fresh `automint world` process, restarted on the same ledger, then
 *  checked against the store's and the chain's own books: no order paid twice, no payment forgotten, no budget
 *  exceeded, no pack over target. `npm run test:crash` runs the long version (20 random kills). */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrashJob, type CrashJobResult } from '../../bench/crash-job.js';
import { crashJobs } from '../../bench/crash-jobs.js';

const CLI = path.resolve('dist/cli/main.js');
// One at a time: the rest of the suite runs beside it on the other core.
const PARALLEL = 1;
const jobs = crashJobs(2, 4500);
const children = new Set<ChildProcess>();
let root = '';

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
});

describe('crash runner (short)', () => {
  it(`kills the bot at ${jobs.length} moments and finds no money lost, paid twice, overspent or overbought`, async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    root = await mkdtemp(path.join(os.tmpdir(), 'automint-crash-ci-'));
    const results: CrashJobResult[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index]!;
        const dir = path.join(root, `${index}`);
        results.push(await runCrashJob(job, { cli: CLI, dir, botTimeoutMs: 120_000, children }));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    const problems = results.flatMap((r) => r.verdict.problems.map((p) => `${r.job.label}: ${p}`));
    expect(problems).toEqual([]);
    // Every injection point was reached (the bot died there), and every killed run was restarted to its end.
    const notReached = results.filter((r) => r.job.kind === 'point' && !r.killed).map((r) => r.job.label);
    expect(notReached).toEqual([]);
    for (const r of results.filter((x) => x.killed)) expect([0, 1], r.job.label).toContain(r.restart?.code);
    // A run that bought nothing proves nothing.
    expect(results.every((r) => r.verdict.paidPacks > 0)).toBe(true);
    console.log(`crash runner (short): ${results.length} runs, ${results.filter((r) => r.killed).length} killed, `
      + `${Math.round(results.reduce((ms, r) => ms + r.ms, 0) / 1000)} s of runs`);
  }, 1_200_000);
});
