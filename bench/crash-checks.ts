/** The money checks of the crash runner, as a pure function of what the world and the ledger say after a crashed
 *  run was restarted and finished: every order paid at most once (store verdicts, chain transfers per comment, Stars
 *  charges per invoice), every order the world shows paid is `paid` in the ledger, no payment that matches no ledger
 *  order, the ledger's spend within budget per currency, and the ledger's paid set equal to the world's. */
import { formatAmount, type Currency, type Units } from '../core/money.js';

/** One store order as the admin API shows it, reduced to what the checks read. */
export interface WorldOrder {
  readonly id: string;
  readonly currency: Currency;
  /** What the ledger knows the order by: the order id for TON, the invoice slug for Stars. */
  readonly ledgerKey: string;
  readonly totalAmount: Units;
  /** Packs ordered. */
  readonly count: number;
  /** Verdicts of every payment recorded on the order (TON transfers or Stars charges), oldest first. */
  readonly payments: readonly { readonly verdict: string; readonly amount: Units }[];
}

/** One successful transfer into the store's wallet, as the chain itself reports it. */
export interface ChainTransfer {
  readonly txHash: string;
  readonly comment: string | null;
  readonly amount: Units;
}

/** The ledger file, reduced to what the checks read. */
export interface LedgerFacts {
  readonly orders: readonly { readonly orderId: string; readonly currency: Currency; readonly amount: Units; readonly state: string }[];
  /** Sum of consumed budget reservations (amount + fee of every paid order), per currency. */
  readonly spent: Partial<Record<Currency, Units>>;
  /** Intents not in a final state (recorded, sent, unknown) when the run ended. */
  readonly openIntents: number;
}

export interface WorldFacts {
  readonly orders: readonly WorldOrder[];
  /** Transfers to the store that named no order (the store's `/admin/unmatched`). */
  readonly unmatched: readonly ChainTransfer[];
  /** Every successful transfer into the store wallet, from the chain. */
  readonly chain: readonly ChainTransfer[];
}

export interface CrashVerdict {
  /** Orders that took money more than once (store verdicts, chain transfers per comment, or Stars charges). */
  readonly doublePaid: number;
  /** Orders the world shows paid that the ledger does not hold as `paid`, plus payments that match no ledger order. */
  readonly lostPayments: number;
  /** Currencies whose ledger spend, or whose money received by the store, exceeds the budget. */
  readonly overBudget: number;
  /** Orders the ledger holds as paid that the world never got money for, or with another amount. */
  readonly ledgerMismatch: number;
  /** 1 when the store sold more packs than the targets want together. */
  readonly overbought: number;
  /** One line per violation, for the report. */
  readonly problems: readonly string[];
  /** Facts worth a look that are not money bugs (an intent still open at the end). */
  readonly notes: readonly string[];
  /** Orders the world shows paid, and their packs: a run that bought nothing proves nothing. */
  readonly paidOrders: number;
  readonly paidPacks: number;
}

/** Payment verdicts under which money reached the store: TON transfers that did not bounce, Stars charges taken. */
const MONEY_MOVED: Readonly<Record<Currency, ReadonlySet<string>>> = {
  TON: new Set(['paid', 'mismatch', 'late', 'duplicate', 'unhonoured']),
  XTR: new Set(['paid', 'mismatch']),
};

/** Checks one finished crash run. `budget` is the config's overall budget per currency; `packsWanted` the packs all
 *  targets want together (buying more fails the run). */
