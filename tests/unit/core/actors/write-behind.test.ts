import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WriteBehind } from '../../../../core/actors/write-behind.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const EVERY = 10_000;

/** A WriteBehind over a counter of writes; `worthIt` says whether a look mid-run finds something a restart needs. */
function writer(worthIt: () => boolean = () => true) {
  const writes: { at: number; final: boolean }[] = [];
  const errors: unknown[] = [];
  let failNext = false;
  const saver = new WriteBehind({
    minIntervalMs: EVERY,
    write: async (final) => {
      if (!final && !worthIt()) return false;
      if (failNext) {
        failNext = false;
        throw new Error('SQLITE_FULL: database or disk is full');
      }
      writes.push({ at: Date.now() - T0, final });
      return true;
    },
    onError: (e) => errors.push(e),
  });
  return { saver, writes, errors, failOnce: () => void (failNext = true) };
}

describe('WriteBehind', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes nothing when nothing changed, not even when it stops', async () => {
    const { saver, writes } = writer();
    saver.loaded();
    await vi.advanceTimersByTimeAsync(EVERY * 10);
    await saver.stop();
    expect(writes).toEqual([]);
  });

  it('writes the first change after calm at once, then at most once per interval however many changes come', async () => {
    const { saver, writes } = writer();
    saver.loaded();
    saver.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([{ at: 0, final: false }]);
    for (let t = 0; t < 35_000; t += 100) {
      saver.changed();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(writes.map((w) => w.at)).toEqual([0, 10_000, 20_000, 30_000]);
  });

  it('writes nothing mid-run when the owner finds nothing a restart needs, and everything on the flush', async () => {
    const { saver, writes } = writer(() => false);
    saver.loaded();
    for (let i = 0; i < 50; i++) {
      saver.changed();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(writes).toEqual([]);
    await saver.flush();
    expect(writes).toEqual([{ at: 50_000, final: true }]);
    await saver.stop();
    expect(writes).toHaveLength(1);
  });

  it('writes nothing before the saved state is loaded, even on stop', async () => {
    const { saver, writes } = writer();
    saver.changed();
    await vi.advanceTimersByTimeAsync(EVERY * 3);
    await saver.stop();
    saver.loaded();
    await vi.advanceTimersByTimeAsync(EVERY);
    expect(writes).toEqual([]);
  });

  it('tries a failed write again after the interval, and reports the failure', async () => {
    const { saver, writes, errors, failOnce } = writer();
    saver.loaded();
    failOnce();
    saver.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(EVERY);
    expect(writes).toEqual([{ at: EVERY, final: false }]);
  });

  it('looks again at a change made while a write was under way', async () => {
    let finish!: () => void;
    const writes: number[] = [];
    const saver = new WriteBehind({
      minIntervalMs: EVERY,
      write: async () => {
        writes.push(Date.now() - T0);
        if (writes.length === 1) await new Promise<void>((r) => (finish = r));
        return true;
      },
      onError: () => undefined,
    });
    saver.loaded();
    saver.changed();
    await vi.advanceTimersByTimeAsync(0);
    saver.changed();
    finish();
    await vi.advanceTimersByTimeAsync(EVERY);
    expect(writes).toEqual([0, EVERY]);
  });

  it('a flush asked for while a look is under way still writes what the look left', async () => {
    let finishLook!: () => void;
    const writes: boolean[] = [];
    const saver = new WriteBehind({
      minIntervalMs: EVERY,
      write: async (final) => {
        if (!final) {
          await new Promise<void>((r) => (finishLook = r));
          return false;
        }
        writes.push(final);
        return true;
      },
      onError: () => undefined,
    });
    saver.loaded();
    saver.changed();
    await vi.advanceTimersByTimeAsync(0);
    const flushed = saver.flush();
    finishLook();
    await flushed;
    expect(writes).toEqual([true]);
  });
});
