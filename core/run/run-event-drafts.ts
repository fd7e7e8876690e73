/** The run's own events, built from what the run knows at its start, its summary and its end, and the settlements
 *  reconciliation makes (at the start and during the run). Kept apart from run-bot.ts so the run's flow reads as a
 *  flow; each function only shapes data (no I/O but the one ledger read of a reconciled order). */
import type { Currency } from '../money.js';
import type { AutomintConfig } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import type { OrderRow } from '../ledger/orders.js';
import type { RunEventDraft } from '../events/run-event.js';
import type { RunEventSink } from '../events/run-events.js';
import type { Reconciled } from './reconcile.js';
import type { RunSummary } from './summary.js';
import { runVerdict } from './run-verdict.js';

/** `run.started`: what the config asks of this run. */
export function startedEvent(config: AutomintConfig, command: string, methods: readonly string[]): RunEventDraft {
  return {
    type: 'run.started', command, dryRun: config.dryRun,
    targets: config.targets.map((t) => `${t.collection}:${t.character}`),
    accounts: config.accounts.map((a) => a.name),
    methods: [...methods], snipe: config.snipe.length > 0,
  };
}

/** The summary's verdict, as the CLI's exit code reads it. */
function verdictOf(s: RunSummary): 'complete' | 'short' | 'stopped' | 'blind' {
  return runVerdict({
    dryRun: s.dryRun, targets: s.targets, outcomes: s.outcomes, unknown: s.unknown, stopReason: s.stopReason,
    ledgerFault: s.ledgerFault, blind: s.blind,
  }).kind;
}

/** Per currency, an amount record as digit strings: every currency the record holds (a plugin's own too). */
function unitsOf(amounts: Readonly<Record<Currency, bigint>>): Record<Currency, string> {
  return Object.fromEntries(Object.entries(amounts).map(([c, units]) => [c, units.toString()]));
}

/** `run.summary`: the summary in numbers. */
export function summaryEvent(s: RunSummary): RunEventDraft {
  return {
    type: 'run.summary', verdict: verdictOf(s), dryRun: s.dryRun, packs: s.packs, paidOrders: { ...s.paid },
    spentUnits: unitsOf(s.spent), feesUnits: unitsOf(s.fees), unknown: s.unknown,
    targets: s.targets.map((t) => ({ target: t.target, packs: t.packs, paid: t.paid, short: t.short })),
    stopReason: s.stopReason,
  };
}

/** `run.stopped`: the verdict of the summary, or `failed` with the error's code when the run threw before one. */
export function stoppedEvent(summary: RunSummary | null, error: unknown): RunEventDraft {
  if (summary !== null) return { type: 'run.stopped', outcome: verdictOf(summary), stopReason: summary.stopReason };
  const code = (error as { code?: unknown } | null)?.code;
  return { type: 'run.stopped', outcome: 'failed', stopReason: null, ...(typeof code === 'string' ? { errorCode: code } : {}) };
}

/** The payment event of a settlement reconciliation made, from the ledger's order. */
export function reconciledEvent(r: Reconciled, order: OrderRow): RunEventDraft | null {
  const party = {
    purchaseId: order.purchaseId, account: order.account, target: `${order.collection}:${order.character}`, method: order.method,
    orderId: order.orderId, amountUnits: order.amount.toString(), currency: order.currency,
  };
  switch (r.outcome) {
    case 'paid':
      return { type: 'payment.paid', ...party, packs: order.count, by: 'reconciliation' };
    case 'not-paid':
      return { type: 'payment.not-paid', ...party, reason: r.reason ?? 'not paid', final: false, by: 'reconciliation' };
    // Still unknown (or no plugin to ask): nothing new to tell.
    default:
      return null;
  }
}

/** Emits what reconciliation at the start settled (payments an earlier run left open). */
export async function emitReconciled(events: RunEventSink, ledger: Ledger, reconciled: readonly Reconciled[]): Promise<void> {
  for (const r of reconciled) {
    const order = await ledger.orders.get(r.orderId).catch(() => undefined);
    const event = order === undefined ? null : reconciledEvent(r, order);
    if (event !== null) events.emit(event);
  }
}
