/** The store's middlewares: world settling, error replies, bearer-token authentication and loopback-only admin (rate
 *  limits, faults, ETags and traffic counts have their own files). Order matters; `startStore` assembles the chain. */
import { StoreRefusal } from './refusal.js';
import { TokenInvalid, type TokenIssuer } from './jwt.js';
import { refusalReply, refuse, type Middleware, type RequestContext } from './pipeline.js';

/** Brings time-driven state (expiries, competitors) up to now before each request is answered. */
export function settleFirst(settle: () => void): Middleware {
  return (_ctx, next) => {
    settle();
    return next();
  };
}

/** Turns a StoreRefusal into its `{ok:false, errorCode}` reply and anything else into 500 `internal_error`. */
export function refusalsToReplies(onUnexpected: (error: unknown) => void): Middleware {
  return async (_ctx, next) => {
    try {
      return await next();
    } catch (error) {
      if (error instanceof StoreRefusal) return refusalReply(error);
      onUnexpected(error);
      return refuse('internal_error', 'unexpected error in the simulated store');
    }
  };
}

/** Requires `authorization: Bearer <JWT>` from this store; sets `ctx.caller`. Paths in `open` need no token. */
export function authenticate(tokens: TokenIssuer, open: readonly string[] = []): Middleware {
  return (ctx, next) => {
    if (open.includes(ctx.request.path)) return next();
    const header = ctx.request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new StoreRefusal('invalid_auth_token', 'missing bearer token');
    try {
      const claims = tokens.verify(match[1]!);
      ctx.caller = { userId: claims.userId, tokenExpiresAt: claims.expiresAt };
    } catch (error) {
      if (error instanceof TokenInvalid) {
        throw new StoreRefusal('invalid_auth_token', error.message, { problem: error.problem });
      }
      throw error;
    }
    return next();
  };
}

/** The user id `authenticate` vouched for; a route behind it that finds none refuses as unauthenticated. */
export function callerOf(ctx: RequestContext): number {
  if (!ctx.caller) throw new StoreRefusal('invalid_auth_token', 'no authenticated caller');
  return ctx.caller.userId;
}

/** Admits only peers on the loopback interface (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function loopbackOnly(): Middleware {
  return (ctx, next) => {
    if (!isLoopback(ctx.request.remoteAddress)) {
      throw new StoreRefusal('forbidden', 'the admin API answers loopback peers only', { peer: ctx.request.remoteAddress });
    }
    return next();
  };
}

function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
