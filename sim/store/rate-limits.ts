/** The store's rate limits over HTTP: a per-IP window checked before authentication, a per-token window (and bans)
 *  checked after it, and `x-ratelimit-limit/-remaining/-reset` on every API reply for the tightest window the
 *  request met. Over a limit the store answers 429 `too_many_requests` with `Retry-After` and does not charge the
 *  window. Both windows are always enforced (the scenario's, else the store's defaults): the headers only ever
 *  describe a window that refuses the request past it, so a client that obeys them is never refused and one that
 *  ignores them is. A login carries no token: it meets the per-IP window alone, and its headers describe that one. */
import { BanList } from './bans.js';
import type { Clock } from './clock.js';
import { refuse, type Middleware, type Next, type Reply, type RequestContext } from './pipeline.js';
import { enforcedPolicy, type RateLimitPolicy, type ResetStyle } from './rate-policy.js';
import { FixedWindowCounter, type WindowState } from './rate-window.js';

/** The three steps of rate limiting, sharing what each request met. Mount `headers()` outermost, `perIp()` before
 *  authentication and `perToken()` after it. */
export class RateLimits {
  private readonly ip: FixedWindowCounter;
  private readonly token: FixedWindowCounter;
  private readonly bans: BanList | null;
  private readonly resetStyle: ResetStyle;
  /** The windows each request met on its way in, for the headers of its reply. */
  private readonly met = new WeakMap<RequestContext, WindowState[]>();

  constructor(
    policy: RateLimitPolicy | undefined,
    private readonly clock: Clock,
  ) {
    const enforced = enforcedPolicy(policy);
    this.ip = new FixedWindowCounter(enforced.perIp.requests, enforced.perIp.windowMs);
    this.token = new FixedWindowCounter(enforced.perToken.requests, enforced.perToken.windowMs);
    this.bans = enforced.ban ? new BanList(enforced.ban) : null;
    this.resetStyle = enforced.resetStyle;
  }

  /** How many bans the store has started (0 without a ban rule). */
  bansIssued(): number {
    return this.bans?.issued ?? 0;
  }

  /** Adds `x-ratelimit-*` to every reply that met a window: the tightest one it met. A reply that met none (nothing
   *  under the limits answered it) advertises nothing rather than a window that was not applied. */
  headers(): Middleware {
    return async (ctx, next) => {
      const reply = await next();
      const met = this.met.get(ctx) ?? [];
      if (met.length === 0) return reply;
      const now = this.clock();
      const state = tightest(met);
      const reset =
        this.resetStyle === 'epoch' ? Math.ceil(state.resetAtMs / 1000) : Math.max(0, Math.ceil((state.resetAtMs - now) / 1000));
      return {
        ...reply,
        headers: {
          ...reply.headers,
          'x-ratelimit-limit': String(state.limit),
          'x-ratelimit-remaining': String(state.remaining),
          'x-ratelimit-reset': String(reset),
        },
      };
    };
  }

  /** Enforces the per-IP window, before authentication. */
  perIp(): Middleware {
    return (ctx, next) => this.admit(ctx, this.ip, `ip:${ctx.request.remoteAddress}`, false, next);
  }

  /** Enforces bans and the per-token window, after authentication; unauthenticated requests pass. */
  perToken(): Middleware {
    return (ctx, next) => {
      if (!ctx.caller) return next();
      const key = `user:${ctx.caller.userId}`;
      const until = this.bans?.bannedUntil(key, this.clock());
      if (until != null) return Promise.resolve(this.refuse(ctx, { limit: this.token.limit, remaining: 0, resetAtMs: until }));
      return this.admit(ctx, this.token, key, true, next);
    };
  }

  /** Charges the window and goes on, or refuses without charging when nothing is left. */
  private admit(ctx: RequestContext, counter: FixedWindowCounter, key: string, banable: boolean, next: Next): Promise<Reply> {
    const now = this.clock();
    const state = counter.peek(key, now);
    if (state.remaining > 0) {
      this.remember(ctx, counter.hit(key, now));
      return next();
    }
    const bannedUntil = banable ? (this.bans?.strike(key, now) ?? null) : null;
    return Promise.resolve(this.refuse(ctx, bannedUntil === null ? state : { ...state, resetAtMs: bannedUntil }));
  }

  /** 429 with `Retry-After` in whole seconds until `state` frees a request (at least 1). */
  private refuse(ctx: RequestContext, state: WindowState): Reply {
    this.remember(ctx, state);
    const retryAfterSec = Math.max(1, Math.ceil((state.resetAtMs - this.clock()) / 1000));
    const reply = refuse('too_many_requests', 'rate limit exceeded');
    return { ...reply, headers: { ...reply.headers, 'retry-after': String(retryAfterSec) } };
  }

  private remember(ctx: RequestContext, state: WindowState): void {
    const met = this.met.get(ctx);
    if (met) met.push(state);
    else this.met.set(ctx, [state]);
  }
}

/** The window with the fewest requests left; of equals, the one that resets last. */
function tightest(states: readonly WindowState[]): WindowState {
  return states.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.resetAtMs > a.resetAtMs) ? b : a));
}
