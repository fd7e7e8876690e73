/** Shared set-up for the ledger tests: temp folders, a purchase and orders to hang intents and reservations on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { NewOrder } from '../../../../core/ledger/orders.js';
import type { NewIntent } from '../../../../core/ledger/payment-intents.js';
import { toNano } from '../../../../core/money.js';

/** A fresh temp folder and a function that removes it. */
export function tempFolder(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'automint-ledger-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const PURCHASE = { id: '19:2:alice', collection: 19, character: 2, account: 'alice', packsWanted: 10 } as const;

/** Creates the standard purchase. */
export async function seedPurchase(ledger: Ledger): Promise<void> {
  await ledger.purchases.ensure(PURCHASE);
}

/** A TON order for the standard purchase. */
export function tonOrder(orderId: string, overrides: Partial<NewOrder> = {}): NewOrder {
  return {
    orderId,
    purchaseId: PURCHASE.id,
    method: 'ton',
    account: PURCHASE.account,
    collection: PURCHASE.collection,
    character: PURCHASE.character,
    count: 2,
    currency: 'TON',
    amount: toNano('3.5'),
    destination: 'UQDestinationWallet',
    expiresAt: 1_700_000_600_000,
    ...overrides,
  };
}

/** A TON intent paying `orderId` in full. */
export function tonIntent(idempotencyKey: string, orderId: string, overrides: Partial<NewIntent> = {}): NewIntent {
  return {
    idempotencyKey,
    orderId,
    method: 'ton',
    currency: 'TON',
    amount: toNano('3.5'),
    destination: 'UQDestinationWallet',
    payload: { seqno: 7, validUntil: 1_700_000_060, boc: 'te6cckEB', bocHash: 'abc123', walletAddress: 'UQOurWallet' },
    ...overrides,
  };
}

/** Every row of the three money tables exactly as stored, to prove that a refused step changed nothing. */
export async function moneyTables(ledger: Ledger) {
  return {
    orders: await ledger.db.selectFrom('orders').selectAll().orderBy('order_id').execute(),
    intents: await ledger.db.selectFrom('payment_intents').selectAll().orderBy('idempotency_key').execute(),
    reservations: await ledger.db.selectFrom('budget_reservations').selectAll().orderBy('id').execute(),
  };
}

/** Reserves `held` for the standard purchase, records `orderId` (3.5 TON unless overridden) and attaches the
 *  reservation to it, the way a payer does; returns the reservation id. */
export async function reservedOrder(
  ledger: Ledger,
  orderId: string,
  held: bigint = toNano('4'),
  overrides: Partial<NewOrder> = {},
): Promise<number> {
  const result = await ledger.budget.reserve({
    currency: 'TON', amount: held, account: PURCHASE.account, target: '19:2', limits: { total: toNano('1000') },
  });
  if (!result.ok) throw new Error(`fixture reservation refused by the ${result.reason} limit`);
  await ledger.orders.insert(tonOrder(orderId, overrides));
  await ledger.budget.attach(result.reservation.id, orderId);
  return result.reservation.id;
}