export function checkCrashRun(world: WorldFacts, ledger: LedgerFacts, budget: Partial<Record<Currency, Units>>, packsWanted = Infinity): CrashVerdict {
  const problems: string[] = [];
  const notes: string[] = [];
  const ledgerByKey = new Map(ledger.orders.map((o) => [o.orderId, o]));

  // Paid at most once: by the store's own verdicts, and by the chain's transfers per comment.
  const doubly = new Set<string>();
  const takenBy = new Map<string, number>();
  for (const o of world.orders) {
    const taken = o.payments.filter((p) => MONEY_MOVED[o.currency].has(p.verdict)).length;
    takenBy.set(o.id, taken);
    if (taken > 1) {
      doubly.add(o.id);
      problems.push(`order ${o.id} (${o.currency}) took money ${taken} times: ${o.payments.map((p) => p.verdict).join(', ')}`);
    }
  }
  const perComment = new Map<string, number>();
  for (const t of world.chain) if (t.comment !== null) perComment.set(t.comment, (perComment.get(t.comment) ?? 0) + 1);
  for (const [comment, n] of perComment) {
    if (n > 1 && !doubly.has(comment)) {
      doubly.add(comment);
      problems.push(`the chain shows ${n} transfers to the store with comment ${comment}`);
    }
  }

  // Every order the world shows paid is paid in the ledger; no payment without a ledger order.
  let lost = 0;
  const worldPaid = new Set<string>();
  for (const o of world.orders) {
    if ((takenBy.get(o.id) ?? 0) === 0) continue;
    worldPaid.add(o.ledgerKey);
    const row = ledgerByKey.get(o.ledgerKey);
    if (row?.state !== 'paid') {
      lost++;
      problems.push(`order ${o.ledgerKey} (${o.currency}) took money at the store but the ledger ${row ? `holds it as ${row.state}` : 'has no such order'}`);
    }
  }
  for (const t of world.unmatched) {
    lost++;
    problems.push(`transfer ${t.txHash} of ${formatAmount('TON', t.amount)} TON to the store names no order (comment ${JSON.stringify(t.comment)})`);
  }
  // The store hears of transfers from the chain; one it never recorded would escape every check above.
  for (const [comment, n] of perComment) {
    const recorded = world.orders.find((o) => o.id === comment)?.payments.length ?? 0;
    const stray = world.unmatched.filter((t) => t.comment === comment).length;
    if (n > recorded + stray) {
      lost++;
      problems.push(`the chain shows ${n} transfer(s) to the store with comment ${comment}, the store recorded ${recorded + stray}`);
    }
  }

  // The ledger's paid set is the world's, amount for amount.
  let mismatch = 0;
  const worldByKey = new Map(world.orders.map((o) => [o.ledgerKey, o]));
  for (const row of ledger.orders) {
    if (row.state === 'paid' && !worldPaid.has(row.orderId)) {
      mismatch++;
      problems.push(`the ledger holds ${row.orderId} (${row.currency}) as paid, but the store got no money for it`);
    }
    const o = worldByKey.get(row.orderId);
    if (row.state === 'paid' && o !== undefined && o.totalAmount !== row.amount) {
      mismatch++;
      problems.push(`the ledger holds ${row.orderId} as paid with ${formatAmount(row.currency, row.amount)}, the store's order is ${formatAmount(o.currency, o.totalAmount)}`);
    }
    if (['paying', 'unknown'].includes(row.state)) notes.push(`order ${row.orderId} ended the run as ${row.state}`);
  }
  if (ledger.openIntents > 0) notes.push(`${ledger.openIntents} payment intent(s) still open after the restart`);

  // Spend within budget: the ledger's consumed reservations, and the money the store received.
  const received: Partial<Record<Currency, Units>> = {};
  for (const o of world.orders) {
    for (const p of o.payments) if (MONEY_MOVED[o.currency].has(p.verdict)) received[o.currency] = (received[o.currency] ?? 0n) + p.amount;
  }
  let over = 0;
  for (const currency of ['TON', 'XTR'] as const) {
    const limit = budget[currency] ?? 0n;
    const spent = ledger.spent[currency] ?? 0n;
    const got = received[currency] ?? 0n;
    if (spent > limit || got > limit) {
      over++;
      problems.push(`${currency} over budget ${formatAmount(currency, limit)}: ledger spent ${formatAmount(currency, spent)}, store received ${formatAmount(currency, got)}`);
    }
  }
  const paid = world.orders.filter((o) => (takenBy.get(o.id) ?? 0) > 0);
  const paidPacks = paid.reduce((n, o) => n + o.count, 0);
  // The ledger owns every target's packs across processes and restarts: buying more is a bug like overspending.
  const overbought = paidPacks > packsWanted ? 1 : 0;
  if (overbought) problems.push(`bought ${paidPacks} packs, the targets want ${packsWanted}`);
  return { doublePaid: doubly.size, lostPayments: lost, overBudget: over, ledgerMismatch: mismatch, overbought, problems, notes, paidOrders: paid.length, paidPacks };
}
