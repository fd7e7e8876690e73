/** Matches a request's method and path to a route (`/api/v1/collection/:id` style patterns); unknown paths answer
 *  404 `not_found`, a known path with another method 405 `method_not_allowed` with an `allow` header. */
import { refuse, type Endpoint, type Reply, type RequestContext } from './pipeline.js';
import { compilePattern, matchPattern, pathSegments } from './route-pattern.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Route {
  readonly method: Method;
  /** Segments separated by `/`; a segment `:name` captures that segment into `params.name`. */
  readonly path: string;
  readonly handle: (ctx: RequestContext, params: Readonly<Record<string, string>>) => Reply | Promise<Reply>;
}

/** An endpoint that dispatches to `routes`. */
export function router(routes: readonly Route[]): Endpoint {
  const compiled = routes.map((route) => ({ route, pattern: compilePattern(route.path) }));
  return async (ctx) => {
    const segments = pathSegments(ctx.request.path);
    const allowed: Method[] = [];
    for (const { route, pattern } of compiled) {
      const params = matchPattern(pattern, segments);
      if (!params) continue;
      if (route.method === ctx.request.method) return route.handle(ctx, params);
      allowed.push(route.method);
    }
    if (allowed.length === 0) return refuse('not_found', `no route ${ctx.request.path}`);
    const reply = refuse('method_not_allowed', `${ctx.request.method} not allowed on ${ctx.request.path}`);
    return { ...reply, headers: { ...reply.headers, allow: [...new Set(allowed)].join(', ') } };
  };
}

/** Names requests after the route they reach (`GET /api/v1/collection/:id`), so counts do not grow with ids; a
 *  path no route knows is `<METHOD> (no route)`. */
export function routeNamer(routes: readonly Route[]): (method: string, path: string) => string {
  const patterns = [...new Set(routes.map((r) => r.path))].map(compilePattern);
  return (method, path) => {
    const segments = pathSegments(path);
    const pattern = patterns.find((p) => matchPattern(p, segments));
    return `${method} ${pattern ? pattern.text : '(no route)'}`;
  };
}
