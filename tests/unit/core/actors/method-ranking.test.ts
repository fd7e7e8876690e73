/** The `cheapest` policy's order of preference: prices per pack in TON and Stars brought to one scale through the
 *  user's valuation of a TON, compared exactly; ties and methods without a price keep the configured order. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inNanoStars, rankMethods, type RankedMethod } from '../../../../core/actors/method-ranking.js';
import { stars, toNano, type Currency, type Units } from '../../../../core/money.js';
import type { TargetSpec } from '../../../../core/plugins/payment.js';
import { StoreHttpError } from '../../../../core/store/store-error.js';

const TARGET: TargetSpec = { key: '10:1', collection: 10, character: 1 };

/** A method quoting `price` per pack (or failing when `price` is an Error). */
function method(id: string, currency: Currency, price: Units | Error): RankedMethod & { asked: TargetSpec[] } {
  const asked: TargetSpec[] = [];
  return {
    id, currency, asked,
    quote: async (target) => {
      asked.push(target);
      if (price instanceof Error) throw price;
      return price;
    },
  };
}

const rank = (methods: RankedMethod[], starsPerTon: bigint | undefined) =>
  rankMethods(methods, TARGET, starsPerTon, new AbortController().signal);

describe('inNanoStars', () => {
  it('brings a Stars price to billionths of a Star', () => {
    expect(inNanoStars('XTR', stars(250n), undefined)).toBe(250_000_000_000n);
  });

  it('values a TON price through starsPerTon, exactly', () => {
    // 2.5 TON at 300 Stars per TON is 750 Stars.
    expect(inNanoStars('TON', toNano('2.5'), 300n)).toBe(750_000_000_000n);
    // One nanoton at 1 Star per TON is one billionth of a Star: nothing is rounded away.
    expect(inNanoStars('TON', 1n, 1n)).toBe(1n);
  });

  it('cannot price TON without starsPerTon', () => {
    expect(inNanoStars('TON', toNano('1'), undefined)).toBeNull();
  });

  it('cannot price a plugin\'s own currency, which has no rate to Stars (it ranks last, not as TON)', () => {
    expect(inNanoStars('VCH', 1_250n, 300n)).toBeNull();
  });

  it('orders TON and Stars prices the way their Star values compare', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 6n }), fc.bigInt({ min: 1n, max: 10_000n }),
      (nano, whole, perTon) => {
        const ton = inNanoStars('TON', nano, perTon)!;
        const xtr = inNanoStars('XTR', whole, perTon)!;
        // Compared in exact rationals: nano/1e9 TON × perTon Stars/TON against `whole` Stars.
        const exact = nano * perTon - whole * 10n ** 9n;
        return Math.sign(Number(ton - xtr)) === Math.sign(Number(exact));
      }));
  });
});

describe('rankMethods', () => {
  it('puts Stars first when the TON price is worth more Stars', async () => {
    // 2 TON × 300 = 600 Stars > 500 Stars.
    const r = await rank([method('ton', 'TON', toNano('2')), method('stars', 'XTR', stars(500n))], 300n);
    expect(r.order).toEqual(['stars', 'ton']);
    expect(r.prices).toEqual({ ton: '600000000000', stars: '500000000000' });
  });

  it('puts TON first when a lower valuation of TON makes it cheaper', async () => {
    // 2 TON × 200 = 400 Stars < 500 Stars.
    const r = await rank([method('stars', 'XTR', stars(500n)), method('ton', 'TON', toNano('2'))], 200n);
    expect(r.order).toEqual(['ton', 'stars']);
  });

  it('keeps the configured order when prices are equal', async () => {
    // 2 TON × 250 = 500 Stars = 500 Stars.
    expect((await rank([method('ton', 'TON', toNano('2')), method('stars', 'XTR', stars(500n))], 250n)).order).toEqual(['ton', 'stars']);
    expect((await rank([method('stars', 'XTR', stars(500n)), method('ton', 'TON', toNano('2'))], 250n)).order).toEqual(['stars', 'ton']);
  });

  it('ranks a method whose quote fails last, still as a fallback', async () => {
    const failing = method('ton', 'TON', new StoreHttpError(503, { op: 'priceTon', url: 'http://store/api/v1/shop/price/crypto' }));
    const r = await rank([failing, method('stars', 'XTR', stars(900n))], 300n);
    expect(r.order).toEqual(['stars', 'ton']);
    expect(r.prices).toEqual({ ton: null, stars: '900000000000' });
  });

  it('keeps the configured order among methods that have no price', async () => {
    const down = (id: string) => method(id, 'XTR', new Error(`${id} down`));
    const r = await rank([down('a'), method('b', 'XTR', stars(10n)), down('c'), down('d')], 1n);
    expect(r.order).toEqual(['b', 'a', 'c', 'd']);
  });

  it('ranks a TON method last without starsPerTon, the configured order standing among the rest', async () => {
    const r = await rank([method('ton', 'TON', 1n), method('x', 'XTR', stars(5n)), method('y', 'XTR', stars(3n))], undefined);
    expect(r.order).toEqual(['y', 'x', 'ton']);
  });

  it('asks every method for the price of the target being bought', async () => {
    const ton = method('ton', 'TON', toNano('1'));
    const xtr = method('stars', 'XTR', stars(1n));
    await rank([ton, xtr], 100n);
    expect([ton.asked, xtr.asked]).toEqual([[TARGET], [TARGET]]);
  });

  it('sorts any prices from cheapest to dearest, stable for ties', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: 20n }), { minLength: 1, maxLength: 8 }), async (prices) => {
      const methods = prices.map((p, i) => method(`m${i}`, 'XTR', p));
      const { order } = await rank(methods, undefined);
      const expected = prices.map((p, i) => ({ p, i })).sort((a, b) => (a.p === b.p ? a.i - b.i : a.p < b.p ? -1 : 1)).map((e) => `m${e.i}`);
      expect(order).toEqual(expected);
    }));
  });
});
