import { describe, expect, it } from 'vitest';
import { OrderRefused, verifyOrder, type OrderExpectations } from '../../../../core/actors/order-verification.js';
import { toNano } from '../../../../core/money.js';
import type { StoreOrder } from '../../../../core/plugins/payment.js';

const now = 1_800_000_000_000;
const order = (over: Partial<StoreOrder> = {}): StoreOrder => ({
  orderId: 'o-1', count: 5, currency: 'TON', amount: toNano('12.5'), destination: 'EQ-store', expiresAt: now + 300_000, ...over,
});
const expect5 = (over: Partial<OrderExpectations> = {}): OrderExpectations => ({
  count: 5, quotePerPack: toNano('2.5'), toleranceBps: 100, maxPricePerPack: toNano('3'), budgetHeld: toNano('15'),
  expiryMarginMs: 15_000, now, ...over,
});

function refusal(o: StoreOrder, e: OrderExpectations): string {
  try {
    verifyOrder(o, e);
  } catch (err) {
    expect(err).toBeInstanceOf(OrderRefused);
    return (err as OrderRefused).reason;
  }
  return 'accepted';
}

describe('order verification', () => {
  it('accepts an order at the quote, within max price, budget and expiry', () => {
    expect(refusal(order(), expect5())).toBe('accepted');
  });

  it('accepts an amount within the tolerance above the quote', () => {
    expect(refusal(order({ amount: toNano('12.625') }), expect5())).toBe('accepted');
  });

  it('refuses an order whose amount exceeds the quote plus tolerance', () => {
    expect(refusal(order({ amount: toNano('12.626') }), expect5())).toBe('AMOUNT_ABOVE_QUOTE');
  });

  it('accepts an amount at either edge of the tolerance and refuses one nanoton past each', () => {
    // 12.5 TON ± 1% = 12.375 .. 12.625 TON.
    expect(refusal(order({ amount: toNano('12.375') }), expect5())).toBe('accepted');
    expect(refusal(order({ amount: toNano('12.625') }), expect5())).toBe('accepted');
    expect(refusal(order({ amount: toNano('12.374999999') }), expect5())).toBe('AMOUNT_BELOW_QUOTE');
    expect(refusal(order({ amount: toNano('12.625000001') }), expect5())).toBe('AMOUNT_ABOVE_QUOTE');
  });

  it('refuses an order clearly below quote × count, since it may be for fewer packs than asked', () => {
    // What a store that made the order for four packs and said nothing about it would ask.
    expect(refusal(order({ amount: toNano('10') }), expect5())).toBe('AMOUNT_BELOW_QUOTE');
  });

  it('with no tolerance, takes only the exact quote × count', () => {
    expect(refusal(order(), expect5({ toleranceBps: 0 }))).toBe('accepted');
    expect(refusal(order({ amount: toNano('12.499999999') }), expect5({ toleranceBps: 0 }))).toBe('AMOUNT_BELOW_QUOTE');
    expect(refusal(order({ amount: toNano('12.500000001') }), expect5({ toleranceBps: 0 }))).toBe('AMOUNT_ABOVE_QUOTE');
  });

  it('says a cheap order may be for fewer packs, naming the order and the floor', () => {
    let caught: unknown;
    try {
      verifyOrder(order({ amount: toNano('10') }), expect5());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OrderRefused);
    expect((caught as OrderRefused).message).toMatch(/order o-1 asks 10 TON, below quote × 5 .* = 12\.375: the order may be for fewer packs than asked/);
    expect((caught as OrderRefused).details).toMatchObject({ orderId: 'o-1', amount: '10', limit: '12.375' });
  });

  it('catches a store that shrank the order by its count when it says so, and by its amount when it does not', () => {
    const shrunk = { amount: toNano('10'), count: 4 };
    expect(refusal(order(shrunk), expect5())).toBe('COUNT_MISMATCH');
    expect(refusal(order({ amount: shrunk.amount }), expect5())).toBe('AMOUNT_BELOW_QUOTE');
  });

  it('refuses an order above the maximum price per pack even when the quote allows it', () => {
    expect(refusal(order({ amount: toNano('16') }), expect5({ quotePerPack: toNano('3.2'), budgetHeld: toNano('20') }))).toBe('ABOVE_MAX_PRICE');
  });

  it('refuses an order larger than the budget held for it', () => {
    expect(refusal(order(), expect5({ budgetHeld: toNano('12.4') }))).toBe('OVER_BUDGET');
  });

  it('refuses an expired order and one expiring within the margin', () => {
    expect(refusal(order({ expiresAt: now - 1 }), expect5())).toBe('EXPIRED');
    expect(refusal(order({ expiresAt: now + 10_000 }), expect5())).toBe('EXPIRES_TOO_SOON');
  });

  it('refuses a count different from what was asked, and a non-positive amount', () => {
    expect(refusal(order({ count: 4 }), expect5())).toBe('COUNT_MISMATCH');
    expect(refusal(order({ amount: 0n }), expect5())).toBe('AMOUNT_NOT_POSITIVE');
  });

  it('names the order and the limit in the refusal', () => {
    let refused: unknown;
    try {
      verifyOrder(order({ amount: toNano('13') }), expect5());
    } catch (e) {
      refused = e;
    }
    // Outside the catch: an order let through fails here instead of passing with nothing asserted.
    expect(refused).toBeInstanceOf(OrderRefused);
    expect((refused as OrderRefused).code).toBe('AMOUNT_ABOVE_QUOTE');
    expect((refused as OrderRefused).message).toContain('o-1');
    expect((refused as OrderRefused).details).toMatchObject({ orderId: 'o-1', limit: '12.625' });
  });
});
