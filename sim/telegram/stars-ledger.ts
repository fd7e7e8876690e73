/** Stars balances and the payments taken from them. A payment is debited and recorded in one synchronous step, so
 *  concurrent payers never see a half-done charge; the records are what payments.getStarsTransactions lists and
 *  what tests read back. */
import { SimTelegramError } from './errors.js';

/** One Stars payment taken. */
export interface StarsPaymentRecord {
  readonly slug: string;
  /** The form id it was paid with, in decimal. */
  readonly formId: string;
  readonly userId: number;
  /** Stars taken (positive). */
  readonly amount: bigint;
  /** Telegram's charge id; also the Stars transaction id. */
  readonly chargeId: string;
  /** Id of the payment's service message in the user's chat with the bot. */
  readonly msgId: number;
  /** Epoch ms. */
  readonly at: number;
}

/** A payment with what the transaction list shows about it. */
export interface StarsCharge extends StarsPaymentRecord {
  readonly title: string;
  readonly description: string;
}

/** Balances per user and every charge. */
export class StarsLedger {
  private readonly balances = new Map<number, bigint>();
  private readonly charges: StarsCharge[] = [];

  constructor(initial: Iterable<readonly [userId: number, stars: bigint]>) {
    for (const [userId, stars] of initial) this.set(userId, stars);
  }

  /** The user's balance. */
  balance(userId: number): bigint {
    return this.balances.get(userId) ?? 0n;
  }

  /** Sets the user's balance (tests and scenarios top up or drain accounts). */
  set(userId: number, stars: bigint): void {
    if (stars < 0n) throw new SimTelegramError('SPEC_INVALID', `a Stars balance cannot be negative (user ${userId})`, { userId });
    this.balances.set(userId, stars);
  }

  /** Debits `charge.amount` from the user and records the charge; the caller has checked the balance. */
  take(charge: StarsCharge): void {
    const balance = this.balance(charge.userId);
    if (charge.amount <= 0n || balance < charge.amount) {
      throw new SimTelegramError('CHARGE_INVALID', `cannot take ${charge.amount} stars from user ${charge.userId}`, {
        userId: charge.userId,
        slug: charge.slug,
      });
    }
    this.balances.set(charge.userId, balance - charge.amount);
    this.charges.push(charge);
  }

  /** The user's charges, newest first. */
  chargesOf(userId: number): readonly StarsCharge[] {
    return this.charges.filter((c) => c.userId === userId).reverse();
  }

  /** Every payment taken, oldest first. */
  payments(): readonly StarsPaymentRecord[] {
    return this.charges.map(({ slug, formId, userId, amount, chargeId, msgId, at }) => ({ slug, formId, userId, amount, chargeId, msgId, at }));
  }
}
