import { describe, expect, it } from 'vitest';
import { parseCount, parseReset, parseRetryAfter, readRateHeaders } from '../../../../core/actors/limiter-headers.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('x-ratelimit-reset', () => {
  it('reads a value above 10^9 as epoch seconds', () => {
    expect(parseReset(String(NOW / 1000 + 30), NOW)).toEqual({ at: NOW + 30_000, relative: false });
  });

  it('reads a value above 10^12 as epoch milliseconds', () => {
    expect(parseReset(String(NOW + 1_500), NOW)).toEqual({ at: NOW + 1_500, relative: false });
  });

  it('reads a small value as seconds from now, fractions included', () => {
    expect(parseReset('30', NOW)).toEqual({ at: NOW + 30_000, relative: true });
    expect(parseReset('0.25', NOW)).toEqual({ at: NOW + 250, relative: true });
  });

  it('ignores a reset that has already passed or is now', () => {
    expect(parseReset(String(NOW / 1000 - 5), NOW)).toBeUndefined();
    expect(parseReset('0', NOW)).toBeUndefined();
  });

  it('ignores negative, non-numeric, exotic and absurdly distant values', () => {
    for (const v of ['-5', 'soon', '', '1e3', '0x10', 'Infinity', 'NaN', '12 34', String(400 * 24 * 3600), '9'.repeat(17)]) {
      expect(parseReset(v, NOW), v).toBeUndefined();
    }
  });
});

describe('x-ratelimit-remaining and -limit', () => {
  it('reads whole non-negative counts', () => {
    expect(parseCount('0')).toBe(0);
    expect(parseCount('20')).toBe(20);
  });

  it('ignores negative, fractional, non-numeric and huge counts', () => {
    for (const v of ['-1', '2.5', 'ten', '', '1e3', '99999999999', ' ']) expect(parseCount(v), v).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it('reads seconds, whole or decimal', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
  });

  it('reads the three HTTP date forms', () => {
    const at = NOW + 7_000;
    const imf = new Date(at).toUTCString();
    expect(parseRetryAfter(imf, NOW)).toBe(7_000);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 12:00:07 GMT', NOW)).toBe(7_000);
    expect(parseRetryAfter('Wed Jan  1 12:00:07 2025', NOW)).toBe(7_000);
  });

  it('reads a date that has passed as no wait', () => {
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('ignores negative numbers, loose dates and nonsense that Date.parse would accept', () => {
    for (const v of ['-5', '5 minutes', 'tomorrow', '2025-01-01T12:00:07Z', 'NaN', '', '1e3', String(10 ** 10)]) {
      expect(parseRetryAfter(v, NOW), v).toBeUndefined();
    }
    // A bare number is seconds, never a year as Date.parse would read it.
    expect(parseRetryAfter('2025', NOW)).toBe(2_025_000);
  });
});

describe('readRateHeaders', () => {
  it('collects what the store sent, taking the first of repeated headers', () => {
    const h = readRateHeaders(
      { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': ['7', '3'], 'x-ratelimit-reset': String(NOW / 1000 + 1), 'retry-after': '2' },
      NOW,
    );
    expect(h).toEqual({ limit: 20, remaining: 7, resetAt: NOW + 1_000, resetRelative: false, retryAfterMs: 2_000 });
  });

  it('reads every malformed value as absent, without throwing', () => {
    const h = readRateHeaders(
      { 'x-ratelimit-limit': '0', 'x-ratelimit-remaining': '-3', 'x-ratelimit-reset': 'later', 'retry-after': 'x'.repeat(10_000) },
      NOW,
    );
    expect(h).toEqual({});
    expect(readRateHeaders({}, NOW)).toEqual({});
  });
});
