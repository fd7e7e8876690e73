import { describe, expect, it } from 'vitest';
import {
  envelopeSchema,
  shopSettingsSchema,
  tonOrderSchema,
  tonPriceSchema,
} from '../../../../core/store/responses.js';

// Inputs are written as JSON text and parsed the way the client does, so numbers reach the schemas exactly as they
// would from the wire (a JSON `2.5` is a float, a JSON `1e-9` never had its digits written out).
const wire = (json: string): unknown => JSON.parse(json);

/** The issue messages of a refused parse; fails the test if the input was accepted or the schema threw. */
function refusal(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string; path: PropertyKey[] }[] } } }, value: unknown): string {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

const STORE_WALLET = 'UQBdXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXfZ_';

function orderJson(fields: Record<string, string>): string {
  const base: Record<string, string> = {
    order_id: '"3f2a9c1b7e"',
    total_amount: '5000000000',
    wallet: `"${STORE_WALLET}"`,
    currency: '"TON"',
    expires_at: '1735734000',
  };
  const merged = { ...base, ...fields };
  return `{${Object.entries(merged)
    .filter(([, v]) => v !== 'OMIT')
    .map(([k, v]) => `"${k}":${v}`)
    .join(',')}}`;
}

describe('envelopeSchema', () => {
  it('reads a success and a refusal envelope', () => {
    expect(envelopeSchema.parse(wire('{"ok":true,"data":[1]}'))).toEqual({ ok: true, data: [1] });
    expect(envelopeSchema.parse(wire('{"ok":false,"errorCode":"sold_out"}'))).toEqual({ ok: false, errorCode: 'sold_out' });
  });

  it('refuses a refusal without an errorCode, an empty errorCode and a body that is not an envelope', () => {
    refusal(envelopeSchema, wire('{"ok":false}'));
    refusal(envelopeSchema, wire('{"ok":false,"errorCode":""}'));
    refusal(envelopeSchema, wire('{"ok":"true","data":1}'));
    refusal(envelopeSchema, wire('[{"ok":true,"data":1}]'));
    refusal(envelopeSchema, wire('null'));
  });

  it('refuses an errorCode long enough to be a dumped page', () => {
    refusal(envelopeSchema, { ok: false, errorCode: 'x'.repeat(201) });
  });
});

describe('shopSettingsSchema', () => {
  it('reads the flags the store sends and tolerates keys it does not know', () => {
    const s = shopSettingsSchema.parse(
      wire('{"is_crypto_payment_enabled":false,"is_transfer_enabled":true,"is_market_enabled":true,"crypto_orders_limit":3}'),
    );
    expect(s).toEqual({ cryptoPaymentEnabled: false, cryptoOrdersLimit: 3 });
  });

  it('defaults to crypto enabled and one unpaid order when the flags are missing', () => {
    expect(shopSettingsSchema.parse({})).toEqual({ cryptoPaymentEnabled: true, cryptoOrdersLimit: 1 });
  });

  it('reads an orders limit sent as digit text', () => {
    expect(shopSettingsSchema.parse({ crypto_orders_limit: '3' }).cryptoOrdersLimit).toBe(3);
  });

  it('refuses a negative or fractional orders limit and a flag of the wrong type', () => {
    refusal(shopSettingsSchema, { crypto_orders_limit: -1 });
    refusal(shopSettingsSchema, { crypto_orders_limit: 1.5 });
    refusal(shopSettingsSchema, { is_crypto_payment_enabled: 'yes' });
  });
});

describe('tonPriceSchema', () => {
  it('reads a price sent as the JSON number 2.5 as exactly 2.5 TON in nanotons', () => {
    expect(tonPriceSchema.parse(wire('[{"token_symbol":"TON","price":2.5}]'))).toBe(2_500_000_000n);
  });

  it('reads a price sent as the string "2.5" the same way', () => {
    expect(tonPriceSchema.parse(wire('[{"token_symbol":"TON","price":"2.5"}]'))).toBe(2_500_000_000n);
  });

  it('keeps every one of nine decimals exactly', () => {
    expect(tonPriceSchema.parse(wire('[{"token_symbol":"TON","price":"0.000000001"}]'))).toBe(1n);
    expect(tonPriceSchema.parse(wire('[{"token_symbol":"TON","price":1.123456789}]'))).toBe(1_123_456_789n);
    expect(tonPriceSchema.parse(wire('[{"token_symbol":"TON","price":"2.500000000"}]'))).toBe(2_500_000_000n);
  });

  it('finds the TON row among other tokens, whatever the case of its symbol', () => {
    expect(tonPriceSchema.parse(wire('[{"token_symbol":"USDT","price":"9.99"},{"token_symbol":"ton","price":"3"}]'))).toBe(3_000_000_000n);
  });

  it('refuses exponent forms, as a JSON number and as a string', () => {
    expect(refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":1e-9}]'))).toMatch(/price.*not a plain decimal/);
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":"2.5e0"}]'));
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":1e21}]'));
  });

  it('refuses a price with more decimals than a nanoton can hold', () => {
    expect(refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":"2.0000000001"}]'))).toMatch(/more than 9 decimal places/);
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":2.0000000001}]'));
  });

  it('refuses a negative price, an empty string and a price that is not a number at all', () => {
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":-2.5}]'));
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":""}]'));
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":"2,5"}]'));
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":null}]'));
    refusal(tonPriceSchema, wire('[{"token_symbol":"TON","price":true}]'));
  });

  it('refuses a price list without a TON entry', () => {
    expect(refusal(tonPriceSchema, wire('[{"token_symbol":"USDT","price":"2.5"}]'))).toMatch(/no TON entry/);
    refusal(tonPriceSchema, wire('[]'));
  });

  it('refuses a price list longer than any real one', () => {
    const rows = Array.from({ length: 101 }, () => ({ token_symbol: 'TON', price: '1' }));
    refusal(tonPriceSchema, rows);
    expect(tonPriceSchema.parse(rows.slice(0, 100))).toBe(1_000_000_000n);
  });
});

describe('tonOrderSchema', () => {
  it('reads total_amount sent as a JSON integer as exact nanotons', () => {
    const o = tonOrderSchema.parse(wire(orderJson({})));
    expect(o).toEqual({ orderId: '3f2a9c1b7e', amount: 5_000_000_000n, destination: STORE_WALLET, expiresAt: 1_735_734_000_000 });
  });

  it('reads total_amount sent as a digit string exactly, even beyond what a double can hold', () => {
    expect(tonOrderSchema.parse(wire(orderJson({ total_amount: '"12345678901234567891"' }))).amount).toBe(12_345_678_901_234_567_891n);
  });

  it('refuses a JSON integer total_amount too large to have arrived exactly', () => {
    expect(refusal(tonOrderSchema, wire(orderJson({ total_amount: '12345678901234567891' })))).toMatch(/total_amount/);
  });

  it('refuses a total_amount that is not a whole number of nanotons', () => {
    // (A JSON `5e9` cannot be told from `5000000000` once parsed, and is exact, so it is not on this list.)
    for (const bad of ['2.5', '"2.5"', '-1', '"-1"', '"5e9"', '" 5"', '""', 'null', '1.0000000000000002']) {
      expect(refusal(tonOrderSchema, wire(orderJson({ total_amount: bad }))), bad).toMatch(/total_amount/);
    }
  });

  it('refuses an order in a currency other than TON', () => {
    expect(refusal(tonOrderSchema, wire(orderJson({ currency: '"USDT"' })))).toMatch(/currency USDT is not TON/);
    refusal(tonOrderSchema, wire(orderJson({ currency: '"XTR"' })));
  });

  it('accepts TON in any case, and an order that names no currency', () => {
    expect(tonOrderSchema.parse(wire(orderJson({ currency: '"ton"' }))).amount).toBe(5_000_000_000n);
    expect(tonOrderSchema.parse(wire(orderJson({ currency: 'OMIT' }))).amount).toBe(5_000_000_000n);
  });

  it('refuses an order_id with control characters, which would change the transfer comment', () => {
    for (const bad of ['"abc\\ndef"', '"abc\\u0000"', '"\\tabc"', '"abc\\u007f"', '"abc\\u200bdef"', '"заказ"']) {
      expect(refusal(tonOrderSchema, wire(orderJson({ order_id: bad }))), bad).toMatch(/order_id/);
    }
  });

  it('refuses an empty or absurdly long order_id, and one of another type', () => {
    refusal(tonOrderSchema, wire(orderJson({ order_id: '""' })));
    refusal(tonOrderSchema, wire(orderJson({ order_id: `"${'a'.repeat(121)}"` })));
    refusal(tonOrderSchema, wire(orderJson({ order_id: '{"id":1}' })));
    refusal(tonOrderSchema, wire(orderJson({ order_id: '-5' })));
  });

  it('reads the count the store says the order is for, as a number or digit text', () => {
    expect(tonOrderSchema.parse(wire(orderJson({ count: '4' }))).count).toBe(4);
    expect(tonOrderSchema.parse(wire(orderJson({ count: '"4"' }))).count).toBe(4);
  });

  it('leaves count out when the store does not say it', () => {
    expect(tonOrderSchema.parse(wire(orderJson({}))).count).toBeUndefined();
    expect('count' in tonOrderSchema.parse(wire(orderJson({})))).toBe(false);
  });

  it('refuses a count that is not a positive whole number of packs', () => {
    for (const bad of ['0', '-1', '2.5', '"two"', '"0"', 'null', '[4]']) {
      expect(refusal(tonOrderSchema, wire(orderJson({ count: bad }))), bad).toMatch(/^count: /);
    }
  });

  it('turns a numeric order_id into the text that goes in the comment', () => {
    expect(tonOrderSchema.parse(wire(orderJson({ order_id: '987654' }))).orderId).toBe('987654');
  });

  it('refuses an order without a destination wallet', () => {
    refusal(tonOrderSchema, wire(orderJson({ wallet: 'OMIT' })));
    refusal(tonOrderSchema, wire(orderJson({ wallet: '""' })));
  });

  it('reads expires_at given in unix seconds, in epoch ms, in microseconds and as an ISO date', () => {
    const at = Date.UTC(2025, 0, 1, 12, 20, 0);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: String(at * 1000) }))).expiresAt).toBe(at);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: String(at / 1000) }))).expiresAt).toBe(at);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: `"${at / 1000}"` }))).expiresAt).toBe(at);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: String(at) }))).expiresAt).toBe(at);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: `"${at}"` }))).expiresAt).toBe(at);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: '"2025-01-01T12:20:00Z"' }))).expiresAt).toBe(at);
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: '"2025-01-01T14:20:00+02:00"' }))).expiresAt).toBe(at);
  });

  it('rounds an expiry with a fraction of a millisecond down, never later than the store meant', () => {
    expect(tonOrderSchema.parse(wire(orderJson({ expires_at: '1735734000.0005' }))).expiresAt).toBe(1_735_734_000_000);
  });

  it('refuses an order without expires_at, since no expiry check could be made', () => {
    expect(refusal(tonOrderSchema, wire(orderJson({ expires_at: 'OMIT' })))).toMatch(/^expires_at: /);
    expect(refusal(tonOrderSchema, wire(orderJson({ expires_at: 'null' })))).toMatch(/^expires_at: /);
  });

  it('refuses an expires_at it cannot read as a moment', () => {
    // Date.parse alone would take "-5" and "May 1" for dates, and read a time without a zone in the local one.
    const unreadable = ['"soon"', '""', '"-5"', '"May 1"', '"2025-01-01T12:20:00"', '"2025-13-45T99:00:00Z"', '" 1735734000"'];
    for (const bad of [...unreadable, '0', '-5', '1e300', '1735734000000000000', '{"s":1}', 'true', `"${'1'.repeat(101)}"`]) {
      expect(refusal(tonOrderSchema, wire(orderJson({ expires_at: bad }))), bad).toMatch(/^expires_at: /);
    }
  });
});
