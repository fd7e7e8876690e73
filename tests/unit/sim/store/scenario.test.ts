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

  it('refuses duplicate character ids and non-positive prices', () => {
    const s = storeScenario(0);
    s.collections[0]!.characters[1]!.id = 1;
    s.collections[0]!.characters[1]!.priceStars = 0n;
    expect(issuesOf(() => validateScenario(s)).sort()).toEqual(
      ['collections.0.characters.1.id', 'collections.0.characters.1.priceStars'].sort(),
    );
  });
});
