import { describe, expect, it } from 'vitest';
import { ChainClock } from '../../../../plugins/ton/chain-clock.js';
import { ManualClock } from '../../../support/manual-clock.js';

describe('ChainClock', () => {
  it('tells the local time until a block was read', () => {
    const local = new ManualClock(1_700_000_000_500);
    const clock = new ChainClock(local.now);
    expect(clock.offsetMs).toBeNull();
    expect(clock.nowMs()).toBe(1_700_000_000_500);
  });

  it('corrects a machine 90 s behind the chain by the blocks it reads', () => {
    const local = new ManualClock(1_700_000_000_000);
    const clock = new ChainClock(local.now);
    clock.observe(1_700_000_090);
    // The block was made before the end of its second: the chain's time is at most a second past its stamp.
    expect(clock.offsetMs).toBe(91_000);
    expect(clock.nowSec()).toBe(1_700_000_091);
  });

  it('takes the freshest of recent blocks, not an old one an indexer served late', () => {
    const local = new ManualClock(1_700_000_000_000);
    const clock = new ChainClock(local.now);
    clock.observe(1_699_999_990); // a block 10 s old
    clock.observe(1_699_999_999); // a fresh one
    clock.observe(1_699_999_995);
    expect(clock.offsetMs).toBe(0);
  });

  it('forgets readings older than its window, so a corrected machine clock is followed', () => {
    const local = new ManualClock(1_700_000_000_000);
    const clock = new ChainClock(local.now);
    clock.observe(1_700_000_600); // the machine was 10 min behind...
    local.advance(600_000); // ...and NTP set it right
    for (let i = 0; i < 16; i++) clock.observe(1_700_000_600);
    expect(clock.offsetMs).toBe(1_000);
  });

  it('warns once when the offset passes 5 s, not for a small one, and again after it came back', () => {
    const local = new ManualClock(1_700_000_000_000);
    const warnings: number[] = [];
    const clock = new ChainClock(local.now, (offset) => warnings.push(offset));
    clock.observe(1_700_000_003);
    expect(warnings).toEqual([]);
    clock.observe(1_700_000_030);
    clock.observe(1_700_000_031);
    expect(warnings).toEqual([31_000]);
    local.advance(30_000);
    for (let i = 0; i < 16; i++) clock.observe(1_700_000_030);
    clock.observe(1_700_000_100);
    expect(warnings).toEqual([31_000, 71_000]);
  });

  it('ignores a block time that is no time at all', () => {
    const clock = new ChainClock(() => 1_700_000_000_000);
    clock.observe(0);
    clock.observe(Number.NaN);
    expect(clock.offsetMs).toBeNull();
  });
});
