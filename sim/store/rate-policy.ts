/** The rate limits a scenario enforces: a fixed window per token (user) and per client IP, how `x-ratelimit-reset`
 *  is written, and a ban for callers that keep hitting the limit. Absent limits are not enforced. */
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
  /** Per authenticated user, counted after the token is checked. */
  perToken?: WindowLimit;
  /** Per client IP, counted before the token is checked (bad tokens count too). */
  perIp?: WindowLimit;
  /** Defaults to `epoch`. */
  resetStyle?: ResetStyle;
  /** Needs `perToken`: only per-token refusals count towards a ban. */
  ban?: BanRule;
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
