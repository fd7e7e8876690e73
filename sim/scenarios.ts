/** Named scenarios of the simulated world, selectable from tests, benchmarks and `automint demo`. */
import type { StoreScenario } from './store/index.js';

/** A buyer the world creates: a store user with a token and a funded TON wallet. */
export interface BuyerSpec {
  readonly name: string;
  /** TON to fund the buyer's wallet with (decimal text). */
  readonly fundTon: string;
}

export interface WorldScenario {
  readonly name: string;
  /** Builds the store scenario; `now` is the world's start time (epoch ms). */
  readonly store: (now: number) => StoreScenario;
  readonly buyers: readonly BuyerSpec[];
  /** Time between blocks of the simulated chain. */
  readonly blockIntervalMs: number;
}

/** The embedded default: a collection drops three seconds after start; two buyers with funded wallets. */
export const DEMO_SCENARIO: WorldScenario = {
  name: 'demo',
  blockIntervalMs: 1000,
  buyers: [
    { name: 'alice', fundTon: '100' },
    { name: 'bob', fundTon: '100' },
  ],
  store: (now) => ({
    collections: [
      {
        id: 1,
        title: 'Demo Drop',
        dropAt: now + 3000,
        characters: [
          { id: 1, name: 'Blue Cat', supply: 120, priceStars: 250n, priceTon: '2.5', rarity: 'common' },
          { id: 2, name: 'Golden Dog', supply: 40, priceStars: 500n, priceTon: '5', rarity: 'rare' },
        ],
      },
    ],
    orderTtlSec: 300,
    cryptoOrdersLimit: 3,
    maxCountPerOrder: 5,
    competitors: { packsPerSecond: 2, startDelayMs: 1000 },
    tokenTtlSec: 3600,
  }),
};

export const SCENARIOS: Readonly<Record<string, WorldScenario>> = { demo: DEMO_SCENARIO };

/** A scenario by name; throws a clear error naming the known ones. */
export function scenarioByName(name: string): WorldScenario {
  const s = SCENARIOS[name];
  if (!s) throw new RangeError(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
  return s;
}
