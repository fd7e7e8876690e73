import { AutomintError } from '../errors.js';

/** Why the ledger refused a call; stable, so callers can switch on it. */
export type LedgerErrorCode =
  | 'DUPLICATE_ORDER' // an order with this store order id is already recorded
  | 'DUPLICATE_INTENT' // a payment intent with this idempotency key is already recorded
  | 'NOT_FOUND' // the purchase, order, intent or reservation named does not exist
  | 'ILLEGAL_TRANSITION' // the state change would move an entity backwards or out of a final state
  | 'INVALID_INPUT' // an amount, count or payload the ledger cannot store faithfully
  | 'PURCHASE_MISMATCH' // ensure() met a purchase with the same id or target × account but other facts
  | 'INTENT_MISMATCH' // the intent disagrees with its order (method, currency, or more money than the order asks)
  | 'ORDER_NOT_PAYABLE' // the order is final, or another intent for it may still move money
  | 'BUDGET_EXCEEDED' // growing a reservation would take a budget scope past its limit
  | 'PAYMENT_IN_FLIGHT' // the order has an intent that may have moved money: settle it, do not abandon the order
  | 'BUSY' // another process held the write lock past busy_timeout; nothing was written, the call may be retried
  | 'STORAGE_FAILED' // SQLite failed the statement (disk full, I/O error, closed database); nothing was written
  | 'OPEN_FAILED' // the database file could not be opened or prepared
  | 'NO_LEDGER' // an existing ledger was asked for and there is no database file at the path
  | 'MIGRATION_FAILED'; // a schema migration failed; the database was left as it was

/** An error from the ledger: the stable code plus the ids and states a person needs (never a payload or secret). */
export class LedgerError extends AutomintError {
  declare readonly code: LedgerErrorCode;

  constructor(
    code: LedgerErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
  }
}
