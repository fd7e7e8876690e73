import { describe, expect, it } from 'vitest';
import { encodeEnvelope, JsonDecimal } from '../../../../sim/store/envelope.js';

describe('store envelope on the wire', () => {
  it('writes bigint amounts as exact JSON integers, even past 2^53', () => {
    const text = encodeEnvelope({ ok: true, data: { total_amount: 12_345_678_901_234_567_891n, count: 2 } });
    expect(text).toBe('{"ok":true,"data":{"total_amount":12345678901234567891,"count":2}}');
  });

  it('writes decimal prices as number literals digit for digit', () => {
    const text = encodeEnvelope({ ok: true, data: [{ token_symbol: 'TON', price: new JsonDecimal('0.000000001') }] });
    expect(text).toBe('{"ok":true,"data":[{"token_symbol":"TON","price":0.000000001}]}');
    expect(JSON.parse(text)).toEqual({ ok: true, data: [{ token_symbol: 'TON', price: 1e-9 }] });
  });

  it('leaves ordinary strings that merely look like numbers as strings', () => {
    expect(encodeEnvelope({ ok: true, data: { id: '123', note: 'num:5' } })).toBe('{"ok":true,"data":{"id":"123","note":"num:5"}}');
  });

  it('refuses text that is not a plain decimal', () => {
    expect(() => new JsonDecimal('1e9')).toThrow(RangeError);
    expect(() => new JsonDecimal('NaN')).toThrow(RangeError);
  });

  it('writes refusals as ok:false with the error code', () => {
    expect(encodeEnvelope({ ok: false, errorCode: 'sold_out' })).toBe('{"ok":false,"errorCode":"sold_out"}');
  });
});
