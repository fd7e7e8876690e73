import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline, withDeadline } from '../../../../core/time/deadline.js';

describe('deadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts at its time with a TimeoutError, and says it expired', async () => {
    vi.useFakeTimers();
    const d = deadline(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(d.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(d.signal.aborted).toBe(true);
    expect(d.expired).toBe(true);
    expect(d.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('aborts with the given reason at its time', async () => {
    vi.useFakeTimers();
    const d = deadline(10, { reason: () => new Error('reconciliation took longer than 10 ms') });
    await vi.advanceTimersByTimeAsync(10);
    expect(d.signal.reason).toMatchObject({ message: 'reconciliation took longer than 10 ms' });
  });

  it("aborts with the caller's reason when the caller's signal aborts first, and is not expired", () => {
    const caller = new AbortController();
    const d = deadline(60_000, { signal: caller.signal });
    caller.abort(new Error('purchase stopped'));
    expect(d.signal.reason).toMatchObject({ message: 'purchase stopped' });
    expect(d.expired).toBe(false);
    d.clear();
  });

  it("starts aborted when the caller's signal already is", () => {
    const caller = new AbortController();
    caller.abort(new Error('stopped before'));
    const d = deadline(60_000, { signal: caller.signal });
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toMatchObject({ message: 'stopped before' });
  });

  it('never aborts once cleared, and lets go of the caller signal', async () => {
    vi.useFakeTimers();
    const caller = new AbortController();
    const d = deadline(100, { signal: caller.signal });
    d.clear();
    await vi.advanceTimersByTimeAsync(1_000);
    caller.abort(new Error('later'));
    expect(d.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('withDeadline clears its timer however the work ends', async () => {
    vi.useFakeTimers();
    await expect(withDeadline(1_000, async () => 7)).resolves.toBe(7);
    await expect(withDeadline(1_000, async () => Promise.reject(new RangeError('x')))).rejects.toBeInstanceOf(RangeError);
    expect(vi.getTimerCount()).toBe(0);
  });
});
