/** Packs are claimed in the ledger, in the same BEGIN IMMEDIATE transaction as the money that pays for them: a
 *  reservation carries the packs of its target it buys, counted while held or consumed exactly like its amount. So
 *  no number of processes, restarts or crashes sharing a ledger can ever claim more packs than a target wants, and
 *  the payer never holds packs it has no money for (the order shrinks to what both allow, in one step). */
import { sql } from 'kysely';
import type { Currency, Units } from '../money.js';
import type { BudgetLimits, BudgetRefusal } from './budget-limits.js';
import type { Budget } from './budget.js';
import type { ImmediateTx, LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { ReservationRow } from './reservation-row.js';

/** What a payer asks for before creating an order: up to `packs` packs of `target` for `method`, and the money for them. */
export interface ClaimRequest {
  readonly currency: Currency;
  readonly account: string;
  /** The target, e.g. '19:2' (collection:character). */
  readonly target: string;
  readonly method: string;
  /** Most packs this order should buy. */
  readonly packs: number;
  /** Packs the target wants in all (the campaign's `packs`). */
  readonly wanted: number;
  /** Most packs this method may buy of the target (its `split` share), when capped. */
  readonly methodCap?: number;
  /** The money to hold for `n` packs; never more for fewer packs. */
  readonly amountFor: (packs: number) => Units;
  readonly limits: BudgetLimits;
}

/** Packs of a target (or of one method of it) claimed in the ledger: paid (consumed) and held (in flight or unknown). */
export interface PackTally {
  readonly paid: number;
  readonly held: number;
}

/** No pack is left to claim: every wanted pack (or the method's share) is paid or held by an order in flight. */
export interface PackRefusal {
  readonly ok: false;
  readonly reason: 'PACKS';
  /** The tally that refused: the target's, or the method's under a share. */
  readonly scope: 'TARGET' | 'METHOD';
  readonly tally: PackTally;
  readonly limit: number;
}

/** The claim made (with the packs granted: fewer than asked when only that many fit), or what refused it. */
export type ClaimResult =
  | { readonly ok: true; readonly reservation: ReservationRow; readonly packs: number }
  | PackRefusal
  | (BudgetRefusal & { readonly packs: number });

export class PackClaims {
  constructor(
    private readonly conn: LedgerConnection,
    private readonly budget: Budget,
  ) {}

  /** Claims packs and money together, shrinking the order to the most packs that every limit allows. */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.claimIn(tx, request, now));
  }

  /** claim(), inside a transaction the caller holds. */
  claimIn(tx: ImmediateTx, request: ClaimRequest, now: number): ClaimResult {
    for (const [key, value] of [['packs', request.packs], ['wanted', request.wanted], ['methodCap', request.methodCap ?? 0]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new LedgerError('INVALID_INPUT', `${key} must be a non-negative integer`, { target: request.target, [key]: String(value) });
      }
    }
    const total = this.tallyIn(tx, request.target);
    const method = request.methodCap === undefined ? undefined : this.tallyIn(tx, request.target, request.method);
    const targetRoom = request.wanted - total.paid - total.held;
    const methodRoom = method === undefined ? Infinity : request.methodCap! - method.paid - method.held;
    if (targetRoom <= 0 || methodRoom <= 0) {
      return targetRoom <= 0
        ? { ok: false, reason: 'PACKS', scope: 'TARGET', tally: total, limit: request.wanted }
        : { ok: false, reason: 'PACKS', scope: 'METHOD', tally: method!, limit: request.methodCap! };
    }
    let packs = Math.min(request.packs, targetRoom, methodRoom);
    const scope = { currency: request.currency, account: request.account, target: request.target };
    // Each budget refusal names one scope (overall, account, target); shrinking to fit it may meet the next one's limit.
    for (;;) {
      // reserveIn checks every budget scope and inserts in one step; a refusal names the scope to shrink for.
      const r = this.budget.reserveIn(tx, { ...scope, amount: request.amountFor(packs), limits: request.limits, method: request.method, packs }, now);
      if (r.ok) return { ok: true, reservation: r.reservation, packs };
      const room = r.limit - r.committed;
      const fits = largestFitting(packs - 1, (n) => request.amountFor(n) <= room);
      if (fits === 0) return { ...r, packs };
      packs = fits;
    }
  }

  /** Packs of a target claimed so far, optionally of one method only. */
  async tally(target: string, method?: string): Promise<PackTally> {
    return this.conn.immediate((tx) => this.tallyIn(tx, target, method));
  }

  /** tally(), inside a transaction the caller holds. A reservation written without packs (by a version before packs
   *  were claimed in the ledger, e.g. an older bot still running during an upgrade) counts its order's packs and
   *  method, so an upgrade never forgets what was bought. */
  tallyIn(tx: ImmediateTx, target: string, method?: string): PackTally {
    let query = this.conn.db
      .selectFrom('budget_reservations as r')
      .leftJoin('orders as o', 'o.order_id', 'r.order_id')
      .select(['r.state', sql<number>`sum(case when r.packs > 0 then r.packs else coalesce(o.count, 0) end)`.as('packs')])
      .where('r.target', '=', target)
      .where('r.state', 'in', ['held', 'consumed'])
      .groupBy('r.state');
    if (method !== undefined) query = query.where(sql<string>`coalesce(nullif(r.method, ''), o.method, '')`, '=', method);
    let paid = 0;
    let held = 0;
    for (const row of tx.all(query)) {
      if (row.state === 'consumed') paid += Number(row.packs);
      else held += Number(row.packs);
    }
    return { paid, held };
  }
}

/** The largest n in 1..max for which `fits(n)` holds (fits is monotone: fewer packs never cost more); 0 when none. */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  for (let n = max; n >= 1; n--) if (fits(n)) return n;
  return 0;
}
