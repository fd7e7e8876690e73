/** One campaign, whatever the processes: K `automint run` processes (K = 1..3) on one config, one data dir and one
 *  simulated world, started at random offsets, some SIGKILLed at random moments and restarted, then one last run to
 *  the end (as a person would restart after the dust settles). The store's and the chain's own books and the ledger
 *  must agree, and no scope may exceed its limit: packs per target, money overall, per account and per target. */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCrashRun } from '../../bench/crash-checks.js';
import { toNano } from '../../core/money.js';
import { startWorld } from '../../sim/world.js';
import { moneyFacts, startBot, worldConfig, worldEnv, writeConfigFile, type BotExit } from '../support/bot-process.js';

const WANTED = { '1:1': 5, '1:2': 2 } as const;
const BUDGET = { TON: toNano('14'), XTR: 750n };
const ALICE_TON = toNano('9');
const CAT_TON = toNano('8');

const plan = fc.array(
  fc.record({
    startMs: fc.integer({ min: 0, max: 3_000 }),
    killAfterMs: fc.option(fc.integer({ min: 200, max: 6_000 }), { nil: null }),
    restartAfterMs: fc.integer({ min: 0, max: 1_000 }),
  }),
  { minLength: 1, maxLength: 3 },
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tally = { runs: 0, processes: 0, killed: 0, refusedLocked: 0, finishedEarly: 0 };
const dirs: string[] = [];

afterAll(async () => {
  console.log(`campaign across processes: ${JSON.stringify(tally)}`);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Spend per account and per target from the ledger's consumed reservations, and paid packs per target. */
function ledgerScopes(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const spent = db.prepare("select currency, account, target, amount from budget_reservations where state = 'consumed'").all() as
      { currency: string; account: string; target: string; amount: string }[];
    const packs = db.prepare("select collection || ':' || character as target, sum(count) as n from orders where state = 'paid' group by 1").all() as
      { target: string; n: number }[];
    const sum = (pick: (r: (typeof spent)[number]) => boolean) => spent.filter(pick).reduce((n, r) => n + BigInt(r.amount), 0n);
    return {
      aliceTon: sum((r) => r.currency === 'TON' && r.account === 'alice'),
      catTon: sum((r) => r.currency === 'TON' && r.target === '1:1'),
      packs: Object.fromEntries(packs.map((p) => [p.target, p.n])) as Record<string, number>,
    };
  } finally {
    db.close();
  }
}

describe('one campaign across processes, kills and restarts', () => {
  it('never buys more than a target wants nor spends past a limit, and the store agrees with the ledger', async () => {
    await fc.assert(
      fc.asyncProperty(plan, async (processes) => {
        tally.runs++;
        const world = await startWorld({ blockIntervalMs: 400 });
        const dir = await mkdtemp(path.join(os.tmpdir(), 'automint-campaign-'));
        dirs.push(dir);
        try {
          const dataDir = path.join(dir, 'data');
          const config = await writeConfigFile(path.join(dir, 'automint.yaml'), worldConfig(world, dataDir, {
            accounts: [{ name: 'alice', wallet: 'alice', budget: { TON: '9' } }, { name: 'bob', wallet: 'bob' }],
            targets: [
              { collection: 1, character: 1, packs: WANTED['1:1'], maxPricePerPack: { TON: '3', XTR: '300' }, methods: ['ton', 'stars'], budget: { TON: '8' } },
              { collection: 1, character: 2, packs: WANTED['1:2'], maxPricePerPack: { TON: '6' }, methods: ['ton'], accounts: ['alice'] },
            ],
            budget: { TON: '14', XTR: '750' },
          }), world, dataDir);
          const env = worldEnv(world);
          const args = ['run', '--config', config];
          const exits: BotExit[] = [];
          await Promise.all(processes.map(async (p) => {
            await sleep(p.startMs);
            tally.processes++;
            const bot = startBot(args, { env, timeoutMs: 60_000 });
            if (p.killAfterMs !== null) {
              const done = await Promise.race([bot.exited, sleep(p.killAfterMs).then(() => null)]);
              if (done === null) {
                bot.child.kill('SIGKILL');
                tally.killed++;
                await bot.exited;
                await sleep(p.restartAfterMs);
                exits.push(await startBot(args, { env, timeoutMs: 60_000 }).exited);
                return;
              }
              tally.finishedEarly++;
            }
            exits.push(await bot.exited);
          }));
          for (const e of exits) {
            // Finished (0 or 1), or refused at once because another run held the ledger (3); never a hang or a crash.
            expect([0, 1, 3], `${e.code} ${e.signal}\n${e.stderr.slice(-2000)}`).toContain(e.code);
            if (e.code === 3) {
              tally.refusedLocked++;
              expect(e.stderr).toMatch(/pid \d+/);
            }
          }
          const last = await startBot(args, { env, timeoutMs: 60_000 }).exited;
          expect([0, 1], last.stderr.slice(-2000)).toContain(last.code);

          const ledgerFile = path.join(dataDir, 'automint.db');
          const facts = await moneyFacts(world, ledgerFile);
          const verdict = checkCrashRun(facts.world, facts.ledger, BUDGET, WANTED['1:1'] + WANTED['1:2']);
          expect(verdict.problems).toEqual([]);
          expect(verdict.paidPacks).toBeGreaterThan(0);
          const scopes = ledgerScopes(ledgerFile);
          expect(scopes.packs['1:1'] ?? 0).toBeLessThanOrEqual(WANTED['1:1']);
          expect(scopes.packs['1:2'] ?? 0).toBeLessThanOrEqual(WANTED['1:2']);
          expect(scopes.aliceTon).toBeLessThanOrEqual(ALICE_TON);
          expect(scopes.catTon).toBeLessThanOrEqual(CAT_TON);
        } finally {
          await world.close();
        }
      }),
      { numRuns: 4, seed: 20261204, endOnFailure: true },
    );
  }, 600_000);
});
