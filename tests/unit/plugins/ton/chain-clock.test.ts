import { describe, expect, it } from 'vitest';
import { ChainClock } from '../../../../plugins/ton/chain-clock.js';
import { ManualClock } from '../../../support/manual-clock.js';

const T = 1_700_000_000_000;

/** A clock with a wall clock and a monotonic one the test moves, and the warnings it gave. */
function clocks(wall = T) {
  const local = new ManualClock(wall);
  const mono = new ManualClock(1_000);
  const warnings: number[] = [];
  const clock = new ChainClock(local.now, (offset) => warnings.push(offset), mono.now);
  return { local, mono, warnings, clock };
}

describe('ChainClock', () => {
  it('tells the local time until a block was read', () => {
    const { clock } = clocks(T + 500);
    expect(clock.offsetMs).toBeNull();
    expect(clock.nowMs()).toBe(T + 500);
    expect(clock.isFresh()).toBe(false);
  });

  it('corrects a machine 90 s behind the chain by the blocks it reads', () => {
    const { clock } = clocks();
    clock.observe(T / 1000 + 90);
    // The block was made before the end of its second: the chain's time is at most a second past its stamp.
    expect(clock.offsetMs).toBe(91_000);
    expect(clock.nowSec()).toBe(T / 1000 + 91);
  });

  it('takes the freshest of recent blocks, not an old one an indexer served late', () => {
    const { clock } = clocks();
    clock.observe(T / 1000 - 10); // a block 10 s old
    clock.observe(T / 1000 - 1); // a fresh one
    clock.observe(T / 1000 - 5);
    expect(clock.offsetMs).toBe(0);
  });

  it('carries the chain\'s time forward on the monotonic clock, whatever the wall clock does', () => {
    const { clock, local, mono } = clocks();
    clock.observe(T / 1000 + 600); // the machine is 10 min behind...
    local.advance(600_000); // ...and NTP sets it right: the chain's time does not jump
    expect(clock.nowMs()).toBe(T + 601_000);
    expect(clock.offsetMs).toBe(1_000);
    mono.advance(5_000);
    expect(clock.nowMs()).toBe(T + 606_000);
  });

  it('drops readings older than a minute and keeps the last offset until the next one', () => {
    const { clock, local, mono } = clocks();
    clock.observe(T / 1000 + 30);
    mono.advance(61_000);
    local.advance(61_000);
    expect(clock.isFresh()).toBe(false);
    expect(clock.nowMs()).toBe(T + 61_000 + 31_000);
    clock.observe((T + 61_000) / 1000 + 2);
    expect(clock.isFresh()).toBe(true);
    expect(clock.offsetMs).toBe(3_000);
  });

  it('warns once when the offset passes 5 s, not for a small one, and again after it came back', () => {
    const { clock, local, warnings } = clocks();
    clock.observe(T / 1000 + 3);
    expect(warnings).toEqual([]);
    clock.observe(T / 1000 + 30);
    clock.observe(T / 1000 + 30);
    expect(warnings).toEqual([31_000]);
    local.advance(30_000); // the machine's clock is set right: under 5 s again
    clock.observe(T / 1000 + 30);
    expect(warnings).toEqual([31_000]);
    local.advance(-90_000); // and wrong again
    clock.observe(T / 1000 + 31);
    expect(warnings).toEqual([31_000, 92_000]);
  });

  it('ignores a block time that is no time at all', () => {
    const { clock } = clocks();
    clock.observe(0);
    clock.observe(Number.NaN);
    expect(clock.offsetMs).toBeNull();
  });
});
