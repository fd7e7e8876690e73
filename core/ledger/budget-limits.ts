/** The budget arithmetic, apart from storage: which limit a new commitment would break. Exact bigint sums only. */
import type { Currency, Units } from '../money.js';
import { amountFromColumn } from './amount-column.js';

/** Limits in the currency's smallest unit. perAccount and perTarget apply within the currency. */
export interface BudgetLimits {
  readonly total: Units;
  readonly perAccount?: Units;
  readonly perTarget?: Units;
}

/** Which limit refused: the whole budget, the account's share, or the target's share. */
export type BudgetScopeKind = 'TOTAL' | 'ACCOUNT' | 'TARGET';

export interface BudgetRefusal {
  readonly ok: false;
  readonly reason: BudgetScopeKind;
  /** What the scope had committed before this request. */
  readonly committed: Units;
  readonly limit: Units;
}

/** One committed (held or consumed) reservation as stored. */
export interface CommittedRow {
  readonly id: number;
  readonly amount: string;
  readonly account: string;
  readonly target: string;
}

/**
 * The first limit (TOTAL, then ACCOUNT, then TARGET) that `amount` more would break for the given account and target,
 * given what is committed; `excludeId` leaves out a reservation being resized. Undefined when every limit allows it.
 */
export function firstRefusal(
  committedRows: Iterable<CommittedRow>,
  scope: { readonly currency: Currency; readonly account: string; readonly target: string },
  amount: Units,
  limits: BudgetLimits,
  excludeId?: number,
): BudgetRefusal | undefined {
  let total = 0n;
  let account = 0n;
  let target = 0n;
  for (const row of committedRows) {
    if (row.id === excludeId) continue;
    const value = amountFromColumn(row.amount);
    total += value;
    if (row.account === scope.account) account += value;
    if (row.target === scope.target) target += value;
  }
  const checks: [BudgetScopeKind, Units, Units | undefined][] = [
    ['TOTAL', total, limits.total],
    ['ACCOUNT', account, limits.perAccount],
    ['TARGET', target, limits.perTarget],
  ];
  for (const [reason, committed, limit] of checks) {
    if (limit !== undefined && committed + amount > limit) return { ok: false, reason, committed, limit };
  }
  return undefined;
}
