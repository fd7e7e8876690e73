/** Settles every intent that is not final against the chain or Telegram, keyed by our own ids, before a run starts
 *  (and on demand). The ledger then tells the truth again: nothing paid twice, no payment forgotten. */
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

/** Settles open intents; unknown ones stay open (their budget stays held, their packs counted). */
export async function reconcileOpenIntents(ledger: Ledger, methods: readonly PaymentMethod[], log: Logger, signal: AbortSignal): Promise<Reconciled[]> {
  const results: Reconciled[] = [];
  for (const intent of await ledger.intents.open()) {
    const method = methods.find((m) => m.id === intent.method);
    if (!method) {
      results.push({ idempotencyKey: intent.idempotencyKey, orderId: intent.orderId, method: intent.method, outcome: 'no-plugin' });
      continue;
    }
    const settlement = await method.reconcile(intent, signal).catch((e: unknown): Settlement => ({ outcome: 'unknown', reason: (e as Error).message }));
    const reservation = (await ledger.budget.list({ orderId: intent.orderId })).find((r) => r.state === 'held');
    if (settlement.outcome === 'paid') {
      await ledger.intents.setState(intent.idempotencyKey, 'confirmed', { txHash: settlement.txHash, fee: settlement.fee });
      await ledger.orders.setState(intent.orderId, 'paid');
      if (reservation) await ledger.budget.consume(reservation.id, intent.amount);
    } else if (settlement.outcome === 'not-paid') {
      await ledger.intents.setState(intent.idempotencyKey, 'failed', { reason: settlement.reason });
      await ledger.orders.setState(intent.orderId, 'failed', settlement.reason);
      if (reservation) await ledger.budget.release(reservation.id);
    } else if (intent.state !== 'unknown') {
      await ledger.intents.setState(intent.idempotencyKey, 'unknown', { reason: settlement.reason });
      await ledger.orders.setState(intent.orderId, 'unknown', settlement.reason);
    }
    log.info({ key: intent.idempotencyKey, orderId: intent.orderId, outcome: settlement.outcome }, 'reconciled intent');
    results.push({ idempotencyKey: intent.idempotencyKey, orderId: intent.orderId, method: intent.method, outcome: settlement.outcome,
      reason: settlement.outcome === 'paid' ? undefined : settlement.reason });
  }
  return results;
}
