/** The drop window's blind spot as bench:latency reads it from the store's record of polls. */
import { describe, expect, it } from 'vitest';
import { detectionOf, largestPollGap, type PollRecord } from '../../../bench/latency-drop.js';

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

describe('how soon the polls saw the drop', () => {
  const poll = (at: number, caller = '1'): PollRecord => ({ at, caller, status: 200 });

  it('is the first poll at or after the drop, and the rate per account before it', () => {
    // Two accounts, 4 polls in the 2 s before the drop: 1 poll a second each.
    const polls = [poll(8_000), poll(8_500, '2'), poll(9_000), poll(9_500, '2'), poll(10_120), poll(10_600, '2')];
    expect(detectionOf(polls, 10_000, 2)).toEqual({ delayMs: 120, perAccountPerSec: 1 });
    expect(detectionOf([poll(10_000)], 10_000, 1).delayMs).toBe(0);
  });

  it('says it could not tell (NaN) rather than guess: no poll after the drop, or too few before it', () => {
    expect(detectionOf([poll(1_000), poll(2_000)], 10_000, 1).delayMs).toBeNaN();
    expect(detectionOf([poll(10_500)], 10_000, 1).perAccountPerSec).toBeNaN();
  });
});
