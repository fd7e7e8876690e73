/** How the repositories store an amount: bigint smallest units ↔ TEXT decimal integer, exact at any size (SQLite's
 *  INTEGER stops at 2^63 and its SUM at int64, so amounts are never summed in SQL). */
import type { Units } from '../money.js';
import { LedgerError } from './ledger-error.js';

/** The column text for a non-negative amount; refuses anything else with INVALID_INPUT naming `field`. */
export function amountToColumn(amount: Units, field: string, facts: Readonly<Record<string, unknown>> = {}): string {
  if (typeof amount !== 'bigint' || amount < 0n) {
    throw new LedgerError('INVALID_INPUT', `${field} must be a non-negative bigint of smallest units`, {
      ...facts,
      field,
      value: String(amount),
    });
  }
  return amount.toString();
}

/** The amount a column holds. */
export function amountFromColumn(text: string): Units {
  return BigInt(text);
}

/** Sum of stored amounts, exact. */
export function sumColumns(rows: Iterable<{ amount: string }>): Units {
  let total = 0n;
  for (const row of rows) total += BigInt(row.amount);
  return total;
}
