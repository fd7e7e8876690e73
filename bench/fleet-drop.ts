/** The drop `npm run bench:fleet` runs a fleet through, shared by its world process (fleet-world.ts), the bot's
 *  config (fleet-config.ts) and the runner (fleet.ts): three known collections and one the snipe filter finds, the
 *  timeline, what the world process says over IPC, and how the store's request log is read into polls and 429s. */
import type { WorldState } from '../cli/world.js';

/** The three targets' collections (one character each, id 1), dropping together. */
export const TARGET_COLLECTIONS = [2, 3, 4] as const;
/** A collection listed before the bot starts (seeds its seen-set: never bought by the filter). */
export const OLD_COLLECTION = 1;
/** The collection only the snipe filter (`title: "/dog/"`) takes, dropping with the targets. */
export const SNIPE_COLLECTION = 5;

/** How long before the drop the bot starts (the watchers' drop window opens 60 s before a `dropAt`). */
export const DEFAULT_LEAD_MS = 60_000;
/** How long the bot runs past the drop: its first orders and their payments fit; a snipe run never ends by itself. */
export const DURING_MS = 15_000;

/** The store routes that are polls: a watched collection, and the listing the snipe filter diffs. */
export const POLL_ROUTES = ['GET /api/v1/collection/:id', 'GET /api/v1/collections'] as const;

/** A span of wall time, epoch ms, `from` included, `to` excluded. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** What the store saw in one window. */
export interface WindowTraffic {
  /** Polls (POLL_ROUTES) that reached the store, per second of the window. */
  readonly pollsPerSec: number;
  /** Requests per route. */
  readonly byRoute: Readonly<Record<string, number>>;
  /** Distinct addresses the requests came from (a proxy's outbound address each). */
  readonly addresses: number;
}

/** What the store saw over the whole run. */
export interface FleetTraffic {
  readonly before: WindowTraffic;
  readonly during: WindowTraffic;
  /** Every 429 the store answered, and every request it logged. */
  readonly http429: number;
  readonly requests: number;
}

/** The world process's messages: its state once up (with the drop's time and each buyer's proxy URL, in buyer
 *  order), then the traffic when asked. */
export type FleetMessage =
  | { type: 'up'; state: WorldState; dropAt: number; proxies: string[] }
  | { type: 'traffic'; traffic: FleetTraffic };

/** What the runner asks the world process. */
export type FleetRequest = { type: 'traffic'; before: Window; during: Window } | { type: 'stop' };

/** The loopback address the i-th buyer's proxy leaves from (127.0.0.10 … 127.0.0.209, then 127.0.1.x): one IP per
 *  account as the store sees it. */
export function outboundAddress(i: number): string {
  return `127.0.${Math.floor(i / 200)}.${10 + (i % 200)}`;
}

/** One logged request, as much of it as the traffic figures read (sim/store's RequestRecord). */
export interface LoggedRequest {
  readonly route: string;
  readonly status: number | 'reset';
  readonly startedAt: number;
  readonly from?: string;
}

/** The store's request log read per window. */
export function trafficOf(requests: readonly LoggedRequest[], before: Window, during: Window): FleetTraffic {
  const of = (w: Window): WindowTraffic => {
    const inside = requests.filter((r) => r.startedAt >= w.from && r.startedAt < w.to);
    const byRoute: Record<string, number> = {};
    for (const r of inside) byRoute[r.route] = (byRoute[r.route] ?? 0) + 1;
    const polls = inside.filter((r) => (POLL_ROUTES as readonly string[]).includes(r.route)).length;
    const seconds = (w.to - w.from) / 1000;
    return {
      pollsPerSec: seconds > 0 ? polls / seconds : Number.NaN,
      byRoute,
      addresses: new Set(inside.map((r) => r.from).filter((a) => a !== undefined)).size,
    };
  };
  return {
    before: of(before), during: of(during),
    http429: requests.filter((r) => r.status === 429).length, requests: requests.length,
  };
}
