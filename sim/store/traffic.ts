/** What the store was asked and how it answered, for tests and benchmarks (how many 429s did the bot cause, on which
 *  route). Counts every request outside `/admin` once it is answered; a dropped connection counts as `reset`. */
import type { Middleware } from './pipeline.js';

/** Counts for one slice of the traffic. `byStatus` keys are HTTP statuses ('200', '429') or 'reset'. */
export interface TrafficCounts {
  readonly requests: number;
  readonly http429: number;
  readonly byStatus: Readonly<Record<string, number>>;
}

/** All traffic, and per route (`GET /api/v1/collection/:id`). */
export interface TrafficSnapshot extends TrafficCounts {
  readonly byRoute: Readonly<Record<string, TrafficCounts>>;
}

interface Tally {
  requests: number;
  http429: number;
  byStatus: Record<string, number>;
}

export class TrafficStats {
  private readonly total: Tally = tally();
  private readonly routes = new Map<string, Tally>();

  /** Records one answered request. */
  record(route: string, status: number | 'reset'): void {
    let forRoute = this.routes.get(route);
    if (!forRoute) {
      forRoute = tally();
      this.routes.set(route, forRoute);
    }
    for (const t of [this.total, forRoute]) {
      t.requests += 1;
      if (status === 429) t.http429 += 1;
      const key = String(status);
      t.byStatus[key] = (t.byStatus[key] ?? 0) + 1;
    }
  }

  /** A copy of the counts so far. */
  snapshot(): TrafficSnapshot {
    const byRoute: Record<string, TrafficCounts> = {};
    for (const [route, t] of [...this.routes].sort(([a], [b]) => a.localeCompare(b))) byRoute[route] = copy(t);
    return { ...copy(this.total), byRoute };
  }
}

/** Counts each request outside `/admin` under the name `routeName` gives it. Mount it outermost. */
export function countTraffic(stats: TrafficStats, routeName: (method: string, path: string) => string): Middleware {
  return async (ctx, next) => {
    const { method, path } = ctx.request;
    if (path === '/admin' || path.startsWith('/admin/')) return next();
    const reply = await next();
    stats.record(routeName(method, path), reply.body.kind === 'drop' ? 'reset' : reply.status);
    return reply;
  };
}

function tally(): Tally {
  return { requests: 0, http429: 0, byStatus: {} };
}

function copy(t: Tally): TrafficCounts {
  return { requests: t.requests, http429: t.http429, byStatus: { ...t.byStatus } };
}
