/** What the TON plugin reads from the ledger: before it sends a recorded message again (a batch's message pays
 *  several orders, and it may be re-sent only when the ledger knows every one of them: an order without an intent
 *  must never be paid), and, while arming, the store wallets earlier runs paid. */
import type { OpenIntent } from '../../core/plugins/payment.js';
import { tonIntentKey } from './ton-attempt.js';

/** What the plugin asks `Ledger.intents`: an intent by key, and where a method's confirmed payments went. */
export interface RecordedIntents {
  get(idempotencyKey: string): Promise<{ readonly state: string; readonly payload: Readonly<Record<string, unknown>> } | undefined>;
  confirmedDestinations(method: string, limit: number): Promise<readonly string[]>;
}

/** The ledger's intents when the host provides a ledger (a run does; a bare plugin harness may not). */
export interface IntentRecords {
  readonly intents: RecordedIntents | null;
}

/**
 * True when every order of the message has an intent that records this same message and is not failed. Without a
 * ledger only a message paying the reconciled order alone qualifies: the host reconciles only recorded intents.
 */
export async function everyOrderRecorded(
  records: RecordedIntents | null, own: OpenIntent, message: { walletRaw: string; seqno: number; boc: string; orderIds: readonly string[] },
): Promise<boolean> {
  if (!message.orderIds.includes(own.orderId)) return false;
  if (records === null) return message.orderIds.length === 1;
  for (const orderId of message.orderIds) {
    const key = orderId === own.orderId ? own.idempotencyKey : tonIntentKey(message.walletRaw, message.seqno, orderId);
    const row = await records.get(key);
    if (!row || row.state === 'failed' || row.payload['boc'] !== message.boc) return false;
  }
  return true;
}
