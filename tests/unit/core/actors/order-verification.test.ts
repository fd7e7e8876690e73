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

describe('order verification at each limit\'s exact edge', () => {
  /** The refusal `verifyOrder` threw, or null when it let the order through. */
  function refusedWith(o: StoreOrder, e: OrderExpectations): OrderRefused | null {
    try {
      verifyOrder(o, e);
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(OrderRefused);
      return err as OrderRefused;
    }
  }
  const facts = { orderId: 'o-1', currency: 'TON' };

  it('pays exactly the maximum price per pack, and refuses a nanoton more, naming the maximum for the count', () => {
    const atMax = expect5({ maxPricePerPack: toNano('2.5') });
    expect(refusedWith(order({ amount: toNano('12.5') }), atMax)).toBeNull();
    const refused = refusedWith(order({ amount: toNano('12.500000001') }), atMax);
    expect(refused).toMatchObject({
      code: 'ABOVE_MAX_PRICE', message: 'order o-1 asks 12.500000001 TON, above the maximum 12.5 for 5 packs',
      details: { ...facts, amount: '12.500000001', limit: '12.5' },
    });
  });

  it('pays exactly what the budget holds, and refuses a nanoton more, naming what is held', () => {
    expect(refusedWith(order(), expect5({ budgetHeld: toNano('12.5') }))).toBeNull();
    expect(refusedWith(order(), expect5({ budgetHeld: toNano('12.499999999') }))).toMatchObject({
      code: 'OVER_BUDGET', message: 'order o-1 asks 12.5 TON, more than the 12.499999999 the budget holds for it',
      details: { ...facts, amount: '12.5', held: '12.499999999' },
    });
  });

  it('refuses an order expiring right now as expired, naming when', () => {
    expect(refusedWith(order({ expiresAt: now }), expect5())).toMatchObject({
      code: 'EXPIRED', message: `order o-1 expired at ${new Date(now).toISOString()}`, details: { ...facts, expiresAt: now },
    });
  });

  it('pays an order valid for exactly the margin, and refuses one a millisecond shorter, saying how long it had', () => {
    expect(refusedWith(order({ expiresAt: now + 15_000 }), expect5())).toBeNull();
    expect(refusedWith(order({ expiresAt: now + 14_999 }), expect5())).toMatchObject({
      code: 'EXPIRES_TOO_SOON', message: 'order o-1 expires in 14999 ms, less than the 15000 ms margin', details: { ...facts, expiresAt: now + 14_999 },
    });
  });

  it('says how many packs the order is for and how many were asked', () => {
    expect(refusedWith(order({ count: 4 }), expect5())).toMatchObject({
      code: 'COUNT_MISMATCH', message: 'order o-1 is for 4 packs, 5 were asked', details: { ...facts, count: 4, asked: 5 },
    });
  });

  it('names the order asking for nothing', () => {
    expect(refusedWith(order({ amount: 0n }), expect5())).toMatchObject({
      code: 'AMOUNT_NOT_POSITIVE', message: 'order o-1 asks for a non-positive amount', details: { ...facts, amount: '0' },
    });
  });
});
