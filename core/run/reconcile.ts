/** Settles every intent that is not final against the chain or Telegram, keyed by our own ids, before a run starts
 *  (and, for the unknown ones that hold a target up, during it: in-run-reconciliation.ts). The ledger then tells the
 *  truth again: nothing paid twice, no payment forgotten. */
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import type { IntentRow } from '../ledger/payment-intents.js';
import type { PaymentMethod, Settlement } from '../plugins/payment.js';

/** What reconciliation did to one intent. */
export interface Reconciled {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly method: string;
  readonly outcome: Settlement['outcome'] | 'no-plugin';
  readonly reason?: string;
}

/** Longest reconciliation may hold up a start; what is still open then stays open (and held) for the next one. */
export const RECONCILE_TIME_LIMIT_MS = 60_000;

/** Which open intents to settle, and who hears of each settlement as soon as the ledger has it. */
export interface ReconcileScope {
  /** Only these (default: every open intent). */
  readonly only?: (intent: IntentRow) => boolean;
  /** Called for each intent as soon as its outcome is in the ledger (a missing plugin's: left as it was), before the
   *  others finish. */
  readonly onSettled?: (r: Reconciled) => void;
}

/** Settles open intents, all at once, within the time limit; unknown ones stay open (budget held, packs counted). */
export async function reconcileOpenIntents(
  ledger: Ledger, methods: readonly PaymentMethod[], log: Logger, signal: AbortSignal, timeLimitMs = RECONCILE_TIME_LIMIT_MS,
  scope: ReconcileScope = {},
): Promise<Reconciled[]> {
  const open = (await ledger.intents.open()).filter((i) => scope.only?.(i) ?? true);
  if (open.length === 0) return [];
  // A kept timer, not AbortSignal.timeout inside AbortSignal.any: on Node 20 that pair can lose its timeout after a
  // garbage collection. Each plugin call is also raced against the limit, so one that ignores its signal cannot hold
  // the start up either: what is not settled by then stays unknown (and held) for the next start.
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(new Error(`reconciliation took longer than ${timeLimitMs / 1000} s`)), timeLimitMs);
  const onStop = (): void => limit.abort(signal.reason);
  if (signal.aborted) onStop();
  else signal.addEventListener('abort', onStop, { once: true });
  const cutOff = new Promise<Settlement>((resolve) => {
    const settleUnknown = (): void => resolve({ outcome: 'unknown', reason: (limit.signal.reason as Error | undefined)?.message ?? 'reconciliation stopped' });
    if (limit.signal.aborted) settleUnknown();
    else limit.signal.addEventListener('abort', settleUnknown, { once: true });
  });
  try {
    return await Promise.all(open.map(async (intent) => {
      const r = await settleOne(ledger, methods, log, intent, limit.signal, cutOff);
      scope.onSettled?.(r);
      return r;
    }));
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onStop);
  }
}

/** Settles one open intent through its plugin, or leaves it unknown when the plugin is missing or the limit came. */
async function settleOne(
  ledger: Ledger, methods: readonly PaymentMethod[], log: Logger, intent: IntentRow, bounded: AbortSignal, cutOff: Promise<Settlement>,
): Promise<Reconciled> {
  const facts = { idempotencyKey: intent.idempotencyKey, orderId: intent.orderId, method: intent.method };
  const method = methods.find((m) => m.id === intent.method);
  if (!method) {
    log.warn(facts, 'open intent of a payment method that is not enabled: enable it to settle this payment');
    return { ...facts, outcome: 'no-plugin' };
  }
  const asked = method.reconcile(intent, bounded).catch((e: unknown): Settlement => ({ outcome: 'unknown', reason: (e as Error).message }));
  const settlement = await Promise.race([asked, cutOff]);
  const base = { idempotencyKey: intent.idempotencyKey, orderId: intent.orderId, reservationId: null };
  if (settlement.outcome === 'paid') {
    await ledger.settle({ ...base, outcome: 'paid', txHash: settlement.txHash, fee: settlement.fee, spent: intent.amount + settlement.fee });
  } else {
    await ledger.settle({ ...base, outcome: settlement.outcome, reason: settlement.reason });
  }
  log.info({ ...facts, outcome: settlement.outcome }, 'reconciled intent');
  return { ...facts, outcome: settlement.outcome, reason: settlement.outcome === 'paid' ? undefined : settlement.reason };
}
