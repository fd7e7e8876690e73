/** The demo drop bought from a store whose every Stars buy is twisted, by buyers Telegram asks to verify each Stars
 *  payment, and from a store that refuses every login: no star moves that should not, each refusal is on record with
 *  its reason, TON buys what Stars cannot, and the run ends. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../../cli/demo.js';
import { runBot } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import { scenarioByName } from '../../sim/scenarios.js';
import { startWorld, type World } from '../../sim/world.js';
import { buyFrom, expectMoneySafe } from '../support/hostile-run.js';

/** Every pack the demo config wants: 20 Blue Cats (TON or Stars) and 5 Golden Dogs (TON only). */
const DEMO_PACKS = 25;
/** Stars each demo buyer starts with. */
const DEMO_STARS = 2000n;

/** The reason the Stars purchase of the Blue Cat ended with, for one account. */
function blueCatReason(summary: RunSummary, account: string): string {
  const outcome = summary.outcomes.find((o) => o.purchaseId === `purchase:1:1:${account}`);
  expect(outcome, `no outcome for ${account}'s Blue Cat purchase`).toBeDefined();
  return outcome!.reason;
}

/** Nothing taken from any buyer's Stars, by Telegram's own record. */
function expectNoStarsTaken(world: World): void {
  expect(world.telegram.payments()).toEqual([]);
  for (const b of world.buyers) expect(world.telegram.starsOf(b.userId)).toBe(DEMO_STARS);
}

/** TON bought every pack on its own. */
function expectTonBoughtAll(summary: RunSummary): void {
  expect(summary.packs).toBe(DEMO_PACKS);
  expect(summary.paid['ton']).toBeGreaterThan(0);
  expect(summary.paid['stars'] ?? 0).toBe(0);
  expect(summary.orders.filter((o) => o.state === 'paid').every((o) => o.currency === 'TON')).toBe(true);
}

describe('Stars bought from a hostile store', () => {
  // Each twist makes every Stars order unpayable; `says` is what the refusal must say about it.
  it.each([
    { scenario: 'hostile-stars-no-slug', says: /refused by stars: the invoice link has no slug/, code: 'STARS_NO_SLUG' },
    { scenario: 'hostile-stars-overprice', says: /asks 500 XTR, above quote × 1/, code: 'AMOUNT_ABOVE_QUOTE' },
    { scenario: 'hostile-stars-currency', says: /refused by stars: the form is in USD \(\d+ of its smallest unit\), not Stars \(XTR\)/, code: 'STARS_FOREIGN_CURRENCY' },
  ])('$scenario: pays no Stars order, records each account\'s refusal with its reason, and TON buys every pack', async ({ scenario, says, code }) => {
    const { world, summary, close } = await buyFrom(scenario);
    try {
      expectNoStarsTaken(world);
      expectMoneySafe(world, summary);
      expectTonBoughtAll(summary);
      for (const b of world.buyers) {
        // Each account's Stars payer ordered, was refused, and the ledger keeps that order as refused.
        const starsOrders = summary.orders.filter((o) => o.method === 'stars' && o.account === b.name);
        expect(starsOrders.length, `${b.name} has no Stars order in the ledger`).toBeGreaterThan(0);
        expect(starsOrders.map((o) => o.state)).toEqual(starsOrders.map(() => 'refused'));
        // The ledger keeps a typed reason: the refusal's code, then what it says.
        for (const o of starsOrders) expect(o.reason).toMatch(new RegExp(`^${code}: `));
        const reason = blueCatReason(summary, b.name);
        expect(reason).toMatch(says);
        expect(starsOrders.some((o) => reason.includes(`order ${o.orderId} `))).toBe(true);
      }
    } finally {
      await close();
    }
  }, 60_000);

  it('stars-verification: takes no Stars, tells each account to verify in a Telegram app, and TON buys every pack', async () => {
    const { world, summary, close } = await buyFrom('stars-verification');
    try {
      expectNoStarsTaken(world);
      expectMoneySafe(world, summary);
      expectTonBoughtAll(summary);
      for (const b of world.buyers) {
        expect(blueCatReason(summary, b.name)).toMatch(/stars: cannot pay with this method: .*verify .* in a Telegram app/);
      }
      expect(summary.orders.filter((o) => o.method === 'stars').every((o) => o.state !== 'paid')).toBe(true);
    } finally {
      await close();
    }
  }, 60_000);
});

/** How long the login-refused run may take before this test stops it: a run that ends by itself ends well before. */
const RUN_DEADLINE_MS = 40_000;
/** What a purchase that could not log in ends with: the store's refusal of that account's login, and what to do. */
const loginRefused = (account: string): RegExp =>
  new RegExp(`^arming failed: the store refused the stars login of account ${account} \\(HTTP 401\\): check the session with ` +
    `\`automint session info --account ${account}\` and log in again with \`automint login --account ${account}\`$`);

describe('a store that refuses every login', () => {
  it('hostile-auth-refused: buys nothing, ends on its own, and says the login failed', async () => {
    // buyFrom cannot be stopped: a run that never ends would outlive the test. This is buyFrom with a deadline.
    const world = await startWorld({ scenario: scenarioByName('hostile-auth-refused'), blockIntervalMs: 300 });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-hostile-auth-refused-'));
    try {
      const config = await loadDemoConfig(world, dataDir);
      // The run ends with a summary (a throw fails the test here): a refused login fails the purchases, not the run.
      const summary = await runBot({ config, log: pino({ level: 'silent' }), command: 'test', signal: AbortSignal.timeout(RUN_DEADLINE_MS) });

      // The store saw logins and refused each one; no order was taken, no star and no TON moved.
      const logins = world.store.stats().auth;
      expect(logins.refused.injected).toBeGreaterThan(0);
      expect(logins.issued).toBe(0);
      expect(world.store.orders()).toEqual([]);
      expect(world.telegram.payments()).toEqual([]);

      expect(summary.packs).toBe(0);
      expect(summary.orders).toEqual([]);
      // Stopped by the deadline above means it would have waited for a login forever.
      expect(summary.stopReason, 'the run did not end by itself').toBeNull();
      expect(summary.ok).toBe(false);
      // Every purchase of the demo failed, each for its own account's refused login.
      expect(summary.outcomes.map((o) => o.purchaseId).sort()).toEqual(['purchase:1:1:alice', 'purchase:1:1:bob', 'purchase:1:2:alice']);
      for (const o of summary.outcomes) {
        expect(o.outcome).toBe('failed');
        expect(o.reason).toMatch(loginRefused(o.purchaseId.split(':')[3]!));
      }
    } finally {
      await world.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
