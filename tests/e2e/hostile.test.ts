/** The demo drop bought from a hostile store, one scenario per fault: whatever the store does, no order is paid twice,
 *  no payment goes anywhere the bot did not verify, the ledger agrees with the store, and the run ends. */
import { describe, expect, it } from 'vitest';
import { buyFrom, expectMoneySafe } from '../support/hostile-run.js';

describe('buying from a hostile store', () => {
  // Faults a careful client rides through: it still buys everything it wanted.
  it.each(['hostile-429', 'hostile-relative-reset', 'hostile-5xx-burst', 'hostile-html', 'hostile-slow'])(
    '%s: buys every pack, pays each order once, and is never banned',
    async (scenario) => {
      const { world, summary, close } = await buyFrom(scenario);
      try {
        expectMoneySafe(world, summary);
        expect(summary.packs).toBe(25);
      } finally {
        await close();
      }
    },
    90_000,
  );

  // Faults that can hide whether an order exists: the bot pays only what it could verify, and the run still ends.
  it.each(['hostile-malformed', 'hostile-reset', 'token-expiry'])(
    '%s: pays nothing it could not verify and ends',
    async (scenario) => {
      const { world, summary, close } = await buyFrom(scenario);
      try {
        expectMoneySafe(world, summary);
        for (const o of summary.orders.filter((x) => x.state === 'paid')) expect(o.amount).toBeGreaterThan(0n);
      } finally {
        await close();
      }
    },
    90_000,
  );
});
