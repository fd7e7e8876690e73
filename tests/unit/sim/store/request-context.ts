/** Request contexts for unit tests of the store's middlewares, without a server. */
import type { RequestContext } from '../../../../sim/store/pipeline.js';

export interface ContextOptions {
  method?: string;
  remote?: string;
  auth?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A context for `path` as the HTTP side would build it. */
export function requestContext(path: string, opts: ContextOptions = {}): RequestContext {
  return {
    request: {
      method: opts.method ?? 'GET',
      path,
      query: new URLSearchParams(opts.query ?? ''),
      headers: { ...(opts.auth ? { authorization: opts.auth } : {}), ...opts.headers },
      remoteAddress: opts.remote ?? '127.0.0.1',
      body: opts.body ?? '',
    },
    caller: null,
  };
}
