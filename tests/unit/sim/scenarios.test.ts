import { describe, expect, it } from 'vitest';
import { BuyerCountInvalid, DEMO_SCENARIO, scenarioByName, SCENARIOS, UnknownScenario, withBuyers } from '../../../sim/scenarios.js';
import { validateScenario } from '../../../sim/store/scenario.js';
import { call, startTestStore, type HttpAnswer } from '../../integration/sim/store-http.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('world scenarios', () => {
  it('lists every named scenario the brief asks for, each under its own name with a one-line description', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(
      [
        'demo',
        'hostile-429',
        'hostile-relative-reset',
        'hostile-5xx-burst',
        'hostile-malformed',
        'hostile-html',
        'hostile-slow',
        'hostile-reset',
        'retry-after-storm',
        'token-expiry',
        'limiter-bench',
        'drop-paced',
        'hostile-stars-no-slug',
        'hostile-stars-overprice',
        'hostile-stars-currency',
        'hostile-auth-refused',
        'stars-verification',
        'hostile-ton-overprice',
        'hostile-ton-wrong-destination',
        'hostile-ton-expired',
        'hostile-ton-expiring',
        'hostile-ton-duplicate-id',
        'hostile-ton-count',
        'hostile-ton-huge-body',
        'snipe',
      ].sort(),
    );
    for (const [name, s] of Object.entries(SCENARIOS)) {
      expect(s.name).toBe(name);
      expect(s.description.length).toBeGreaterThan(10);
      expect(s.description).not.toContain('\n');
    }
  });

  it('builds a valid store from every scenario', () => {
    for (const s of Object.values(SCENARIOS)) {
      const store = s.store(NOW);
      expect(validateScenario(store)).toBe(store);
      expect(s.buyers.length).toBeGreaterThan(0);
    }
  });

  it('keeps the demo a well-behaved store whose drop comes 3 s after start', () => {
    const store = DEMO_SCENARIO.store(NOW);
    expect(store.collections[0]!.dropAt).toBe(NOW + 3000);
    expect([store.rateLimits, store.faults, store.tokenTtlSec]).toEqual([undefined, undefined, 3600]);
    expect(scenarioByName('demo')).toBe(DEMO_SCENARIO);
  });

  it('makes each hostile scenario hostile in its own way', () => {
    const store = (name: string) => scenarioByName(name).store(NOW);
    expect(store('hostile-429').rateLimits).toMatchObject({ resetStyle: 'epoch', perToken: {}, perIp: {}, ban: {} });
    expect(store('hostile-relative-reset').rateLimits?.resetStyle).toBe('relative');
    expect(store('hostile-5xx-burst').faults?.status5xx?.burst).toBeGreaterThan(0);
    expect(store('hostile-malformed').faults?.malformedJson).toBeDefined();
    expect(store('hostile-html').faults?.htmlErrorPage).toBeDefined();
    expect(store('hostile-slow').faults?.slowMs?.ms).toBeGreaterThan(0);
    expect(store('hostile-reset').faults?.connectionReset).toBeDefined();
    expect(store('retry-after-storm').faults?.retryAfterStorm?.burst).toBeGreaterThan(0);
    expect(store('token-expiry').tokenTtlSec).toBeLessThanOrEqual(10);
  });

  it('twists every TON buy answer in its own way', () => {
    const faults = (name: string) => scenarioByName(name).store(NOW).faults;
    expect(faults('hostile-ton-overprice')).toEqual({ tonOverprice: { rate: 1 } });
    expect(faults('hostile-ton-wrong-destination')).toEqual({ tonWrongDestination: { rate: 1 } });
    expect(faults('hostile-ton-expired')).toEqual({ tonExpiredOrder: { rate: 1 } });
    expect(faults('hostile-ton-expiring')).toEqual({ tonExpiringOrder: { rate: 1 } });
    expect(faults('hostile-ton-duplicate-id')).toEqual({ tonDuplicateOrderId: { rate: 1 } });
    expect(faults('hostile-ton-count')).toEqual({ tonCountChanged: { rate: 1 } });
    expect(faults('hostile-ton-huge-body')).toEqual({ tonHugeBody: { rate: 1 } });
  });

  it('publishes a limit of 20 requests/s per token for the limiter benchmark, with the drop already out and deep stock', async () => {
    const store = scenarioByName('limiter-bench').store(NOW);
    // What a store started from the scenario does: it tells the limit on every answer, takes 20 calls of one token in a
    // second and answers the 21st 429, and takes calls again once the second is over.
    const { store: sim, clock } = await startTestStore(scenarioByName('limiter-bench').store);
    try {
      const token = sim.issueToken(1000);
      const answers: HttpAnswer[] = [];
      for (let i = 0; i < 21; i++) answers.push(await call(sim, 'GET', '/api/v1/collections', { token }));
      expect(answers[0]!.headers['x-ratelimit-limit']).toBe('20');
      expect(answers.map((a) => a.status)).toEqual([...Array<number>(20).fill(200), 429]);
      clock.advance(1000);
      expect((await call(sim, 'GET', '/api/v1/collections', { token })).status).toBe(200);
    } finally {
      await sim.close();
    }
    expect(store.collections.every((c) => c.dropAt <= NOW)).toBe(true);
    expect(store.collections.flatMap((c) => c.characters).every((ch) => ch.supply >= 100_000)).toBe(true);
  });

  it('refuses an unknown name, naming the known ones', () => {
    expect(() => scenarioByName('nope')).toThrow(UnknownScenario);
    expect(() => scenarioByName('toString')).toThrow(/known: demo, hostile-429/);
  });
});

describe('a world of N buyers', () => {
  it("keeps the scenario's own buyers first, then adds funded fleet buyers up to N", () => {
    const fleet = withBuyers(DEMO_SCENARIO, 5);
    expect(fleet.buyers.map((b) => b.name)).toEqual(['alice', 'bob', 'buyer3', 'buyer4', 'buyer5']);
    expect(fleet.buyers[0]).toBe(DEMO_SCENARIO.buyers[0]);
    expect(fleet.buyers[4]).toEqual({ name: 'buyer5', fundTon: '100', fundStars: '2000' });
    expect(fleet.store(NOW)).toEqual(DEMO_SCENARIO.store(NOW));
    expect(withBuyers(DEMO_SCENARIO, 1).buyers.map((b) => b.name)).toEqual(['alice']);
  });

  it('refuses a count that is not a whole number from 1 to the maximum', () => {
    for (const n of [0, -1, 1.5, Number.NaN, 1001]) expect(() => withBuyers(DEMO_SCENARIO, n)).toThrow(BuyerCountInvalid);
  });
});
