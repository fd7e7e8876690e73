/** `automint reconcile`: outside a run, settles every payment whose outcome is not known (the same reconciliation a
 *  run does at start) and frees orders abandoned before payment; reports each change as before → after. */
import type { Logger } from 'pino';
import type { AutomintConfig } from '../config/schema.js';
import type { OrderState } from '../ledger/schema.js';
import { registerSecrets } from '../telemetry/secret-registry.js';
import { secretValues } from '../config/redact.js';
import { reconcileOpenIntents, type Reconciled } from './reconcile.js';
import { openExistingLedger } from './data-dir.js';
import { ledgerPath } from './run-bot.js';
import { loadRunPlugins } from './run-plugins.js';

/** One order whose state reconciliation changed (or tried to). */
export interface OrderChange {
  readonly orderId: string;
  readonly method: string;
  readonly before: OrderState;
  readonly after: OrderState;
  readonly outcome: Reconciled['outcome'] | 'swept';
  readonly reason?: string;
}

export interface ReconcileReport {
  readonly changes: readonly OrderChange[];
  /** Payments still unknown after this pass (their budget stays held). */
  readonly stillOpen: number;
}

/** Reconciles the config's ledger now; it must exist (ConfigError on `dataDir` otherwise). */
export async function reconcileNow(config: AutomintConfig, log: Logger, signal: AbortSignal): Promise<ReconcileReport> {
  registerSecrets(secretValues(config));
  const ledger = await openExistingLedger(ledgerPath(config));
  try {
    const before = new Map((await ledger.orders.list()).map((o) => [o.orderId, o.state]));
    const plugins = await loadRunPlugins(config, ledger, log);
    let reconciled: Reconciled[];
    try {
      reconciled = await reconcileOpenIntents(ledger, plugins.payments, log, signal);
    } finally {
      await plugins.close();
    }
    const swept = await ledger.sweepAbandoned(Date.now());
    const after = new Map((await ledger.orders.list()).map((o) => [o.orderId, o]));
    const changes: OrderChange[] = reconciled.map((r) => ({
      orderId: r.orderId, method: r.method, before: before.get(r.orderId)!, after: after.get(r.orderId)?.state ?? before.get(r.orderId)!,
      outcome: r.outcome, ...(r.reason === undefined ? {} : { reason: r.reason }),
    }));
    for (const orderId of swept.orders) {
      const o = after.get(orderId);
      if (o) changes.push({ orderId, method: o.method, before: before.get(orderId)!, after: o.state, outcome: 'swept', reason: 'abandoned before any payment' });
    }
    return { changes, stillOpen: (await ledger.intents.open()).length };
  } finally {
    await ledger.close();
  }
}

/** The report as lines for a person. */
export function renderReconcile(r: ReconcileReport): string {
  if (r.changes.length === 0) return 'nothing to reconcile: every payment in the ledger is settled';
  const lines = r.changes.map((c) => `${c.orderId} (${c.method}): ${c.before} → ${c.after} [${c.outcome}]${c.reason ? ` ${c.reason}` : ''}`);
  lines.push(r.stillOpen === 0 ? 'every payment is settled now' : `${r.stillOpen} payment(s) still unknown: run reconcile again later`);
  return lines.join('\n');
}
