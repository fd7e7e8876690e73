import { describe, expect, it } from 'vitest';
import { sleepUntil } from '../../../../sim/store/clock.js';

describe('store sleep', () => {
  it('ends every pending sleep when the store shuts down, and sleeps no more after', async () => {
    const shutdown = new AbortController();
    const sleep = sleepUntil(shutdown.signal);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const pending = Array.from({ length: 50 }, () => sleep(600_000));
      shutdown.abort();
      await Promise.all(pending);
      await sleep(600_000);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('resolves a short sleep by itself', async () => {
    await expect(sleepUntil(new AbortController().signal)(1)).resolves.toBeUndefined();
  });
});
