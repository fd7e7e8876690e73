/** The checks a careful wallet makes before paying an order, whatever the method: the amount is what the quote
 *  said (within a tolerance either way: clearly less may mean fewer packs than asked), within the per-pack maximum and the budget held for it, and the order is not about to
 *  expire. A refusal moves no money and is recorded with its reason. */
import { AutomintError } from '../errors.js';
import { formatAmount, withTolerance, type Units } from '../money.js';
import type { StoreOrder } from '../plugins/payment.js';

export type RefusalReason =
  | 'COUNT_MISMATCH'
  | 'AMOUNT_NOT_POSITIVE'
  | 'AMOUNT_ABOVE_QUOTE'
  | 'AMOUNT_BELOW_QUOTE'
  | 'ABOVE_MAX_PRICE'
  | 'OVER_BUDGET'
  | 'EXPIRED'
  | 'EXPIRES_TOO_SOON'
  | 'METHOD_REFUSED';

/** An order the bot will not pay, and why. */
export class OrderRefused extends AutomintError {
  /** `reason`: one of RefusalReason from the host's checks, or a payment plugin's own code (e.g. STARS_NO_SLUG). */
  constructor(readonly reason: RefusalReason | (string & {}), message: string, details: Record<string, unknown>) {
    super(reason, message, details);
  }
}

export interface OrderExpectations {
  /** Packs asked for. */
  readonly count: number;
  /** Price per pack quoted just before ordering. */
  readonly quotePerPack: Units;
  /** Allowed difference from quote × count, either way, in basis points. */
  readonly toleranceBps: number;
  /** The user's ceiling per pack, if any. */
  readonly maxPricePerPack: Units | null;
  /** What the budget holds for this order. */
  readonly budgetHeld: Units;
  /** An order must stay valid at least this long after now to be worth paying. */
  readonly expiryMarginMs: number;
  readonly now: number;
}

/** Throws OrderRefused when the order must not be paid. */
export function verifyOrder(order: StoreOrder, exp: OrderExpectations): void {
  const facts = { orderId: order.orderId, currency: order.currency, amount: formatAmount(order.currency, order.amount) };
  // Only as strong as the plugin's reading of the store's answer: a plugin whose store echoes the count passes it
  // through, so a store that silently changes the count is caught here.
  if (order.count !== exp.count) {
    throw new OrderRefused('COUNT_MISMATCH', `order ${order.orderId} is for ${order.count} packs, ${exp.count} were asked`, { ...facts, count: order.count, asked: exp.count });
  }
  if (order.amount <= 0n) {
    throw new OrderRefused('AMOUNT_NOT_POSITIVE', `order ${order.orderId} asks for a non-positive amount`, facts);
  }
  const atQuote = exp.quotePerPack * BigInt(exp.count);
  const quoteLimit = withTolerance(atQuote, exp.toleranceBps);
  if (order.amount > quoteLimit) {
    throw new OrderRefused('AMOUNT_ABOVE_QUOTE', `order ${order.orderId} asks ${facts.amount} ${order.currency}, above quote × ${exp.count} + ${exp.toleranceBps} bps = ${formatAmount(order.currency, quoteLimit)}`,
      { ...facts, limit: formatAmount(order.currency, quoteLimit) });
  }
  // Paying less is no loss in itself, but an order well under the quote is most likely for fewer packs than asked
  // (a store that silently shrank it, with no count to say so): paying it would buy what was not asked for.
  const quoteFloor = atQuote - (quoteLimit - atQuote);
  if (order.amount < quoteFloor) {
    throw new OrderRefused('AMOUNT_BELOW_QUOTE', `order ${order.orderId} asks ${facts.amount} ${order.currency}, below quote × ${exp.count} − ${exp.toleranceBps} bps = ${formatAmount(order.currency, quoteFloor)}: the order may be for fewer packs than asked`,
      { ...facts, limit: formatAmount(order.currency, quoteFloor) });
  }
  if (exp.maxPricePerPack !== null && order.amount > exp.maxPricePerPack * BigInt(exp.count)) {
    const limit = exp.maxPricePerPack * BigInt(exp.count);
    throw new OrderRefused('ABOVE_MAX_PRICE', `order ${order.orderId} asks ${facts.amount} ${order.currency}, above the maximum ${formatAmount(order.currency, limit)} for ${exp.count} packs`,
      { ...facts, limit: formatAmount(order.currency, limit) });
  }
  if (order.amount > exp.budgetHeld) {
    throw new OrderRefused('OVER_BUDGET', `order ${order.orderId} asks ${facts.amount} ${order.currency}, more than the ${formatAmount(order.currency, exp.budgetHeld)} the budget holds for it`,
      { ...facts, held: formatAmount(order.currency, exp.budgetHeld) });
  }
  if (order.expiresAt !== null) {
    if (order.expiresAt <= exp.now) {
      throw new OrderRefused('EXPIRED', `order ${order.orderId} expired at ${new Date(order.expiresAt).toISOString()}`, { ...facts, expiresAt: order.expiresAt });
    }
    if (order.expiresAt - exp.now < exp.expiryMarginMs) {
      throw new OrderRefused('EXPIRES_TOO_SOON', `order ${order.orderId} expires in ${order.expiresAt - exp.now} ms, less than the ${exp.expiryMarginMs} ms margin`, { ...facts, expiresAt: order.expiresAt });
    }
  }
}
