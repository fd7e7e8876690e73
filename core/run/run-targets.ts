/** The run's targets as the sniper takes them (RunTarget): each configured target, and each character a snipe filter
 *  matches during the run, built by the one function here from the same keys (packs, prices, methods, accounts, split,
 *  budget) and seeded from the ledger's count of its packs, so a restarted run goes on from what was paid and held. */
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { targetAccounts, targetSplit, type AutomintConfig } from '../config/schema.js';
import type { QuotaSeed } from '../actors/target-quota.js';
import { targetKey, type RunTarget } from '../actors/sniper.js';
import type { SnipeSetup } from '../snipe/listing-watcher.js';
import { snipeFilters, type FilterBuying } from '../snipe/snipe-filter.js';

/** What a target buys, whether configured or matched: the keys a target and a snipe filter share. */
export interface TargetPlan extends FilterBuying {
  readonly collection: number;
  readonly character: number;
  readonly dropAt?: number;
}

/** A target ready for the sniper: its plan, seeded with what the ledger holds of its packs. */
export async function runTarget(ledger: Ledger, plan: TargetPlan, log: Logger, via?: string): Promise<RunTarget> {
  const seed = await packsSoFar(ledger, targetKey(plan), plan.methods);
  const { collection, character, packs, maxPricePerPack, methods, accounts, split, budget, dropAt } = plan;
  log.info({ target: targetKey(plan), packs, paid: seed.paid, inFlight: seed.inFlight, methods, accounts, ...(via ? { via } : {}) }, 'target armed');
  return { collection, character, packs, maxPricePerPack, methods, accounts, seed, split, budget, dropAt };
}

/** The configured targets, in order. */
export async function configuredTargets(config: AutomintConfig, ledger: Ledger, log: Logger): Promise<RunTarget[]> {
  const targets: RunTarget[] = [];
  for (const t of config.targets) {
    targets.push(await runTarget(ledger, {
      collection: t.collection, character: t.character, packs: t.packs, maxPricePerPack: t.maxPricePerPack, methods: t.methods,
      accounts: targetAccounts(config, t).map((a) => a.name), split: targetSplit(config, t), budget: t.budget,
      dropAt: t.dropAt === undefined ? undefined : Date.parse(t.dropAt),
    }, log));
  }
  return targets;
}

/** Snipe mode for the sniper, when the config has filters: each matched character armed by `runTarget`. */
export function snipeSetup(config: AutomintConfig, ledger: Ledger, log: Logger): SnipeSetup | undefined {
  if (config.snipe.length === 0) return undefined;
  return {
    filters: snipeFilters(config), seen: ledger.seen, configured: new Set(config.targets.map(targetKey)),
    arm: (filter, collection, character) => runTarget(ledger, { ...filter.buying, collection, character }, log, `snipe[${filter.index}]`),
  };
}

/** Packs of a target paid and in flight, as the ledger counts them for every run that shared it, in total and per
 *  method (shares count per method). */
export async function packsSoFar(ledger: Ledger, target: string, methods: readonly string[]): Promise<QuotaSeed> {
  const total = await ledger.claims.tally(target);
  const byMethod: Record<string, { paid: number; inFlight: number }> = {};
  for (const m of methods) {
    const t = await ledger.claims.tally(target, m);
    byMethod[m] = { paid: t.paid, inFlight: t.held };
  }
  return { paid: total.paid, inFlight: total.held, byMethod };
}
