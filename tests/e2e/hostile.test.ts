/** The demo drop bought from a hostile store, one scenario per fault: whatever the store does, no order is paid twice,
 *  no payment goes anywhere the bot did not verify, the ledger agrees with the store, and the run ends. */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../core/run/summary.js';
import type { World } from '../../sim/world.js';
import { buyFrom, expectMoneySafe } from '../support/hostile-run.js';
import { ledgerKeyOf } from '../support/store-order-key.js';

/** Every pack the demo config wants: 20 Blue Cats and 5 Golden Dogs. */
const DEMO_PACKS = 25;
/** The demo's purchases: each account's Blue Cat, and alice's Golden Dog. */
const DEMO_PURCHASES = ['purchase:1:1:alice', 'purchase:1:1:bob', 'purchase:1:2:alice'];
/** Most 429s a careful client may meet in one demo run behind the tight limits (the store bans after 10 in 10 s). */
const MOST_429S = 3;

/** The demo's budgets and the most one pack may cost (config/demo.yaml, in nanotons and Stars): a method that ends
 *  "budget exhausted" must have less than one pack's worth of its budget left. */
const DEMO_BUDGET = { ton: { currency: 'TON', limit: 80_000_000_000n, onePack: 3_000_000_000n }, stars: { currency: 'XTR', limit: 3_000n, onePack: 300n } } as const;

/** The run ended by itself (no stop, no deadline), every purchase with an outcome. */
function expectEndedByItself(summary: RunSummary): void {
  expect(summary.stopReason).toBeNull();
  expect(summary.outcomes.map((o) => o.purchaseId).sort()).toEqual(DEMO_PURCHASES);
}

/** Each order the ledger calls paid is one the store took for the same count and amount, and paid. */
function expectPaidAsOrdered(world: World, summary: RunSummary): void {
  const paid = summary.orders.filter((o) => o.state === 'paid');
  expect(paid.length).toBeGreaterThan(0);
  const byKey = new Map(world.store.orders().map((o) => [ledgerKeyOf(o), o]));
  for (const o of paid) {
    const stored = byKey.get(o.orderId);
    expect(stored, `the store has no order ${o.orderId}`).toBeDefined();
    expect({ state: stored!.state, count: stored!.count, amount: stored!.totalAmount }).toEqual({ state: 'paid', count: o.count, amount: o.amount });
  }
  expect(paid.reduce((n, o) => n + o.count, 0)).toBe(summary.packs);
}

describe('buying from a hostile store', () => {
  // Faults a careful client rides through: it still buys everything it wanted.
  it.each(['hostile-429', 'hostile-relative-reset', 'hostile-5xx-burst', 'hostile-html', 'hostile-slow', 'token-expiry'])(
    '%s: buys every pack, pays each order once, and is never banned',
    async (scenario) => {
      const { world, summary, close } = await buyFrom(scenario);
      try {
        // Never banned, and never close to it: the store counts its bans and every 429 it answered.
        const stats = world.store.stats();
        expect(stats.bans).toBe(0);
        expect(stats.http429).toBeLessThanOrEqual(MOST_429S);
        expectMoneySafe(world, summary);
        expectEndedByItself(summary);
        expectPaidAsOrdered(world, summary);
        expect(summary.packs).toBe(DEMO_PACKS);
        expect(summary.ok).toBe(true);
        for (const o of summary.outcomes) expect(o.outcome, `${o.purchaseId}: ${o.reason}`).toBe('done');
        // Tokens that live 5 s are refreshed: more logins than accounts.
        if (scenario === 'token-expiry') expect(stats.auth.issued).toBeGreaterThan(world.buyers.length);
      } finally {
        await close();
      }
    },
    90_000,
  );

  // Faults that can hide whether an order exists: the bot pays only what it could verify, and the run still ends.
  it.each([
    // A refusal whose envelope the fault cut is only a status (with one unpaid TON order allowed, a 409 for the limit).
    { scenario: 'hostile-malformed', fault: /store answer to \w+ is malformed|store answered HTTP 4\d\d to \w+$/ },
    { scenario: 'hostile-reset', fault: /store call \w+ failed: connection/ },
  ])(
    '$scenario: pays nothing it could not verify and ends',
    async ({ scenario, fault }) => {
      const { world, summary, close } = await buyFrom(scenario);
      try {
        expectMoneySafe(world, summary);
        expectEndedByItself(summary);
        // Something was bought, each paid order as the store took it; never more than wanted.
        expectPaidAsOrdered(world, summary);
        expect(summary.packs).toBeLessThanOrEqual(DEMO_PACKS);
        // Ended complete exactly when every pack was bought; a purchase that gave up names the fault that stopped it,
        // unless its method spent what it may (when the fault stopped the other method, this one buys more).
        expect(summary.ok).toBe(summary.packs === DEMO_PACKS);
        for (const o of summary.outcomes) {
          for (const part of o.reason.split('; ')) {
            if (/: target reached$/.test(part)) continue;
            const spentAll = /^(ton|stars): budget exhausted$/.exec(part);
            if (spentAll) {
              const budget = DEMO_BUDGET[spentAll[1] as 'ton' | 'stars'];
              expect(summary.spent[budget.currency] + budget.onePack, `${o.purchaseId}: ${part}`).toBeGreaterThan(budget.limit);
              continue;
            }
            expect(part, o.purchaseId).toMatch(fault);
          }
        }
        // Orders the bot could not verify stay unpaid at the store: every paid store order is one the ledger paid.
        const storePaid = world.store.orders().filter((o) => o.state === 'paid').map(ledgerKeyOf).sort();
        expect(storePaid).toEqual(summary.orders.filter((o) => o.state === 'paid').map((o) => o.orderId).sort());
        // The fault did happen.
        const injected = world.store.faultState().injected;
        expect(scenario === 'hostile-reset' ? injected.connectionReset : injected.malformedJson).toBeGreaterThan(0);
      } finally {
        await close();
      }
    },
    90_000,
  );
});
