/** The crash runner's jobs: one kill at every state of the purchase and payer statecharts (read from their
 *  definitions), with the setup that makes a run enter the states a calm demo drop never does, and seeded random
 *  kills. Shared by `npm run test:crash` (all of them, 20 random) and the short run in `npm test`. */
import { injectionPoints } from '../core/run/crash-switch.js';
import type { CrashJob } from './crash-job.js';

/** Ranks the methods (`cheapest`) and lets the Blue Cat's quote be fetched before ordering (no maximum price). */
const cheapestSplit = (config: Record<string, unknown>): void => {
  config['split'] = { policy: 'cheapest', starsPerTon: '100' };
  const targets = config['targets'] as Record<string, unknown>[];
  delete targets[0]!['maxPricePerPack'];
};

/** States a calm demo drop never enters, and how a run reaches them. */
const SETUPS: Readonly<Record<string, Pick<CrashJob, 'scenario' | 'configChange'>>> = {
  'purchase:ranking': { configChange: cheapestSplit },
  'payer:quoting': { configChange: cheapestSplit },
  'payer:holding': { scenario: 'hostile-ton-huge-body' },
  'payer:retrying': { scenario: 'hostile-malformed' },
};

/** A kill at one injection point (`payer:sending`, `payer:sending#2`). */
export const pointJob = (label: string): CrashJob => ({ label, kind: 'point', env: { AUTOMINT_CRASH_AT: label }, ...SETUPS[label.replace(/#\d+$/, '')] });

/** A kill at a seeded random moment within `maxMs` of the run's start. */
export const randomJob = (seed: number, maxMs: number): CrashJob => ({
  label: `random ${seed}:${maxMs}`, kind: 'random', env: { AUTOMINT_CRASH_RANDOM: `${seed}:${maxMs}` },
});

/** Every injection point once, then `randomRuns` random kills (seeds 1..randomRuns). */
export function crashJobs(randomRuns: number, maxMs: number): CrashJob[] {
  return [
    ...injectionPoints().map((p) => pointJob(`${p.actor}:${p.state}`)),
    ...Array.from({ length: randomRuns }, (_, i) => randomJob(i + 1, maxMs)),
  ];
}
