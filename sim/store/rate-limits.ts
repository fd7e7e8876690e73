/** The store's rate limits over HTTP: a per-IP window checked before authentication, a per-token window (and bans)
 *  checked after it, and `x-ratelimit-limit/-remaining/-reset` on every API reply for the tightest window the
 *  request met. Over a limit the store answers 429 `too_many_requests` with `Retry-After` and does not charge the
 *  window. Without enforced limits the headers advertise a generous window that is only counted, never enforced. */
import { BanList } from './bans.js';
import type { Clock } from './clock.js';
import { refuse, type Middleware, type Next, type Reply, type RequestContext } from './pipeline.js';
import type { RateLimitPolicy, ResetStyle } from './rate-policy.js';
import { FixedWindowCounter, type WindowState } from './rate-window.js';

/** Advertised in `x-ratelimit-*` when no enforced window applies to a request; counted, never enforced. */
export const ADVERTISED_LIMIT = { requests: 120, windowMs: 60_000 } as const;

/** The three steps of rate limiting, sharing what each request met. Mount `headers()` outermost, `perIp()` before
 *  authentication and `perToken()` after it. */
export class RateLimits {
  private readonly ip: FixedWindowCounter | null;
  private readonly token: FixedWindowCounter | null;
  private readonly bans: BanList | null;
  private readonly advertised = new FixedWindowCounter(ADVERTISED_LIMIT.requests, ADVERTISED_LIMIT.windowMs);
  private readonly resetStyle: ResetStyle;
  /** The windows each request met on its way in, for the headers of its reply. */
  private readonly met = new WeakMap<RequestContext, WindowState[]>();

  constructor(
    policy: RateLimitPolicy | undefined,
    private readonly clock: Clock,
  ) {
    this.ip = policy?.perIp ? new FixedWindowCounter(policy.perIp.requests, policy.perIp.windowMs) : null;
    this.token = policy?.perToken ? new FixedWindowCounter(policy.perToken.requests, policy.perToken.windowMs) : null;
    this.bans = policy?.ban ? new BanList(policy.ban) : null;
    this.resetStyle = policy?.resetStyle ?? 'epoch';
  }

  /** How many bans the store has started (0 without a ban rule). */
  bansIssued(): number {
    return this.bans?.issued ?? 0;
  }

  /** Adds `x-ratelimit-*` to every reply: the tightest window the request met, else the advertised one. */
  headers(): Middleware {
    return async (ctx, next) => {
      const reply = await next();
      const now = this.clock();
      const met = this.met.get(ctx) ?? [];
      const state = met.length > 0 ? tightest(met) : this.advertised.hit(callerKey(ctx), now);
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
    return (ctx, next) => (this.ip ? this.admit(ctx, this.ip, `ip:${ctx.request.remoteAddress}`, false, next) : next());
  }

  /** Enforces bans and the per-token window, after authentication; unauthenticated requests pass. */
  perToken(): Middleware {
    return (ctx, next) => {
      if (!this.token || !ctx.caller) return next();
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

/** The advertised window counts per user, or per IP before authentication (as the store always did). */
function callerKey(ctx: RequestContext): string {
  return ctx.caller ? `user:${ctx.caller.userId}` : `ip:${ctx.request.remoteAddress}`;
}
