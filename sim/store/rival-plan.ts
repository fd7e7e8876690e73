/** What a scenario says about the rival bots contesting its drops (rival-bots.ts runs them): per rival, the character
 *  it wants, how many packs, how often it polls and how long it takes from seeing stock to ordering; one seed for all
 *  their random poll phases, so a seed reproduces a contest. */
import { z } from 'zod';

/** One rival bot. */
export interface RivalSpec {
  /** Shown in reports; defaults to `rival<N>` (1-based, in the order given). */
  readonly name?: string;
  readonly collectionId: number;
  readonly characterId: number;
  /** Packs it wants in all (k); each order asks at most the store's `maxCountPerOrder`, and what its last poll
   *  showed. */
  readonly packs: number;
  /** Time between two of its polls of `GET /api/v1/collection/{id}` (the peers' default is 1 s). */
  readonly pollIntervalMs: number;
  /** From the poll answer that showed stock to its first order request (its own processing and the network). */
  readonly reactionMs: number;
}

/** The rivals of a scenario. */
export interface RivalPlan {
  /** Seed of the rivals' poll phases (default 1). */
  readonly seed?: number;
  readonly bots: readonly RivalSpec[];
}

const positiveInt = z.number().int().positive();

/** Checks a RivalPlan (unknown keys are errors, as for rate limits: a misspelt knob must not silently vanish). */
export const rivalPlanSchema = z.strictObject({
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  bots: z.array(
    z.strictObject({
      name: z.string().min(1).max(50).optional(),
      collectionId: positiveInt,
      characterId: positiveInt,
      packs: positiveInt,
      // Below 10 ms a "poller" is a flood, not a bot this simulation models.
      pollIntervalMs: z.number().int().min(10),
      reactionMs: z.number().int().nonnegative(),
    }),
  ),
});
