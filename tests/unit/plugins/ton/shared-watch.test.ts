import { getEventListeners } from 'node:events';
import type { Transaction } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { SharedWatch, type MessageOutcome } from '../../../../plugins/ton/message-watch.js';

const EXECUTED: MessageOutcome = { kind: 'executed', tx: {} as Transaction };
const EXPIRED: MessageOutcome = { kind: 'expired', reason: 'another message used seqno 4' };
const UNKNOWN: MessageOutcome = { kind: 'unknown', reason: 'not confirmed within 120 s' };
const INTERRUPTED: MessageOutcome = { kind: 'unknown', reason: 'confirmation interrupted' };

/** A watch of the chain the test answers by hand: each start is one watch, with the signal it was given. */
function chainWatch() {
  const starts: { signal: AbortSignal; answer: (o: MessageOutcome) => void; fail: (e: unknown) => void }[] = [];
  const watch = (signal: AbortSignal): Promise<MessageOutcome> => new Promise((answer, fail) => void starts.push({ signal, answer, fail }));
  return { starts, shared: new SharedWatch(watch) };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('one watch of a message shared by every member asking for its outcome', () => {
  it('starts one watch for every caller and gives each its outcome', async () => {
    const { starts, shared } = chainWatch();
    const outcomes = Promise.all([shared.outcome(new AbortController().signal), shared.outcome(new AbortController().signal)]);
    expect(starts).toHaveLength(1);
    starts[0]!.answer(EXECUTED);
    expect(await outcomes).toEqual([EXECUTED, EXECUTED]);
  });

  it.each([['executed', EXECUTED], ['expired', EXPIRED]])('keeps a certain outcome (%s) for later callers without watching again', async (_kind, certain) => {
    const { starts, shared } = chainWatch();
    const first = shared.outcome(new AbortController().signal);
    starts[0]!.answer(certain);
    expect(await first).toBe(certain);
    await flush();
    expect(await shared.outcome(new AbortController().signal)).toBe(certain);
    expect(starts).toHaveLength(1);
  });

  it('does not keep an unknown outcome: the next caller watches again', async () => {
    const { starts, shared } = chainWatch();
    const first = shared.outcome(new AbortController().signal);
    starts[0]!.answer(UNKNOWN);
    expect(await first).toBe(UNKNOWN);
    await flush();
    const second = shared.outcome(new AbortController().signal);
    expect(starts).toHaveLength(2);
    starts[1]!.answer(EXECUTED);
    expect(await second).toBe(EXECUTED);
  });

  it('passes a failed watch on to its callers, and the next caller watches again', async () => {
    const { starts, shared } = chainWatch();
    const first = shared.outcome(new AbortController().signal);
    starts[0]!.fail(new Error('watch failed'));
    await expect(first).rejects.toThrow('watch failed');
    await flush();
    const second = shared.outcome(new AbortController().signal);
    expect(starts).toHaveLength(2);
    starts[1]!.answer(EXPIRED);
    expect(await second).toBe(EXPIRED);
  });

  it('goes on watching for the others when one caller stops, and stops the watch when the last one does', async () => {
    const { starts, shared } = chainWatch();
    const a = new AbortController();
    const b = new AbortController();
    const first = shared.outcome(a.signal);
    const second = shared.outcome(b.signal);
    a.abort();
    expect(await first).toEqual(INTERRUPTED);
    expect(starts[0]!.signal.aborted).toBe(false);
    b.abort();
    expect(await second).toEqual(INTERRUPTED);
    expect(starts[0]!.signal.aborted).toBe(true);
    // Stopped, the watch is gone: the next caller starts a new one, and its outcome is the new watch's.
    const third = shared.outcome(new AbortController().signal);
    expect(starts).toHaveLength(2);
    starts[0]!.answer(EXPIRED);
    starts[1]!.answer(EXECUTED);
    expect(await third).toBe(EXECUTED);
  });

  it.each([
    ['ends', (start: { answer: (o: MessageOutcome) => void }) => start.answer(UNKNOWN)],
    ['fails', (start: { fail: (e: unknown) => void }) => start.fail(new Error('watch failed'))],
  ])('keeps the new watch for later callers when a stopped one %s late', async (_how, endLate) => {
    const { starts, shared } = chainWatch();
    const left = new AbortController();
    const first = shared.outcome(left.signal);
    left.abort();
    expect(await first).toEqual(INTERRUPTED);
    const second = shared.outcome(new AbortController().signal);
    expect(starts).toHaveLength(2);
    // The stopped watch ends only now: the running one stays the one later callers share.
    endLate(starts[0]!);
    await flush();
    const third = shared.outcome(new AbortController().signal);
    expect(starts).toHaveLength(2);
    starts[1]!.answer(EXECUTED);
    expect(await Promise.all([second, third])).toEqual([EXECUTED, EXECUTED]);
  });

  it('leaves no listener on a caller\'s signal once it stopped waiting, even while the watch goes on', async () => {
    const { shared } = chainWatch();
    const staying = shared.outcome(new AbortController().signal);
    const leaving = new AbortController();
    const left = shared.outcome(leaving.signal);
    leaving.abort();
    expect(await left).toEqual(INTERRUPTED);
    expect(getEventListeners(leaving.signal, 'abort')).toHaveLength(0);
    void staying;
  });

  it('does not stop a watch that already ended when its last caller leaves', async () => {
    const { starts, shared } = chainWatch();
    const first = shared.outcome(new AbortController().signal);
    starts[0]!.answer(UNKNOWN);
    expect(await first).toBe(UNKNOWN);
    expect(starts[0]!.signal.aborted).toBe(false);
  });

  it('answers a caller already stopped as interrupted, and stops the watch it was the only one to wait for', async () => {
    const { starts, shared } = chainWatch();
    const stopped = new AbortController();
    stopped.abort();
    expect(await shared.outcome(stopped.signal)).toEqual(INTERRUPTED);
    expect(starts[0]!.signal.aborted).toBe(true);
  });

  it('leaves no listener on a caller\'s signal once it has its outcome', async () => {
    const { starts, shared } = chainWatch();
    const caller = new AbortController();
    const outcome = shared.outcome(caller.signal);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    starts[0]!.answer(EXECUTED);
    await outcome;
    await flush();
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });
});
