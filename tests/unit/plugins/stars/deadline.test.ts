import { describe, expect, it } from 'vitest';
import { bounded } from '../../../../plugins/stars/deadline.js';

class Late extends Error {}
class Stopped extends Error {}
const errors = { onTimeout: () => new Late(), onAbort: () => new Stopped() };
const never = new Promise<never>(() => undefined);

describe('bounded', () => {
  it('passes the answer through when it comes in time', async () => {
    await expect(bounded(Promise.resolve(7), { timeoutMs: 1_000, ...errors })).resolves.toBe(7);
  });

  it('passes the failure of the call through', async () => {
    await expect(bounded(Promise.reject(new RangeError('x')), { timeoutMs: 1_000, ...errors })).rejects.toBeInstanceOf(RangeError);
  });

  it('fails with the timeout error when no answer comes', async () => {
    await expect(bounded(never, { timeoutMs: 10, ...errors })).rejects.toBeInstanceOf(Late);
  });

  it('fails with the abort error when the caller gives up, before or during the call', async () => {
    const before = new AbortController();
    before.abort();
    await expect(bounded(never, { timeoutMs: 10_000, signal: before.signal, ...errors })).rejects.toBeInstanceOf(Stopped);
    const during = new AbortController();
    const call = bounded(never, { signal: during.signal, ...errors });
    during.abort();
    await expect(call).rejects.toBeInstanceOf(Stopped);
  });

  it('fails with the connection failure as its reason', async () => {
    const failure = new AbortController();
    const call = bounded(never, { timeoutMs: 10_000, failure: failure.signal, ...errors });
    const reason = new TypeError('key forgotten');
    failure.abort(reason);
    await expect(call).rejects.toBe(reason);
  });

  it('swallows a late rejection of a call that lost the race', async () => {
    let rejectLate!: (e: Error) => void;
    const work = new Promise<never>((_, reject) => { rejectLate = reject; });
    await expect(bounded(work, { timeoutMs: 5, ...errors })).rejects.toBeInstanceOf(Late);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    rejectLate(new Error('late'));
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
