/** The drop `npm run bench:latency` and `bench:detection` buy, shared by the world process (latency-world.ts), the bot
 *  runs (latency-bot.ts) and the runners (latency.ts, detection.ts), and how they read the store's record of polls. */
import type { WorldState } from '../cli/world.js';

/** The bench's collection and character (the bot's target). */
export const BENCH_COLLECTION = 1;
export const BENCH_CHARACTER = 1;
/** The store's route for a collection poll, as its request log names it. */
export const POLL_ROUTE = 'GET /api/v1/collection/:id';

/** One poll of the bench's collection as the store received it. */
export interface PollRecord {
  /** Epoch ms it reached the store. */
  readonly at: number;
  /** The Telegram user id its token names (which buyer polled), null when it named none. */
  readonly caller: string | null;
  readonly status: number | 'reset';
}

/** What the world process sends over IPC: its state once up (with the drop's time, epoch ms), then, when asked, the
 *  polls the store received and how many of all its answers were 429s. */
export type WorldMessage =
  | { type: 'up'; state: WorldState; dropAt: number }
  | { type: 'polls'; polls: PollRecord[]; http429: number };

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

/** How soon polls saw a drop: the first poll that reached the store at or after it (NaN: none did), and the polls per
 *  second per account before it (from the first poll on; NaN with fewer than two). */
export interface PollDetection {
  readonly delayMs: number;
  readonly perAccountPerSec: number;
}

/** The detection delay and the poll rate, from the store's record of the polls (bench:detection). */
export function detectionOf(polls: readonly PollRecord[], dropAt: number, accounts: number): PollDetection {
  const at = polls.map((p) => p.at).sort((a, b) => a - b);
  const first = at.find((t) => t >= dropAt);
  const before = at.filter((t) => t < dropAt);
  const spanMs = before.length > 1 ? dropAt - before[0]! : 0;
  return {
    delayMs: first === undefined ? Number.NaN : first - dropAt,
    perAccountPerSec: spanMs > 0 ? before.length / (spanMs / 1000) / accounts : Number.NaN,
  };
}
