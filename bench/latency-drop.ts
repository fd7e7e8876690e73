/** The drop `npm run bench:latency` buys, shared by its world process (latency-world.ts), its bot runs
 *  (latency-bot.ts) and the runner (latency.ts). */
import type { WorldState } from '../core/cli/world.js';

/** The bench's collection and character (the bot's target). */
export const BENCH_COLLECTION = 1;
export const BENCH_CHARACTER = 1;
/** The store's route for a collection poll, as its request log names it. */
export const POLL_ROUTE = 'GET /api/v1/collection/:id';

/** What the world process sends over IPC: its state once up (with the drop's time, epoch ms), then the polls the
 *  store received (epoch ms) when asked. */
export type WorldMessage = { type: 'up'; state: WorldState; dropAt: number } | { type: 'polls'; at: number[] };

/** The buyers' account names. */
export function buyerName(i: number): string {
  return `buyer${i + 1}`;
}

/** The largest gap between consecutive polls received inside the drop window while the bot ran, counted from the
 *  window's opening (or the bot's start) to its last poll there; the whole window when no poll came. */
export function largestPollGap(polls: readonly number[], window: { from: number; to: number }): number {
  const inside = polls.filter((t) => t >= window.from && t <= window.to).sort((a, b) => a - b);
  // With no poll at all the whole window was blind; after the last poll the bot is finishing, not watching.
  if (inside.length === 0) return Math.max(0, window.to - window.from);
  const edges = [window.from, ...inside];
  let gap = 0;
  for (let i = 1; i < edges.length; i++) gap = Math.max(gap, edges[i]! - edges[i - 1]!);
  return gap;
}
