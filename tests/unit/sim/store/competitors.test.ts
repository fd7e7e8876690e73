import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../../sim/store/catalog.js';
import { Competitors } from '../../../../sim/store/competitors.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { storeScenario } from '../../../support/store-scenario.js';

function setup(plan: { packsPerSecond: number; startDelayMs?: number }, status: 'active' | 'inactive' = 'active') {
  const clock = new ManualClock();
  const dropAt = clock.now() + 10_000;
  const scenario = storeScenario(dropAt);
  scenario.collections[0]!.status = status;
  const catalog = new Catalog(scenario.collections, clock.now);
  const competitors = new Competitors(catalog, plan, clock.now);
  const left = () => catalog.stock(10, 1) + catalog.stock(10, 2);
  return { clock, catalog, competitors, dropAt, left };
}

describe('competing buyers', () => {
  it('buy nothing before the drop and its start delay', () => {
    const { clock, competitors, dropAt, left } = setup({ packsPerSecond: 10, startDelayMs: 2_000 });
    clock.set(dropAt + 1_999);
    expect(competitors.tick()).toBe(0);
    expect(left()).toBe(23);
  });

  it('drain stock at their rate after the drop, spread over the characters', () => {
    const { clock, competitors, dropAt, catalog, left } = setup({ packsPerSecond: 4 });
    clock.set(dropAt + 500);
    expect(competitors.tick()).toBe(2);
    clock.set(dropAt + 1_000);
    expect(competitors.tick()).toBe(2);
    expect(left()).toBe(19);
    expect(catalog.stock(10, 1)).toBeLessThan(20);
    expect(catalog.stock(10, 2)).toBeLessThan(3);
  });

  it('take the same total whether ticked often or once', () => {
    const often = setup({ packsPerSecond: 3 });
    const once = setup({ packsPerSecond: 3 });
    for (let ms = 0; ms <= 5_000; ms += 100) {
      often.clock.set(often.dropAt + ms);
      often.competitors.tick();
    }
    once.clock.set(once.dropAt + 5_000);
    once.competitors.tick();
    expect(often.left()).toBe(once.left());
    expect(once.left()).toBe(23 - 15);
  });

  it('stop at zero and never drive stock below it', () => {
    const { clock, competitors, dropAt, catalog, left } = setup({ packsPerSecond: 1000 });
    clock.set(dropAt + 60_000);
    expect(competitors.tick()).toBe(23);
    clock.advance(60_000);
    expect(competitors.tick()).toBe(0);
    expect(left()).toBe(0);
    expect(catalog.stock(10, 2)).toBe(0);
  });

  it('leave an inactive collection alone', () => {
    const { clock, competitors, dropAt, left } = setup({ packsPerSecond: 10 }, 'inactive');
    clock.set(dropAt + 10_000);
    expect(competitors.tick()).toBe(0);
    expect(left()).toBe(23);
  });

  it('start over from a rescheduled drop', () => {
    const { clock, competitors, dropAt, catalog, left } = setup({ packsPerSecond: 2 });
    clock.set(dropAt + 2_000);
    competitors.tick();
    expect(left()).toBe(19);
    catalog.scheduleDrop(10, clock.now() + 5_000);
    clock.advance(4_000);
    expect(competitors.tick()).toBe(0);
    clock.advance(2_000);
    expect(competitors.tick()).toBe(2);
  });
});
