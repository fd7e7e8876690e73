/** A store that answers 429 with Retry-After to every request for a while: the bot waits exactly as told. */
import { describe, expect, it } from 'vitest';
import { buyFrom, expectMoneySafe } from '../support/hostile-run.js';

describe('buying through a Retry-After storm', () => {
  it('retry-after-storm: waits out every Retry-After as told, then buys what is left, paying each order once', async () => {
    const { world, summary, close } = await buyFrom('retry-after-storm');
    try {
      expectMoneySafe(world, summary);
      // 20 answers of 429 + Retry-After: 2 s, obeyed one after the other, never a request more than the store allowed.
      expect(world.store.stats().http429).toBe(20);
      expect(summary.packs).toBeGreaterThan(0);
    } finally {
      await close();
    }
  }, 120_000);

});
