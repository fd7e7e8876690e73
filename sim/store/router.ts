/** Matches a request's method and path to a route (`/api/v1/collection/:id` style patterns); unknown paths answer
 *  404 `not_found`, a known path with another method 405 `method_not_allowed` with an `allow` header. */
import { refuse, type Endpoint, type Reply, type RequestContext } from './pipeline.js';

export type Method = 'GET' | 'POST';

export interface Route {
  readonly method: Method;
  /** Segments separated by `/`; a segment `:name` captures that segment into `params.name`. */
  readonly path: string;
  readonly handle: (ctx: RequestContext, params: Readonly<Record<string, string>>) => Reply | Promise<Reply>;
}

/** An endpoint that dispatches to `routes`. */
export function router(routes: readonly Route[]): Endpoint {
  const compiled = routes.map((route) => ({ route, segments: split(route.path) }));
  return async (ctx) => {
    const segments = split(ctx.request.path);
    const allowed: Method[] = [];
    for (const { route, segments: pattern } of compiled) {
      const params = match(pattern, segments);
      if (!params) continue;
      if (route.method === ctx.request.method) return route.handle(ctx, params);
      allowed.push(route.method);
    }
    if (allowed.length === 0) return refuse('not_found', `no route ${ctx.request.path}`);
    const reply = refuse('method_not_allowed', `${ctx.request.method} not allowed on ${ctx.request.path}`);
    return { ...reply, headers: { ...reply.headers, allow: [...new Set(allowed)].join(', ') } };
  };
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return null;
      }
    } else if (want !== got) {
      return null;
    }
  }
  return params;
}
