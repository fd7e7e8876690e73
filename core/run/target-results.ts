/** How far each wanted target got: packs paid against packs wanted, and, when it ended short, why, in the words a
 *  person acts on (`sold out`, `ton: refused: AMOUNT_ABOVE_QUOTE`, `stars: budget exhausted`). The numbers come from
 *  the ledger; the reasons from how each purchase and its payment methods ended, and from the refusals the ledger
 *  recorded with their codes. */
import { purchaseId, targetKey, type PurchaseOutcome } from '../actors/sniper.js';

/** A target as the config wants it. */
export interface WantedTarget {
  readonly collection: number;
  readonly character: number;
  readonly packs: number;
}

/** What the run was asked to do. */
export interface RunPlan {
  readonly targets: readonly WantedTarget[];
  /** Nothing is bought by design: a target's packs are never reached. */
  readonly dryRun: boolean;
}

/** One target at the end of a run. */
export interface TargetResult {
  /** `collection:character`. */
  readonly target: string;
  /** Packs wanted. */
  readonly packs: number;
  /** Packs paid, by this run and earlier runs on the same ledger. */
  readonly paid: number;
  /** Packs wanted and not paid (0 when the target was reached). */
  readonly short: number;
  /** Why its purchases ended, each reason once; empty when nothing ended for a reason worth telling. */
  readonly why: readonly string[];
}

/** The ledger's facts about one order that the results read. */
export interface OrderFacts {
  readonly target: string;
  readonly method: string;
  readonly count: number;
  readonly state: string;
  /** `CODE: message` for a refused or failed order. */
  readonly reason: string | null;
}

/** Endings of a payment method that say the target was served, not why it fell short. */
const SERVED = new Set(['target reached', 'share reached']);

/** The result of every wanted target. */
export function targetResults(
  plan: RunPlan, orders: readonly OrderFacts[], outcomes: readonly PurchaseOutcome[],
): TargetResult[] {
  return plan.targets.map((t) => {
    const target = targetKey(t);
    const mine = orders.filter((o) => o.target === target);
    const paid = mine.filter((o) => o.state === 'paid').reduce((n, o) => n + o.count, 0);
    const why = new Set<string>();
    // Every account's purchase of the target: their ids differ only in the account, which ends them.
    const ofTarget = purchaseId(t, '');
    for (const outcome of outcomes.filter((o) => o.purchaseId.startsWith(ofTarget))) {
      for (const reason of reasonsOf(outcome, mine)) why.add(reason);
    }
    const unsettled = mine.filter((o) => o.state === 'unknown' || o.state === 'paying').length;
    if (unsettled > 0) why.add(`${unsettled} payment(s) not settled`);
    return { target, packs: t.packs, paid, short: Math.max(0, t.packs - paid), why: [...why] };
  });
}

/** A purchase's reasons: its failure, or each method's ending (`ton: budget exhausted; stars: sold out`). */
function reasonsOf(outcome: PurchaseOutcome, orders: readonly OrderFacts[]): string[] {
  if (outcome.outcome === 'failed') return [outcome.reason];
  const reasons: string[] = [];
  for (const { method, text } of endingsOf(outcome)) {
    if (SERVED.has(text)) continue;
    // Sold out is the store's fact, whichever method saw it.
    if (text === 'sold out' || text === 'sold out before buying' || method === null) {
      reasons.push(text);
      continue;
    }
    reasons.push(...refusalCodes(method, text, orders).map((r) => `${method}: ${r}`));
  }
  return reasons;
}

/** How a purchase that was not a failure ended, as it said it: one ending per payment method (`ton: sold out`),
 *  or the purchase's own (`sold out before buying`, `stopped`) with no method. */
export function endingsOf(outcome: PurchaseOutcome): Array<{ method: string | null; text: string }> {
  return outcome.reason.split('; ').filter(Boolean).map((ending) => {
    const m = /^([a-z][\w-]*): (.*)$/s.exec(ending);
    return m ? { method: m[1]!, text: m[2]! } : { method: null, text: ending };
  });
}

/** A refusal named by its code, as the ledger recorded it with the refused orders (`refused: AMOUNT_ABOVE_QUOTE`);
 *  any other ending as it was said. */
function refusalCodes(method: string, text: string, orders: readonly OrderFacts[]): string[] {
  if (!text.startsWith('refused: ')) return [text];
  const codes = new Set<string>();
  for (const o of orders) {
    if (o.method !== method || o.state !== 'refused') continue;
    const code = /^([A-Z][A-Z0-9_]*): /.exec(o.reason ?? '')?.[1];
    if (code !== undefined) codes.add(code);
  }
  return codes.size > 0 ? [...codes].map((c) => `refused: ${c}`) : [text];
}
