/** Payments whose outcome is unknown, as a payer meets them during a run. Their packs stay claimed and their money
 *  held, so a target whose last packs they hold can neither buy them nor end. The run settles them while it runs, with
 *  the same reconciliation a start does (core/run/in-run-reconciliation.ts implements this port); a payer asks for a
 *  round when such payments stand in its way and plans again once the round is over. Talks to: payers (via their
 *  planning step), the ledger. */
import { formatKnownOrRaw, type Currency, type Units } from '../money.js';
import type { TargetQuota } from './target-quota.js';

/** One payment the ledger holds packs and money for without knowing whether it was paid. */
export interface HeldPayment {
  readonly orderId: string;
  readonly method: string;
  readonly account: string;
  /** `collection:character`. */
  readonly target: string;
  readonly count: number;
  readonly currency: Currency;
  readonly amount: Units;
  /** Why it is not settled, as the last settlement said (`not confirmed within 120 s`). */
  readonly reason: string;
}

/** What became of a payer's own payments whose outcome was unknown. */
export interface OwnSettlements {
  /** Still unknown. */
  readonly held: readonly HeldPayment[];
  /** Order ids since proven not paid. */
  readonly notPaid: readonly string[];
}

/** The packs one payer may still buy: its target's, or under `split` its method's share of them. */
export interface PackScope {
  readonly target: string;
  /** Packs the target wants in all. */
  readonly wanted: number;
  readonly method: string;
  /** The method's share of the target, when capped (`split`). */
  readonly methodCap: number | null;
}

export interface UnknownPayments {
  /** The unknown payments that hold every pack still wanted of the target, or else of the method's share (`share`),
   *  or null when a pack is free, or held by an order in flight (which settles by itself), or none is left. */
  holdingAll(scope: PackScope): Promise<{ readonly share: boolean; readonly payments: readonly HeldPayment[] } | null>;
  /** What became of `orderIds` (payments whose outcome was unknown): those still unknown, and those since proven not
   *  paid (their packs are free again). */
  settlementsOf(orderIds: readonly string[]): Promise<OwnSettlements>;
  /** Asks for a reconciliation round covering `target` (its quota is told what the round proves paid and what it
   *  frees) and returns when that round will be over (epoch ms): the time to plan again. Rounds are shared by every
   *  payer and never start closer together than the run's cadence. */
  requestRound(target: string, quota: TargetQuota): number;
  /** How long a payer stays held by unknown payments before it ends, saying what holds it. */
  readonly giveUpAfterMs: number;
}

/** `order o1 (ton, 2 packs, 5 TON): not confirmed within 40 s`, for a log line or a reason. */
export function describeHeld(p: HeldPayment): string {
  const packs = `${p.count} pack${p.count === 1 ? '' : 's'}`;
  return `order ${p.orderId} (${p.method}, ${packs}, ${formatKnownOrRaw(p.currency, p.amount)} ${p.currency}): ${p.reason}`;
}
