/** What the store was asked and how it answered, for tests and benchmarks (how many 429s did the bot cause, on which
 *  route). Counts every request outside `/admin` once it is answered; a dropped connection counts as `reset`. It also
 *  keeps the latest requests one by one (when each came and was answered, who asked, any Retry-After it was told), so
 *  a test can check a client's timing against what the store said. */
import { systemClock, type Clock } from './clock.js';
import type { Middleware, StoreRequest } from './pipeline.js';

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

/** One answered request, as the store saw it. */
export interface RequestRecord {
  readonly route: string;
  readonly status: number | 'reset';
  /** Epoch ms (the store's clock) when the request reached the store, and when its answer was ready. */
  readonly startedAt: number;
  readonly answeredAt: number;
  /** Who asked, as a Telegram user id: `sub` of the bearer token the request carried, or for a login the user its
   *  initData names. Read without checking (a forged or expired token still names its caller); null when neither
   *  can be read. */
  readonly caller: string | null;
  /** The `Retry-After` the answer carried, seconds as sent; absent when it carried none. */
  readonly retryAfter?: string;
  /** The address the request came from (a simulated proxy's outbound address for a proxied account). */
  readonly from?: string;
}

/** How many requests the log keeps: the latest ones, so a long benchmark cannot grow it without bound. */
export const REQUEST_LOG_LIMIT = 50_000;

interface Tally {
  requests: number;
  http429: number;
  byStatus: Record<string, number>;
}

export class TrafficStats {
  private readonly total: Tally = tally();
  private readonly routes = new Map<string, Tally>();
  private readonly log: RequestRecord[] = [];

  /** Records one answered request; with `request` (when, who, what it was told), adds it to the log too. */
  record(route: string, status: number | 'reset', request?: Omit<RequestRecord, 'route' | 'status'>): void {
    if (request) {
      this.log.push({ route, status, ...request });
      if (this.log.length > REQUEST_LOG_LIMIT) this.log.splice(0, this.log.length - REQUEST_LOG_LIMIT);
    }
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

  /** The logged requests, oldest first (the latest REQUEST_LOG_LIMIT). */
  requests(): readonly RequestRecord[] {
    return [...this.log];
  }
}

/** Counts and logs each request outside `/admin` under the name `routeName` gives it, timed by `clock`. Mount it
 *  outermost. */
export function countTraffic(stats: TrafficStats, routeName: (method: string, path: string) => string, clock: Clock = systemClock): Middleware {
  return async (ctx, next) => {
    const { method, path } = ctx.request;
    if (path === '/admin' || path.startsWith('/admin/')) return next();
    const startedAt = clock();
    const reply = await next();
    const retryAfter = reply.headers['retry-after'];
    stats.record(routeName(method, path), reply.body.kind === 'drop' ? 'reset' : reply.status, {
      startedAt, answeredAt: clock(), caller: callerOf(ctx.request), from: ctx.request.remoteAddress,
      ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }),
    });
    return reply;
  };
}

/** `sub` of the request's bearer token, or the id of the user a login's initData names, read without checking
 *  either; null when there is neither or it cannot be read. Nothing else of the token or initData is kept. */
function callerOf(request: StoreRequest): string | null {
  const auth = request.headers.authorization;
  const jwt = typeof auth === 'string' && /^Bearer /i.test(auth) ? auth.slice(7).trim() : null;
  try {
    if (jwt !== null) {
      const sub = (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown }).sub;
      return typeof sub === 'string' || typeof sub === 'number' ? String(sub) : null;
    }
    const user = request.body ? new URLSearchParams(request.body).get('user') : null;
    const id = user === null ? undefined : (JSON.parse(user) as { id?: unknown }).id;
    return typeof id === 'number' || typeof id === 'string' ? String(id) : null;
  } catch {
    return null;
  }
}

function tally(): Tally {
  return { requests: 0, http429: 0, byStatus: {} };
}

function copy(t: Tally): TrafficCounts {
  return { requests: t.requests, http429: t.http429, byStatus: { ...t.byStatus } };
}
