import { describe, expect, it } from 'vitest';
import { FixedWindowCounter } from '../../../../sim/store/rate-window.js';

describe('fixed window counter', () => {
  it('counts hits per key within a window aligned to the epoch', () => {
    const counter = new FixedWindowCounter(3, 1000);
    const at = 5_000_250;
    expect([1, 2, 3, 4].map(() => counter.hit('a', at).remaining)).toEqual([2, 1, 0, 0]);
    expect(counter.hit('b', at)).toEqual({ limit: 3, remaining: 2, resetAtMs: 5_001_000 });
  });

  it('peeks without counting', () => {
    const counter = new FixedWindowCounter(2, 1000);
    expect(counter.peek('a', 0).remaining).toBe(2);
    expect(counter.peek('a', 0).remaining).toBe(2);
    counter.hit('a', 0);
    expect(counter.peek('a', 999).remaining).toBe(1);
  });

  it('starts over when the window rolls', () => {
    const counter = new FixedWindowCounter(1, 1000);
    counter.hit('a', 1999);
    expect(counter.peek('a', 1999).remaining).toBe(0);
    expect(counter.peek('a', 2000)).toEqual({ limit: 1, remaining: 1, resetAtMs: 3000 });
  });

  it('refuses limits and windows that are not positive integers', () => {
    expect(() => new FixedWindowCounter(0, 1000)).toThrow(RangeError);
    expect(() => new FixedWindowCounter(1, 0.5)).toThrow(RangeError);
  });
});
