/** The ledger's tables as kysely sees them: column names and SQLite storage types. Amounts are TEXT decimal integers
 *  in the currency's smallest unit (repositories convert them to bigint); timestamps are INTEGER epoch milliseconds. */
import type { Generated } from 'kysely';
import type { Currency } from '../money.js';

/** The purchase lifecycle (one per target × account). */
export const PURCHASE_STATES = ['idle', 'arming', 'armed', 'buying', 'done', 'failed'] as const;
export type PurchaseState = (typeof PURCHASE_STATES)[number];

/** One store order's life: created by the store, then refused by our checks, paid, failed, unknown or expired. */
export const ORDER_STATES = ['created', 'refused', 'paying', 'paid', 'failed', 'unknown', 'expired'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** A payment intent, written before money moves: recorded → sent → confirmed, or failed / unknown. */
export const INTENT_STATES = ['recorded', 'sent', 'confirmed', 'failed', 'unknown'] as const;
export type IntentState = (typeof INTENT_STATES)[number];

/** A budget reservation: held while an order is in flight, consumed when paid, released when not. */
export const RESERVATION_STATES = ['held', 'consumed', 'released'] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

export interface PurchasesTable {
  id: string;
  collection: number;
  character: number;
  account: string;
  packs_wanted: number;
  state: PurchaseState;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrdersTable {
  order_id: string;
  purchase_id: string;
  method: string;
  account: string;
  collection: number;
  character: number;
  count: number;
  currency: Currency;
  amount: string;
  destination: string;
  expires_at: number;
  state: OrderState;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface PaymentIntentsTable {
  idempotency_key: string;
  order_id: string;
  method: string;
  currency: Currency;
  amount: string;
  destination: string;
  /** JSON object text: TON { seqno, validUntil, boc, bocHash, walletAddress }; Stars { slug, formId }. */
  payload: string;
  state: IntentState;
  tx_hash: string | null;
  /** The network fee paid on top of `amount`, once known. */
  fee: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface BudgetReservationsTable {
  id: Generated<number>;
  currency: Currency;
  amount: string;
  account: string;
  /** The target the money is for, e.g. '19:2' (collection:character). */
  target: string;
  /** The limits the reservation was granted under, kept so a later resize re-checks the same ones. */
  limit_total: string;
  limit_account: string | null;
  limit_target: string | null;
  order_id: string | null;
  state: ReservationState;
  created_at: number;
  updated_at: number;
  /** The payment method the order is for ('' for reservations made before packs were claimed in the ledger). */
  method: Generated<string>;
  /** Packs this reservation claims for its target: counted while held or consumed, like the money. */
  packs: Generated<number>;
}

/** The one campaign row: what the ledger was started with, to notice a config that changed it. */
export interface CampaignTable {
  id: number;
  /** sha256 of `spec`. */
  fingerprint: string;
  /** The campaign spec as canonical JSON (targets, packs, budgets). */
  spec: string;
  created_at: number;
  updated_at: number;
}

/** Every ledger table, for `Kysely<LedgerSchema>`. */
export interface LedgerSchema {
  purchases: PurchasesTable;
  orders: OrdersTable;
  payment_intents: PaymentIntentsTable;
  budget_reservations: BudgetReservationsTable;
  campaign: CampaignTable;
}
