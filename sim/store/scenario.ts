/** The typed scenario a simulated store is built from: its collections and characters, when each drops, stock and
 *  prices, the shop rules (order expiry and unpaid-order limit per currency, count cap, token and initData lifetime,
 *  competing buyers), its rate limits (always enforced) and how hostile it is (stricter limits, bans, injected faults
 *  and the seed they are drawn from). */
import { z } from 'zod';
import { toNano } from '../../core/money.js';
import { faultPlanSchema, type FaultPlan } from './fault-plan.js';
import { rateLimitPolicySchema, type RateLimitPolicy } from './rate-policy.js';
import { rivalPlanSchema, type RivalPlan } from './rival-plan.js';
import { StoreSetupInvalid } from './refusal.js';

export interface CharacterScenario {
  id: number;
  name: string;
  /** Packs ever made. */
  supply: number;
  /** Packs left at start; defaults to `supply`. */
  left?: number;
  /** Price per pack in Telegram Stars. */
  priceStars: bigint;
  /** Price per pack in TON, decimal text ("2.5"). */
  priceTon: string;
  /** Shown to clients as `rarity`; defaults to 'common'. */
  rarity?: string;
}

export interface CollectionScenario {
  id: number;
  title: string;
  /** Epoch ms at which the collection is published; `GET /collection/{id}` answers 404 before. */
  dropAt: number;
  /** Only active collections are buyable; defaults to 'active'. */
  status?: 'active' | 'inactive';
  /** How long after `dropAt` the collection first appears in `GET /collections` (default 0: listed at its drop); until
   *  then it is reachable by id only, as a collection published before the store's listing shows it. */
  listedAfterMs?: number;
  characters: CharacterScenario[];
}

export interface StoreScenario {
  collections: CollectionScenario[];
  /** TON order expiry: `expires_at = now + orderTtlSec`. */
  orderTtlSec: number;
  /** Unpaid TON orders one user may hold at once (shop settings `crypto_orders_limit`). */
  cryptoOrdersLimit: number;
  /** Stars order (and invoice) expiry in seconds; default 600. */
  starsOrderTtlSec?: number;
  /** Unpaid Stars orders one user may hold at once, counted apart from TON orders; defaults to `cryptoOrdersLimit`. */
  starsOrdersLimit?: number;
  /** Largest `count` one order may ask for (5 at the real store). */
  maxCountPerOrder: number;
  /** Simulated competing buyers that drain stock after each drop. */
  competitors?: { packsPerSecond: number; startDelayMs?: number };
  /** Rival bots that poll the store over HTTP and order what they see (rival-bots.ts); none when absent. */
  rivals?: RivalPlan;
  /** JWT lifetime in seconds (60 minutes at the real store). */
  tokenTtlSec: number;
  /** Oldest initData (by `auth_date`) `/api/v1/auth` accepts, in seconds; default 86400. */
  initDataMaxAgeSec?: number;
  /** Rate limits; a window left out is the store's default (DEFAULT_RATE_LIMITS: 120 a minute per token, 600 per IP).
   *  Every window is enforced, and `x-ratelimit-*` describe the tightest one a request met. */
  rateLimits?: RateLimitPolicy;
  /** Faults in force from the start; they can be changed at run time. */
  faults?: FaultPlan;
  /** Seed of the generator that decides which requests meet a fault with a `rate` (default 1). */
  seed?: number;
}

const tonPrice = z.string().refine(
  (text) => {
    try {
      return toNano(text) > 0n;
    } catch {
      return false;
    }
  },
  { message: 'must be a positive TON amount in decimal text with at most 9 decimals' },
);

const id = z.number().int().positive();
const count = z.number().int().nonnegative();

const characterSchema = z
  .object({
    id,
    name: z.string().min(1),
    supply: count,
    left: count.optional(),
    priceStars: z.bigint().positive(),
    priceTon: tonPrice,
    rarity: z.string().min(1).optional(),
  })
  .refine((c) => c.left === undefined || c.left <= c.supply, { message: 'left must not exceed supply', path: ['left'] });

const collectionSchema = z.object({
  id,
  title: z.string().min(1),
  dropAt: z.number().int().nonnegative(),
  status: z.enum(['active', 'inactive']).optional(),
  listedAfterMs: z.number().int().nonnegative().optional(),
  characters: z.array(characterSchema).min(1),
});

const scenarioSchema = z
  .object({
    collections: z.array(collectionSchema),
    orderTtlSec: z.number().int().positive(),
    cryptoOrdersLimit: z.number().int().positive(),
    starsOrderTtlSec: z.number().int().positive().optional(),
    starsOrdersLimit: z.number().int().positive().optional(),
    maxCountPerOrder: z.number().int().positive(),
    competitors: z
      .object({ packsPerSecond: z.number().positive().finite(), startDelayMs: z.number().int().nonnegative().optional() })
      .optional(),
    rivals: rivalPlanSchema.optional(),
    tokenTtlSec: z.number().int().positive(),
    initDataMaxAgeSec: z.number().int().positive().optional(),
    rateLimits: rateLimitPolicySchema.optional(),
    faults: faultPlanSchema.optional(),
    seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<number>();
    s.collections.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', message: `duplicate collection id ${c.id}`, path: ['collections', i, 'id'] });
      seen.add(c.id);
      const chars = new Set<number>();
      c.characters.forEach((ch, j) => {
        if (chars.has(ch.id)) {
          ctx.addIssue({ code: 'custom', message: `duplicate character id ${ch.id}`, path: ['collections', i, 'characters', j, 'id'] });
        }
        chars.add(ch.id);
      });
    });
    s.rivals?.bots.forEach((b, i) => {
      const collection = s.collections.find((c) => c.id === b.collectionId);
      if (!collection?.characters.some((ch) => ch.id === b.characterId)) {
        const message = `no character ${b.characterId} in collection ${b.collectionId}`;
        ctx.addIssue({ code: 'custom', message, path: ['rivals', 'bots', i, 'characterId'] });
      }
    });
  });

/** Checks a scenario before a store is built from it; throws StoreSetupInvalid naming every bad key. */
export function validateScenario(scenario: StoreScenario): StoreScenario {
  const result = scenarioSchema.safeParse(scenario);
  if (!result.success) {
    throw new StoreSetupInvalid(z.prettifyError(result.error), {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return scenario;
}
