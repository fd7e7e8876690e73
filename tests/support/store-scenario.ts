/** Small store scenarios for tests: one collection (id 10) with two characters, dropping at `dropAt`. */
import { Address } from '@ton/core';
import type { StoreScenario } from '../../sim/store/scenario.js';

/** The store's receiving wallet in tests, raw form. */
export const STORE_WALLET_RAW = new Address(0, Buffer.alloc(32, 0x5d)).toRawString();

/** A scenario with collection 10: character 1 (supply 20, 2.5 TON, 250 stars) and character 2 (supply 3, 1 TON). */
export function storeScenario(dropAt: number, overrides: Partial<StoreScenario> = {}): StoreScenario {
  return {
    collections: [
      {
        id: 10,
        title: 'Blue Cats',
        dropAt,
        characters: [
          { id: 1, name: 'Tom', supply: 20, priceStars: 250n, priceTon: '2.5', rarity: 'rare' },
          { id: 2, name: 'Kit', supply: 3, priceStars: 100n, priceTon: '1' },
        ],
      },
    ],
    orderTtlSec: 60,
    cryptoOrdersLimit: 1,
    maxCountPerOrder: 5,
    tokenTtlSec: 3600,
    ...overrides,
  };
}
