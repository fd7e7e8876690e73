/** The rate limits a scenario enforces: a fixed window per token (user) and per client IP, how `x-ratelimit-reset`
 *  is written, and a ban for callers that keep hitting the limit. A window the scenario leaves out is the store's
 *  default (DEFAULT_RATE_LIMITS), enforced like any other: every world limits both, at what its headers say. */
import { z } from 'zod';

/** At most `requests` per window of `windowMs`. */
export interface WindowLimit {
  requests: number;
  windowMs: number;
}

/** After `after` refusals (429) within `withinMs`, the token is refused everything for `banMs`. */
export interface BanRule {
  after: number;
  withinMs: number;
  banMs: number;
}

/** `epoch`: `x-ratelimit-reset` is the Unix second the window resets; `relative`: seconds from now. */
export type ResetStyle = 'epoch' | 'relative';

export interface RateLimitPolicy {
  /** Per authenticated user, counted after the token is checked; DEFAULT_RATE_LIMITS.perToken when absent. */
  perToken?: WindowLimit;
  /** Per client IP, counted before the token is checked (bad tokens and logins count too); DEFAULT_RATE_LIMITS.perIp
   *  when absent. */
  perIp?: WindowLimit;
  /** Defaults to `epoch`. */
  resetStyle?: ResetStyle;
  /** Needs `perToken`: only per-token refusals count towards a ban. */
  ban?: BanRule;
}

/** The windows of a store whose scenario sets none: 120 requests a minute per token (what the store always advertised),
 *  and 600 a minute per IP: five accounts at their full rate behind one address, so the two buyers of a demo world
 *  never meet it while a fleet on one IP does. Minute windows both, aligned, so they reset at the same instant. */
export const DEFAULT_RATE_LIMITS = {
  perToken: { requests: 120, windowMs: 60_000 },
  perIp: { requests: 600, windowMs: 60_000 },
} as const satisfies Required<Pick<RateLimitPolicy, 'perToken' | 'perIp'>>;

/** A policy with every window in force: the scenario's own, else the default's. */
export interface EnforcedPolicy extends RateLimitPolicy {
  readonly perToken: WindowLimit;
  readonly perIp: WindowLimit;
  readonly resetStyle: ResetStyle;
}

/** The windows a store built from `policy` enforces (and so advertises): what the scenario set, the defaults for the
 *  rest. */
export function enforcedPolicy(policy: RateLimitPolicy | undefined): EnforcedPolicy {
  return {
    ...policy,
    perToken: policy?.perToken ?? { ...DEFAULT_RATE_LIMITS.perToken },
    perIp: policy?.perIp ?? { ...DEFAULT_RATE_LIMITS.perIp },
    resetStyle: policy?.resetStyle ?? 'epoch',
  };
}

/** The default limits for a world whose `tokens` callers all share one IP and that measures something other than the
 *  IP's limit (a fleet bench on loopback, without proxies): every token may use its whole window, and the IP window is
 *  widened to carry them all besides the default's own room. Still enforced, at what the headers say. */
export function sharedIpPolicy(tokens: number): RateLimitPolicy {
  const { perToken, perIp } = DEFAULT_RATE_LIMITS;
  return {
    perToken: { ...perToken },
    perIp: { requests: Math.max(1, Math.ceil(tokens)) * perToken.requests + perIp.requests, windowMs: perIp.windowMs },
  };
}

const positiveInt = z.number().int().positive();

const windowLimitSchema = z.strictObject({ requests: positiveInt, windowMs: positiveInt });

/** Checks a RateLimitPolicy (unknown keys are errors: a misspelt limit must not silently vanish). */
export const rateLimitPolicySchema = z
  .strictObject({
    perToken: windowLimitSchema.optional(),
    perIp: windowLimitSchema.optional(),
    resetStyle: z.enum(['epoch', 'relative']).optional(),
    ban: z.strictObject({ after: positiveInt, withinMs: positiveInt, banMs: positiveInt }).optional(),
  })
  .refine((p) => p.ban === undefined || p.perToken !== undefined, {
    message: 'a ban needs perToken: only per-token refusals count towards it',
    path: ['ban'],
  });
