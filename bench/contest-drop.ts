/** The contested drop `npm run bench:contest` measures, shared by its world process (contest-world.ts) and its runner
 *  (contest.ts): one character of limited supply, five rival bots, automint's ask, and how a share is counted. */
import type { RivalPlan } from '../sim/store/rival-bots.js';
import type { WorldState } from '../cli/world.js';

export const CONTEST_COLLECTION = 1;
export const CONTEST_CHARACTER = 1;
/** Packs of the one character on sale. */
export const CONTEST_SUPPLY = 60;
/** Packs automint's target asks for, whatever its number of accounts: a third of the supply, more than an even split
 *  among six bidders (10), so the share says whether it out-races the rivals, not whether it gets a fair cut. */
export const CONTEST_ASK = 20;
/** Packs each rival wants: together they could empty the drop (5 × 12 = 60), so automint keeps only what it takes
 *  before them. */
export const RIVAL_PACKS = 12;
/** A rival's time from the poll answer that showed stock to its order (its processing and the network). */
export const RIVAL_REACTION_MS = 150;

/** Five rivals, as the peer bots poll: four at 1 s (the peers' default), one at 0.25 s; phases from `seed`. */
export function contestRivals(seed: number): RivalPlan {
  const bot = (pollIntervalMs: number) => ({
    collectionId: CONTEST_COLLECTION, characterId: CONTEST_CHARACTER, packs: RIVAL_PACKS, pollIntervalMs,
    reactionMs: RIVAL_REACTION_MS,
  });
  return { seed, bots: [bot(1_000), bot(1_000), bot(1_000), bot(1_000), bot(250)] };
}

/** When the drop comes after the world starts, from `seed`: 4–6 s, so the bot is armed and polling by then. */
export function contestDropInMs(seed: number): number {
  let t = (seed * 7919 + 17) >>> 0;
  // One mulberry32 step: enough to spread seeds 1, 2, 3… over the two seconds.
  t = (t + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return 4_000 + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2_000);
}

/**
 * automint's share of a contest: packs its buyers' paid orders carry (the store's own record) ÷ min(packs asked, the
 * supply), the supply being the most any one bot could take (the store caps an order, not a buyer's total; a buyer
 * paying as it goes is never held by the unpaid-order limit). 1 = it got all it asked for; 0 = the rivals took it all.
 */
export function shareOf(got: number, asked: number, supply: number): number {
  return got / Math.min(asked, supply);
}

/** What the world tells the runner once a run is over, from the store's own records. */
export interface ContestOutcome {
  /** Packs of the contested character in paid orders of the world's buyers (automint), and of the rivals. */
  readonly botPacks: number;
  readonly rivalPacks: number;
  /** Orders paid more than once, and payments of the wrong amount (cli/demo.ts worldVerdict), all orders. */
  readonly doublePaid: number;
  readonly mismatched: number;
  /** Polls of the collection by rivals, and every 429 the store answered. */
  readonly rivalPolls: number;
  readonly http429: number;
  /** Packs left at the end. */
  readonly left: number;
}

/** The world process's messages: its state once up, then the outcome when asked. */
export type ContestMessage =
  | { type: 'up'; state: WorldState; dropAt: number }
  | { type: 'outcome'; outcome: ContestOutcome };
