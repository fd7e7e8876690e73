import { describe, expect, it } from 'vitest';
import { StoreSetupInvalid } from '../../../../sim/store/refusal.js';
import { validateScenario } from '../../../../sim/store/scenario.js';
import { storeScenario } from '../../../support/store-scenario.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreSetupInvalid) return (e.details['issues'] as Array<{ path: string }>).map((i) => i.path);
    throw e;
  }
  return [];
}

describe('store scenario', () => {
  it('accepts a well-formed scenario as it is', () => {
    const s = storeScenario(0);
    expect(validateScenario(s)).toBe(s);
  });

  it('names the key of every problem', () => {
    const s = storeScenario(0, { orderTtlSec: 0 });
    s.collections[0]!.characters[0]!.priceTon = '1.0000000001';
    s.collections[0]!.characters[1]!.left = 4;
    s.collections.push({ ...s.collections[0]!, characters: [...s.collections[0]!.characters] });
    expect(issuesOf(() => validateScenario(s)).sort()).toEqual(
      [
        'collections.0.characters.0.priceTon',
        'collections.0.characters.1.left',
        'collections.1.characters.0.priceTon',
        'collections.1.characters.1.left',
        'collections.1.id',
        'orderTtlSec',
      ].sort(),
    );
  });

  it('checks the Stars order rules and the initData age with the rest', () => {
    const s = storeScenario(0, { starsOrderTtlSec: 0, starsOrdersLimit: 1.5, initDataMaxAgeSec: -1 });
    expect(issuesOf(() => validateScenario(s)).sort()).toEqual(['initDataMaxAgeSec', 'starsOrderTtlSec', 'starsOrdersLimit']);
    expect(issuesOf(() => validateScenario(storeScenario(0, { starsOrderTtlSec: 30, starsOrdersLimit: 2, initDataMaxAgeSec: 60 })))).toEqual([]);
  });

  it('refuses duplicate character ids and non-positive prices', () => {
    const s = storeScenario(0);
    s.collections[0]!.characters[1]!.id = 1;
    s.collections[0]!.characters[1]!.priceStars = 0n;
    expect(issuesOf(() => validateScenario(s)).sort()).toEqual(
      ['collections.0.characters.1.id', 'collections.0.characters.1.priceStars'].sort(),
    );
  });

  it('checks rate limits, faults and the seed with the rest, naming their keys', () => {
    const s = storeScenario(0, {
      rateLimits: { perToken: { requests: 0, windowMs: 1000 }, resetStyle: 'epoch' },
      faults: { status5xx: { rate: 2 }, routes: ['/admin/*'] },
      seed: 0.5,
    });
    expect(issuesOf(() => validateScenario(s)).sort()).toEqual(['faults.routes.0', 'faults.status5xx.rate', 'rateLimits.perToken.requests', 'seed']);
    const fine = storeScenario(0, {
      rateLimits: { perToken: { requests: 20, windowMs: 1000 }, perIp: { requests: 50, windowMs: 1000 }, ban: { after: 5, withinMs: 1000, banMs: 60_000 } },
      faults: { slowMs: { ms: 100, rate: 0.1 }, retryAfterStorm: { burst: 3, retryAfterSec: 2 } },
      seed: 42,
    });
    expect(validateScenario(fine)).toBe(fine);
  });
});
