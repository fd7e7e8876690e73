/** What can go wrong at the simulated store, as a plan set at start (scenario `faults`), through the admin API or from
 *  code: server errors, broken JSON, HTML error pages, slow answers, dropped connections and storms of 429s, each on a
 *  share of requests (`rate`, drawn from the seeded generator) and/or on the next `burst` requests; and a hostile
 *  store's own tricks: Stars invoice links without a slug or under another field, invoices that overcharge or ask
 *  another currency, and logins refused. */
import { z } from 'zod';
import { AutomintError } from '../../core/errors.js';

/** When a fault fires: the next `burst` requests it applies to, then each with probability `rate` (0..1). */
export interface FaultTrigger {
  rate?: number;
  burst?: number;
}

export interface FaultPlan {
  /** Answer with this status (500 by default) and `{ok:false, errorCode}`, with `Retry-After: retryAfterSec` when
   *  given (an overloaded store saying when to come back); the store does not act on the request. */
  status5xx?: FaultTrigger & { status?: 500 | 502 | 503; retryAfterSec?: number };
  /** The store acts on the request, then its answer is cut in half: a 200 whose JSON does not parse. */
  malformedJson?: FaultTrigger;
  /** A 502 with a proxy's HTML error page instead of JSON; the store does not act on the request. */
  htmlErrorPage?: FaultTrigger;
  /** Waits `ms` before the store looks at the request (so it may act after the client gave up). */
  slowMs?: FaultTrigger & { ms: number };
  /** The store acts on the request, then the connection is destroyed without an answer. */
  connectionReset?: FaultTrigger;
  /** 429 `too_many_requests` with `Retry-After: retryAfterSec` for the next `burst` requests, whatever the limits. */
  retryAfterStorm?: { burst: number; retryAfterSec: number };
  /** Stars buy answers link to the bot without an invoice slug (`https://t.me/<bot>`); the order is still taken. */
  starsLinkWithoutSlug?: FaultTrigger;
  /** Stars invoices ask twice the order's total (price × count × 2). */
  starsOverprice?: FaultTrigger;
  /** Stars invoices are in `USD` instead of `XTR`. */
  starsForeignCurrency?: FaultTrigger;
  /** Stars buy answers carry the link as `invoice_url` instead of `url`. */
  starsWrongLinkField?: FaultTrigger;
  /** TON buy answers state twice the order's total: a bot that pays what it is told overpays (a mismatch). */
  tonOverprice?: FaultTrigger;
  /** TON buy answers name another wallet than the store's (money sent there is lost). */
  tonWrongDestination?: FaultTrigger;
  /** TON buy answers an order that already expired (expires_at in the past). */
  tonExpiredOrder?: FaultTrigger;
  /** TON buy answers an order that expires two seconds from now. */
  tonExpiringOrder?: FaultTrigger;
  /** TON buy answers repeat the id of the user's previous order (the new order exists under its own id). */
  tonDuplicateOrderId?: FaultTrigger;
  /** TON buy creates the order for one pack fewer than asked, and says so in `count` (total for the smaller count). */
  tonCountChanged?: FaultTrigger;
  /** TON buy answers carry 2 MB of padding. */
  tonHugeBody?: FaultTrigger;
  /** `/api/v1/auth` answers 401 `invalid_init_data` whatever the initData (`{rate: 1}`: every login). */
  authRefuse?: FaultTrigger;
  /** Route patterns the transport faults above apply to (`/api/v1/collection/:id`, `POST /api/v1/shop/buy/crypto`,
   *  `/api/v1/shop/*`); all of `/api` by default. `/admin` is never faulted. The Stars and auth faults always apply to
   *  their own route only. */
  routes?: string[];
}

/** A fault plan that cannot be applied, with every problem named by its key. */
export class FaultPlanInvalid extends AutomintError {
  constructor(issues: ReadonlyArray<{ path: string; message: string }>) {
    super('STORE_FAULT_PLAN_INVALID', `fault plan is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      issues,
    });
  }
}

const rate = z.number().min(0).max(1);
const burst = z.number().int().nonnegative();

const trigger = { rate: rate.optional(), burst: burst.optional() };

/** A fault with neither rate nor burst could never fire: surely a typo, so it is refused. */
const firesSometimes = [
  (t: FaultTrigger) => t.rate !== undefined || t.burst !== undefined,
  { message: 'needs rate or burst' },
] as const;

const ROUTE = /^(?:(?:GET|POST|DELETE) )?\/api(?:\/\S*)?$/;

/** Checks a FaultPlan; unknown keys are errors so a misspelt fault does not silently do nothing. */
export const faultPlanSchema = z.strictObject({
  status5xx: z
    .strictObject({
      ...trigger, status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(), retryAfterSec: z.number().int().positive().optional(),
    })
    .refine(...firesSometimes)
    .optional(),
  malformedJson: z.strictObject(trigger).refine(...firesSometimes).optional(),
  htmlErrorPage: z.strictObject(trigger).refine(...firesSometimes).optional(),
  slowMs: z
    .strictObject({ ...trigger, ms: z.number().int().nonnegative() })
    .refine(...firesSometimes)
    .optional(),
  connectionReset: z.strictObject(trigger).refine(...firesSometimes).optional(),
  retryAfterStorm: z.strictObject({ burst: burst, retryAfterSec: z.number().int().positive() }).optional(),
  starsLinkWithoutSlug: z.strictObject(trigger).refine(...firesSometimes).optional(),
  starsOverprice: z.strictObject(trigger).refine(...firesSometimes).optional(),
  starsForeignCurrency: z.strictObject(trigger).refine(...firesSometimes).optional(),
  starsWrongLinkField: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonOverprice: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonWrongDestination: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonExpiredOrder: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonExpiringOrder: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonDuplicateOrderId: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonCountChanged: z.strictObject(trigger).refine(...firesSometimes).optional(),
  tonHugeBody: z.strictObject(trigger).refine(...firesSometimes).optional(),
  authRefuse: z.strictObject(trigger).refine(...firesSometimes).optional(),
  routes: z
    .array(z.string().regex(ROUTE, 'must be a path pattern under /api, optionally after GET/POST/DELETE and a space'))
    .min(1)
    .optional(),
});

/** A FaultPlan from untrusted input (admin JSON, code); throws FaultPlanInvalid naming every bad key. */
export function parseFaultPlan(input: unknown): FaultPlan {
  const result = faultPlanSchema.safeParse(input);
  if (!result.success) {
    throw new FaultPlanInvalid(result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return result.data;
}
