/** Purchases: one row per target × account, carrying the lifecycle state the purchase actor last reached. */
import type { Selectable } from 'kysely';
import type { ImmediateTx, LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { PurchaseState, PurchasesTable } from './schema.js';
import { checkTransition, PURCHASE_TRANSITIONS } from './transitions.js';
import { reasonColumn } from './reason-column.js';

export interface PurchaseRow {
  readonly id: string;
  readonly collection: number;
  readonly character: number;
  readonly account: string;
  readonly packsWanted: number;
  readonly state: PurchaseState;
  /** Why it reached its state (a short human reason), if given. */
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewPurchase {
  readonly id: string;
  readonly collection: number;
  readonly character: number;
  readonly account: string;
  readonly packsWanted: number;
}

function toRow(r: Selectable<PurchasesTable>): PurchaseRow {
  return {
    id: r.id,
    collection: r.collection,
    character: r.character,
    account: r.account,
    packsWanted: r.packs_wanted,
    state: r.state,
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class Purchases {
  constructor(private readonly conn: LedgerConnection) {}

  /**
   * The purchase row for this target × account, created in state 'idle' if missing. Calling it again is harmless; a
   * changed `packsWanted` (the config was edited) is taken over. The same id or target × account with other facts
   * is refused with PURCHASE_MISMATCH.
   */
  async ensure(input: NewPurchase): Promise<PurchaseRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.ensureIn(tx, input, now));
  }

  /** ensure(), inside a transaction the caller holds. */
  ensureIn(tx: ImmediateTx, input: NewPurchase, now: number): PurchaseRow {
    for (const field of ['collection', 'character', 'packsWanted'] as const) {
      const value = input[field];
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new LedgerError('INVALID_INPUT', `purchase ${field} must be a non-negative integer`, {
          purchaseId: input.id,
          field,
          value,
        });
      }
    }
    const { db } = this.conn;
    const byId = tx.first(db.selectFrom('purchases').selectAll().where('id', '=', input.id));
    const byTarget = tx.first(
      db
        .selectFrom('purchases')
        .selectAll()
        .where('collection', '=', input.collection)
        .where('character', '=', input.character)
        .where('account', '=', input.account),
    );
    const existing = byId ?? byTarget;
    if (existing) {
      const same =
        existing.id === input.id &&
        existing.collection === input.collection &&
        existing.character === input.character &&
        existing.account === input.account;
      if (!same) {
        throw new LedgerError('PURCHASE_MISMATCH', `purchase ${input.id} does not match the recorded one`, {
          purchaseId: input.id,
          recordedId: existing.id,
          recorded: { collection: existing.collection, character: existing.character, account: existing.account },
          given: { collection: input.collection, character: input.character, account: input.account },
        });
      }
      if (existing.packs_wanted === input.packsWanted) return toRow(existing);
      return toRow(
        tx.first(
          db
            .updateTable('purchases')
            .set({ packs_wanted: input.packsWanted, updated_at: now })
            .where('id', '=', input.id)
            .returningAll(),
        )!,
      );
    }
    const row = tx.first(
      db
        .insertInto('purchases')
        .values({
          id: input.id,
          collection: input.collection,
          character: input.character,
          account: input.account,
          packs_wanted: input.packsWanted,
          state: 'idle',
          reason: null,
          created_at: now,
          updated_at: now,
        })
        .returningAll(),
    )!;
    return toRow(row);
  }

  /** Moves the purchase to `state` (forward only, see PURCHASE_TRANSITIONS); a repeat of the current state is a no-op. */
  async setState(id: string, state: PurchaseState, reason?: string): Promise<PurchaseRow> {
    const now = this.conn.now();
    return this.conn.immediate((tx) => this.setStateIn(tx, id, state, reason, now));
  }

  /** setState(), inside a transaction the caller holds. */
  setStateIn(tx: ImmediateTx, id: string, state: PurchaseState, reason: string | undefined, now: number): PurchaseRow {
    const { db } = this.conn;
    const current = tx.first(db.selectFrom('purchases').selectAll().where('id', '=', id));
    if (!current) throw new LedgerError('NOT_FOUND', `no purchase ${id}`, { entity: 'purchase', id });
    if (!checkTransition('purchase', PURCHASE_TRANSITIONS, id, current.state, state)) return toRow(current);
    const row = tx.first(
      db.updateTable('purchases').set({ state, reason: reasonColumn(reason), updated_at: now }).where('id', '=', id).returningAll(),
    )!;
    return toRow(row);
  }

  /** The purchase's state, inside a transaction the caller holds; undefined when there is none. */
  getIn(tx: ImmediateTx, id: string): Pick<PurchaseRow, 'id' | 'state'> | undefined {
    return tx.first(this.conn.db.selectFrom('purchases').select(['id', 'state']).where('id', '=', id));
  }

  /** The purchase, or undefined when there is none. */
  async get(id: string): Promise<PurchaseRow | undefined> {
    const row = await this.conn.db.selectFrom('purchases').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRow(row);
  }

  /** Every purchase, oldest first. */
  async list(): Promise<PurchaseRow[]> {
    const rows = await this.conn.db.selectFrom('purchases').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRow);
  }
}
