/** Simulated competing buyers: after each active collection drops (plus an optional delay) they buy packs at a steady
 *  rate, spread over the characters that still have stock, until nothing is left. Their demand accrues with time, so
 *  the drained amount depends on how long since the drop, not on how often `tick` runs. */
import type { Catalog } from './catalog.js';
import type { Clock } from './clock.js';

export interface CompetitorPlan {
  /** Packs per second, per collection. */
  packsPerSecond: number;
  /** Delay after the drop before they start buying, ms. */
  startDelayMs?: number;
}

interface Progress {
  /** The drop time this progress counts from; a rescheduled drop starts over. */
  dropAt: number;
  /** Packs demanded so far (whether or not stock was there to sell). */
  demanded: number;
}

/** The crowd of other buyers. Call `tick` periodically; each call buys what became due since the last. */
export class Competitors {
  private readonly progress = new Map<number, Progress>();
  private cursor = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly plan: CompetitorPlan,
    private readonly clock: Clock,
  ) {}

  /** Buys the packs that fell due since the last tick; returns how many packs were taken from stock. */
  tick(): number {
    const now = this.clock();
    let taken = 0;
    for (const collection of this.catalog.all()) {
      if (collection.status !== 'active') continue;
      const start = collection.dropAt + (this.plan.startDelayMs ?? 0);
      let progress = this.progress.get(collection.id);
      if (!progress || progress.dropAt !== collection.dropAt) {
        progress = { dropAt: collection.dropAt, demanded: 0 };
        this.progress.set(collection.id, progress);
      }
      if (now < start) continue;
      const due = Math.floor(((now - start) * this.plan.packsPerSecond) / 1000);
      const wanted = due - progress.demanded;
      if (wanted <= 0) continue;
      progress.demanded = due;
      taken += this.buy(collection.id, wanted);
    }
    return taken;
  }

  /** Spreads `wanted` packs over the characters with stock, rotating who goes first so remainders even out. */
  private buy(collectionId: number, wanted: number): number {
    let remaining = wanted;
    let taken = 0;
    while (remaining > 0) {
      const withStock = this.catalog.stockLines().filter((l) => l.collectionId === collectionId && l.left > 0);
      if (withStock.length === 0) break;
      const share = Math.max(1, Math.floor(remaining / withStock.length));
      for (let i = 0; i < withStock.length && remaining > 0; i++) {
        const line = withStock[(this.cursor + i) % withStock.length]!;
        const got = this.catalog.drain(collectionId, line.characterId, Math.min(share, remaining));
        remaining -= got;
        taken += got;
      }
      this.cursor += 1;
    }
    return taken;
  }
}
