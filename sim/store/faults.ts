/** The faults in force and which request meets which: a request on a faulted route first may be slowed, then meets
 *  at most one answering fault, tried in a fixed order (storm, 5xx, HTML page, reset, malformed JSON). The store's own
 *  tricks are asked for by the routes they twist: each Stars buy draws every Stars fault on its own, each login draws
 *  `authRefuse`. A burst is
 *  used up only by the requests it actually hits; rates draw from a generator seeded by the scenario, reseeded each
 *  time a plan is set, so the same plan and the same requests give the same faults. */
import { parseFaultPlan, type FaultPlan, type FaultTrigger } from './fault-plan.js';
import { Prng } from './prng.js';
import { compilePattern, matchPattern, pathSegments, type PathPattern } from './route-pattern.js';

/** Faults that replace or spoil the answer, in the order a request meets them. */
export const ANSWER_FAULTS = ['retryAfterStorm', 'status5xx', 'htmlErrorPage', 'connectionReset', 'malformedJson'] as const;
export type AnswerFault = (typeof ANSWER_FAULTS)[number];
/** Twists of a Stars buy: its answer (link field, slug) or the invoice behind it (amount, currency). */
export const STARS_FAULTS = ['starsLinkWithoutSlug', 'starsOverprice', 'starsForeignCurrency', 'starsWrongLinkField'] as const;
export type StarsFault = (typeof STARS_FAULTS)[number];
/** Twists of a TON buy answer: what a wrong or hostile store may say about an order it created. */
export const TON_FAULTS = ['tonOverprice', 'tonWrongDestination', 'tonExpiredOrder', 'tonExpiringOrder', 'tonDuplicateOrderId', 'tonCountChanged', 'tonHugeBody'] as const;
export type TonFault = (typeof TON_FAULTS)[number];
export type FaultName = AnswerFault | 'slowMs' | StarsFault | 'authRefuse' | TonFault;

const ALL_FAULTS: readonly FaultName[] = [...ANSWER_FAULTS, 'slowMs', ...STARS_FAULTS, 'authRefuse', ...TON_FAULTS];

/** What one request meets. */
export interface FaultDecision {
  /** Real milliseconds to wait before anything else (0: none). */
  readonly delayMs: number;
  readonly answer:
    | { readonly kind: 'retryAfterStorm'; readonly retryAfterSec: number }
    | { readonly kind: 'status5xx'; readonly status: 500 | 502 | 503; readonly retryAfterSec?: number }
    | { readonly kind: 'htmlErrorPage' | 'connectionReset' | 'malformedJson' }
    | null;
}

/** The plan in force, the bursts not yet used and how many times each fault fired since the plan was set. */
export interface FaultState {
  readonly plan: FaultPlan | null;
  readonly burstsLeft: Partial<Record<FaultName, number>>;
  readonly injected: Partial<Record<FaultName, number>>;
}

interface RouteFilter {
  readonly method: string | null;
  readonly pattern: PathPattern;
}

const ALL_API: readonly RouteFilter[] = [{ method: null, pattern: compilePattern('/api/*') }];

export class Faults {
  private plan: FaultPlan | null = null;
  private routes: readonly RouteFilter[] = ALL_API;
  private bursts = new Map<FaultName, number>();
  private injected = new Map<FaultName, number>();
  private prng: Prng;

  constructor(
    plan: FaultPlan | null,
    private readonly seed: number,
  ) {
    this.prng = new Prng(seed);
    this.set(plan);
  }

  /** Replaces the plan (null clears every fault); bursts start over and the generator is reseeded. */
  set(plan: unknown): void {
    const checked = plan === null ? null : parseFaultPlan(plan);
    this.plan = checked;
    this.routes = checked?.routes?.map(routeFilter) ?? ALL_API;
    this.bursts = new Map();
    this.injected = new Map();
    this.prng = new Prng(this.seed);
    if (!checked) return;
    for (const name of ALL_FAULTS) {
      const burst = checked[name]?.burst;
      if (burst !== undefined && burst > 0) this.bursts.set(name, burst);
    }
  }

  /** The plan in force and what is left of it. */
  state(): FaultState {
    return { plan: this.plan, burstsLeft: Object.fromEntries(this.bursts), injected: Object.fromEntries(this.injected) };
  }

  /** What a request meets; null when no fault touches it. `/admin` never meets one. */
  decide(method: string, path: string): FaultDecision | null {
    const plan = this.plan;
    if (!plan || !this.applies(method, path)) return null;
    const delayMs = plan.slowMs && this.fires('slowMs', plan.slowMs) ? plan.slowMs.ms : 0;
    for (const name of ANSWER_FAULTS) {
      if (name === 'retryAfterStorm') {
        const storm = plan.retryAfterStorm;
        if (storm && this.fires(name, storm)) return { delayMs, answer: { kind: name, retryAfterSec: storm.retryAfterSec } };
      } else if (name === 'status5xx') {
        const fault = plan.status5xx;
        if (fault && this.fires(name, fault)) {
          return { delayMs, answer: { kind: name, status: fault.status ?? 500, retryAfterSec: fault.retryAfterSec } };
        }
      } else {
        const fault = plan[name];
        if (fault && this.fires(name, fault)) return { delayMs, answer: { kind: name } };
      }
    }
    return delayMs > 0 ? { delayMs, answer: null } : null;
  }

  /** The Stars faults this Stars buy meets, each drawn on its own (empty when none fires). */
  starsTwists(): ReadonlySet<StarsFault> {
    const twists = new Set<StarsFault>();
    const plan = this.plan;
    if (!plan) return twists;
    for (const name of STARS_FAULTS) {
      const fault = plan[name];
      if (fault && this.fires(name, fault)) twists.add(name);
    }
    return twists;
  }

  /** The twists this TON buy answer meets (each TON fault drawn on its own). */
  tonTwists(): ReadonlySet<TonFault> {
    const twists = new Set<TonFault>();
    const plan = this.plan;
    if (!plan) return twists;
    for (const name of TON_FAULTS) {
      const fault = plan[name];
      if (fault && this.fires(name, fault)) twists.add(name);
    }
    return twists;
  }

  /** True when the plan refuses this login. */
  refusesLogin(): boolean {
    const fault = this.plan?.authRefuse;
    return fault !== undefined && this.fires('authRefuse', fault);
  }

  private applies(method: string, path: string): boolean {
    const segments = pathSegments(path);
    if (segments[0] === 'admin') return false;
    return this.routes.some((r) => (r.method === null || r.method === method) && matchPattern(r.pattern, segments) !== null);
  }

  /** Uses one request of the burst if any is left, else draws against the rate. */
  private fires(name: FaultName, trigger: FaultTrigger): boolean {
    const left = this.bursts.get(name) ?? 0;
    let hit: boolean;
    if (left > 0) {
      if (left === 1) this.bursts.delete(name);
      else this.bursts.set(name, left - 1);
      hit = true;
    } else {
      hit = trigger.rate !== undefined && this.prng.chance(trigger.rate);
    }
    if (hit) this.injected.set(name, (this.injected.get(name) ?? 0) + 1);
    return hit;
  }
}

function routeFilter(text: string): RouteFilter {
  const space = text.indexOf(' ');
  return space < 0
    ? { method: null, pattern: compilePattern(text) }
    : { method: text.slice(0, space), pattern: compilePattern(text.slice(space + 1)) };
}
