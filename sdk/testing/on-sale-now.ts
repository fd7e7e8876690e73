/** A scenario whose collections are already on sale when the world starts and have no competing buyers: tests of one
 *  payment need stock now and all of it. */
import type { WorldScenario } from '../../sim/scenarios.js';

/** `base` with every collection dropped a moment before the world starts and its competitors removed. */
export function onSaleNow(base: WorldScenario): WorldScenario {
  return {
    ...base,
    name: `${base.name}-on-sale`,
    store: (now) => {
      const s = base.store(now);
      const { competitors: _none, ...rest } = s;
      return { ...rest, collections: s.collections.map((c) => ({ ...c, dropAt: now - 1 })) };
    },
  };
}
