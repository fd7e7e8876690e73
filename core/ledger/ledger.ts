/** The ledger: the source of truth for money. Nothing is paid twice (intents are written before money moves, one live
 *  intent per order) and nothing paid is forgotten (states only move forward). Steps that touch several tables run in
 *  one transaction each (see settlement.ts). Open it with `openLedger`. */
import type { Kysely } from 'kysely';
import { Budget } from './budget.js';
import { CampaignRecord } from './campaign.js';
import { PackClaims } from './pack-claims.js';
import type { LedgerConnection } from './connection.js';
import { EndpointStatsRepository } from './endpoint-stats.js';
import { LimiterStateRepository } from './limiter-state.js';
import { Orders } from './orders.js';
import { PaymentIntents, type IntentRow, type NewIntent } from './payment-intents.js';
import { Purchases } from './purchases.js';
import { SeenCollections } from './seen-collections.js';
import { GhostOrders } from './ghost-orders.js';
import type { LedgerSchema } from './schema.js';
import type { LedgerError } from './ledger-error.js';
import type { NewOrder, OrderRow } from './orders.js';
import {
  abandonOrderIn,
  recordIntentIn,
  recordOrderIn,
  releaseUnattachedIn,
  settleIn,
  sweepAbandonedIn,
  type AbandonedOrderState,
  type OrderHold,
  type SettleRequest,
  type SweepResult,
} from './settlement.js';

export type { AbandonedOrderState, OrderHold, SettleRequest, SweepResult } from './settlement.js';

export class Ledger {
  readonly db: Kysely<LedgerSchema>;
  readonly purchases: Purchases;
  readonly orders: Orders;
  readonly intents: PaymentIntents;
  readonly budget: Budget;
  /** Packs claimed with their money (the only count of a target's packs that processes share). */
  readonly claims: PackClaims;
  /** What the ledger's campaign was started with. */
  readonly campaign: CampaignRecord;
  readonly endpointStats: EndpointStatsRepository;
  readonly limiter: LimiterStateRepository;
  /** Snipe mode's seen-set: the collections already judged (or listed at the first start). */
  readonly seen: SeenCollections;
  /** Create-order requests that may have created an order never seen (ghost-orders.ts). */
  readonly ghosts: GhostOrders;
  readonly #conn: LedgerConnection;
  #closed = false;

  constructor(connection: LedgerConnection) {
    this.#conn = connection;
    this.db = connection.db;
    this.purchases = new Purchases(connection);
    this.orders = new Orders(connection);
    this.intents = new PaymentIntents(connection);
    this.budget = new Budget(connection);
    this.claims = new PackClaims(connection, this.budget);
    this.campaign = new CampaignRecord(connection);
    this.endpointStats = new EndpointStatsRepository(connection);
    this.limiter = new LimiterStateRepository(connection);
    this.seen = new SeenCollections(connection);
    this.ghosts = new GhostOrders(connection);
  }

  /**
   * Records a created order and attaches its held reservation in one transaction (and moves its purchase from armed
   * to buying). Refuses like orders.insert and budget.attach; a refusal writes nothing, so the reservation stays held
   * for the caller to release.
   */
  async recordOrder(order: NewOrder, reservationId: number): Promise<OrderRow> {
    const now = this.#conn.now();
    return this.#conn.immediate((tx) => recordOrderIn(this, tx, order, reservationId, now));
  }

  /** Records the intent (state 'recorded') and moves its order to 'paying', in one transaction; with `hold`, the order's
   *  reservation shrinks to the order's amount and packs in the same transaction (one commit fewer before the payment
   *  is sent; growing refuses like Budget.resize). Same refusals as intents.record. */
  async recordIntent(intent: NewIntent, hold?: OrderHold): Promise<IntentRow> {
    const now = this.#conn.now();
    return this.#conn.immediate((tx) => recordIntentIn(this, tx, intent, now, hold));
  }

  /**
   * Settles one payment in one transaction:
   *  paid     → intent 'confirmed' (txHash, fee), order 'paid', reservation consumed at `spent` (amount + fee), else at
   *             the order amount;
   *  not-paid → intent 'failed' (reason), order 'failed' (reason), reservation released;
   *  unknown  → intent 'unknown' (reason), order 'unknown' (reason), reservation left held.
   * reservationId null = the reservation attached to the order (held or released), if any. A repeat of an
   * already-applied settlement is a no-op (replay after a crash); any refusal leaves all three tables as they were.
   */
  async settle(s: SettleRequest): Promise<void> {
    const now = this.#conn.now();
    await this.#conn.immediate((tx) => settleIn(this, tx, s, now));
  }

  /**
   * An order that will not be paid (refused by verification, failed before any intent): order → `state` with reason,
   * its reservation (given, or the held ones attached to it) released, in one transaction. Refuses with
   * PAYMENT_IN_FLIGHT when the order has an intent that is not failed: that one must be settled instead.
   */
  async abandonOrder(orderId: string, state: AbandonedOrderState, reason: string, reservationId: number | null): Promise<void> {
    const now = this.#conn.now();
    await this.#conn.immediate((tx) => abandonOrderIn(this, tx, orderId, state, reason, reservationId, now));
  }

  /**
   * Start-of-run cleanup, one transaction: orders in 'created' or 'paying' with no intent in a non-failed state become
   * 'failed' (reason 'abandoned before payment: <previous state>') and their held reservations are released; held
   * reservations with no order attached and created before `olderThan` (epoch ms) are released. Returns what it did.
   */
  async sweepAbandoned(olderThan: number): Promise<SweepResult> {
    const now = this.#conn.now();
    return this.#conn.immediate((tx) => sweepAbandonedIn(this, tx, olderThan, now));
  }

  /**
   * The end of a run, one transaction: held reservations with no order attached, created before `olderThan`, are
   * released (claims whose order never came; the orders themselves are left to the next start's sweep). Returns their
   * ids. Only for a moment no payer of this ledger can still attach an order (the run's actors have ended).
   */
  async releaseUnattached(olderThan: number): Promise<number[]> {
    const now = this.#conn.now();
    return this.#conn.immediate((tx) => releaseUnattachedIn(this, tx, olderThan, now));
  }

  /** The first write the disk refused (full, read-only, I/O error), or null: see LedgerConnection.storageFault. */
  get storageFault(): LedgerError | null {
    return this.#conn.storageFault;
  }

  /** Tells `listener` of the first write the disk refuses (at once if one already was); returns how to stop. */
  onStorageFault(listener: (fault: LedgerError) => void): () => void {
    return this.#conn.onStorageFault(listener);
  }

  /** Closes the database; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }
}
