/** How a request travels through the store: a context built from the HTTP request, a chain of middlewares (traffic
 *  counts, injected faults, rate limits, auth, ETags) and an endpoint that answers with a Reply. Each middleware may
 *  answer itself, change the reply of the ones after it, or add headers. */
import type { IncomingHttpHeaders } from 'node:http';
import { encodeEnvelope, type Envelope } from './envelope.js';
import { StoreRefusal, type RefusalCode } from './refusal.js';

/** The parts of an HTTP request the store looks at. */
export interface StoreRequest {
  readonly method: string;
  /** Path without the query, e.g. `/api/v1/collection/7`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddress: string;
  /** The raw request body (empty for the store's GETs and POSTs with query parameters). */
  readonly body: string;
}

/** Who called, once a middleware has checked the token. */
export interface Caller {
  readonly userId: number;
  /** Unix seconds. */
  readonly tokenExpiresAt: number;
}

/** One request on its way through the chain. */
export interface RequestContext {
  readonly request: StoreRequest;
  /** Set by the authentication middleware. */
  caller: Caller | null;
}

/** What goes back: an envelope, raw text (injected faults), nothing (304), or no answer at all: `drop` closes the
 *  connection without a status line (an injected connection reset). */
export type ReplyBody =
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  | { readonly kind: 'raw'; readonly text: string; readonly contentType: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'drop' };

export interface Reply {
  /** The HTTP status; 0 for a dropped connection, which has none. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ReplyBody;
}

export type Endpoint = (ctx: RequestContext) => Promise<Reply>;
export type Next = () => Promise<Reply>;
export type Middleware = (ctx: RequestContext, next: Next) => Promise<Reply>;

/** An endpoint that runs `middlewares` in order around `endpoint`. */
export function compose(middlewares: readonly Middleware[], endpoint: Endpoint): Endpoint {
  return (ctx) => {
    const run = (i: number): Promise<Reply> => {
      const middleware = middlewares[i];
      return middleware ? middleware(ctx, () => run(i + 1)) : endpoint(ctx);
    };
    return run(0);
  };
}

/** `middleware` for paths under `prefix` only (`/admin` matches `/admin` and `/admin/x`, not `/administrator`). */
export function under(prefix: string, middleware: Middleware): Middleware {
  return (ctx, next) => {
    const path = ctx.request.path;
    return path === prefix || path.startsWith(prefix + '/') ? middleware(ctx, next) : next();
  };
}

/** A successful reply carrying `data`. */
export function ok(data: unknown, status = 200): Reply {
  return { status, headers: {}, body: { kind: 'envelope', envelope: { ok: true, data } } };
}

/** A refusal reply with the store's errorCode and its HTTP status. */
export function refusalReply(refusal: StoreRefusal): Reply {
  return { status: refusal.httpStatus, headers: {}, body: { kind: 'envelope', envelope: { ok: false, errorCode: refusal.errorCode } } };
}

/** A refusal reply built from a code (for answers the chain gives itself). */
export function refuse(errorCode: RefusalCode, message: string): Reply {
  return refusalReply(new StoreRefusal(errorCode, message));
}

/** A reply that closes the connection without answering. */
export function dropConnection(): Reply {
  return { status: 0, headers: {}, body: { kind: 'drop' } };
}

/** The bytes and content type a reply goes out with; null for a reply without a body (304, dropped). */
export function replyText(reply: Reply): { text: string; contentType: string } | null {
  switch (reply.body.kind) {
    case 'envelope':
      return { text: encodeEnvelope(reply.body.envelope), contentType: 'application/json; charset=utf-8' };
    case 'raw':
      return { text: reply.body.text, contentType: reply.body.contentType };
    case 'none':
    case 'drop':
      return null;
  }
}
