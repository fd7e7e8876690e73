import { describe, expect, it } from 'vitest';
import { readStoreTime } from '../../../../core/store/store-time.js';

const AT = Date.UTC(2025, 0, 1, 12, 20, 0);

const ms = (v: unknown): number => {
  const r = readStoreTime(v);
  if (!r.ok) throw new Error(r.why);
  return r.ms;
};
const why = (v: unknown): string => {
  const r = readStoreTime(v);
  expect(r.ok, JSON.stringify(v)).toBe(false);
  return r.ok ? '' : r.why;
};

describe('readStoreTime', () => {
  it('reads the same moment given in unix seconds, milliseconds and microseconds, as numbers or digit text', () => {
    for (const v of [AT / 1000, AT, AT * 1000, String(AT / 1000), String(AT), String(AT * 1000)]) expect(ms(v), String(v)).toBe(AT);
  });

  it('reads microseconds as a date this century, not one in the year 58 000', () => {
    expect(new Date(ms(1_735_734_000_000_000)).getUTCFullYear()).toBe(2025);
  });

  it('reads ISO 8601 with a zone, in UTC or an offset', () => {
    expect(ms('2025-01-01T12:20:00Z')).toBe(AT);
    expect(ms('2025-01-01T14:20:00+02:00')).toBe(AT);
    expect(ms('2025-01-01T12:20:00.000Z')).toBe(AT);
  });

  it('rounds fractions down, never later than the store meant', () => {
    expect(ms(1735734000.0005)).toBe(1_735_734_000_000);
    expect(ms('1735734000.9999')).toBe(1_735_734_000_999);
    expect(ms(AT * 1000 + 999)).toBe(AT);
  });

  it('tells the units apart at the documented thresholds', () => {
    expect(ms(1e9)).toBe(1e12);
    expect(ms(1e11 - 1)).toBe((1e11 - 1) * 1000);
    expect(ms(1e11)).toBe(1e11);
    expect(ms(1e14 - 1)).toBe(1e14 - 1);
    expect(ms(1e14)).toBe(1e11);
    expect(ms(1e17 - 1000)).toBe(1e14 - 1);
  });

  it('refuses nanoseconds, small numbers and negative ones, naming the value', () => {
    expect(why(AT * 1_000_000)).toContain(String(AT * 1_000_000));
    expect(why(900)).toMatch(/^900 is not a time/);
    expect(why(0)).toMatch(/^0 is not a time/);
    expect(why(-5)).toMatch(/^-5 is not a time/);
    expect(why(1e300)).toMatch(/not a time/);
  });

  it('refuses text that is not digits or ISO 8601 with a zone, quoting it', () => {
    for (const bad of ['soon', '', '-5', 'May 1', '2025-01-01T12:20:00', '2025-13-45T99:00:00Z', ' 1735734000', '1e12', '0x6773']) {
      expect(why(bad), bad).toContain(JSON.stringify(bad));
    }
  });

  it('refuses values of other types', () => {
    for (const bad of [null, true, { s: 1 }, [AT]]) why(bad);
  });
});
