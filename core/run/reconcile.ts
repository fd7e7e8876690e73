/** Settles every intent that is not final against the chain or Telegram, keyed by our own ids, before a run starts.
 *  The ledger then tells the truth again: nothing paid twice, no payment forgotten. */
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
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

/** Settles open intents, all at once, within the time limit; unknown ones stay open (budget held, packs counted). */
export async function reconcileOpenIntents(
  ledger: Ledger, methods: readonly PaymentMethod[], log: Logger, signal: AbortSignal, timeLimitMs = RECONCILE_TIME_LIMIT_MS,
): Promise<Reconciled[]> {
  const open = await ledger.intents.open();
  if (open.length === 0) return [];
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeLimitMs)]);
  return Promise.all(open.map(async (intent): Promise<Reconciled> => {
    const facts = { idempotencyKey: intent.idempotencyKey, orderId: intent.orderId, method: intent.method };
    const method = methods.find((m) => m.id === intent.method);
    if (!method) {
      log.warn(facts, 'open intent of a payment method that is not enabled: enable it to settle this payment');
      return { ...facts, outcome: 'no-plugin' };
    }
    const settlement = await method.reconcile(intent, bounded).catch((e: unknown): Settlement => ({ outcome: 'unknown', reason: (e as Error).message }));
    const base = { idempotencyKey: intent.idempotencyKey, orderId: intent.orderId, reservationId: null };
    if (settlement.outcome === 'paid') {
      await ledger.settle({ ...base, outcome: 'paid', txHash: settlement.txHash, fee: settlement.fee, spent: intent.amount + settlement.fee });
    } else {
      await ledger.settle({ ...base, outcome: settlement.outcome, reason: settlement.reason });
    }
    log.info({ ...facts, outcome: settlement.outcome }, 'reconciled intent');
    return { ...facts, outcome: settlement.outcome, reason: settlement.outcome === 'paid' ? undefined : settlement.reason };
  }));
}
