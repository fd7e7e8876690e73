/** The drop window's blind spot as bench:latency reads it from the store's record of polls. */
import { describe, expect, it } from 'vitest';
import { largestPollGap } from '../../../bench/latency-drop.js';

describe('largest gap between polls inside the drop window', () => {
  it('is the longest stretch without a poll, counted from the window opening', () => {
    expect(largestPollGap([1_100, 1_150, 1_200, 5_000, 5_050], { from: 1_000, to: 6_000 })).toBe(3_800);
    expect(largestPollGap([1_900, 2_000], { from: 1_000, to: 6_000 })).toBe(900);
  });

  it('ignores polls outside the window, and is the whole wait when none came inside it', () => {
    expect(largestPollGap([500, 2_000, 9_000], { from: 1_000, to: 6_000 })).toBe(1_000);
    expect(largestPollGap([], { from: 1_000, to: 6_000 })).toBe(5_000);
  });
});
