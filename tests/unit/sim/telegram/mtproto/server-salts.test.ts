import { describe, expect, it } from 'vitest';
import { MAX_FUTURE_SALTS, SALT_PERIOD_S, ServerSalts } from '../../../../../sim/telegram/mtproto/server-salts.js';

const t0 = 1_700_000_000 - (1_700_000_000 % SALT_PERIOD_S);

describe('server salts', () => {
  it('accepts the current salt and the previous one, not an older one or a made-up one', () => {
    const salts = new ServerSalts();
    const old = salts.current(t0);
    const previous = salts.current(t0 + SALT_PERIOD_S);
    const current = salts.current(t0 + 2 * SALT_PERIOD_S);
    expect(new Set([old, previous, current]).size).toBe(3);
    const now = t0 + 2 * SALT_PERIOD_S + 10;
    expect(salts.accepts(current, now)).toBe(true);
    expect(salts.accepts(previous, now)).toBe(true);
    expect(salts.accepts(old, now)).toBe(false);
    expect(salts.accepts(12345n, now)).toBe(false);
  });

  it('lists future salts from the current one, overlapping, at most 64', () => {
    const salts = new ServerSalts();
    const list = salts.upcoming(3, t0 + 5);
    expect(list.map((s) => s.validSince)).toEqual([t0, t0 + SALT_PERIOD_S, t0 + 2 * SALT_PERIOD_S]);
    expect(list[0]?.validUntil).toBeGreaterThan(list[1]?.validSince ?? Infinity);
    expect(list[0]?.salt).toBe(salts.current(t0 + 5));
    expect(salts.upcoming(1000, t0)).toHaveLength(MAX_FUTURE_SALTS);
    expect(salts.upcoming(0, t0)).toHaveLength(1);
  });

  it('accepts the handshake salt only within its own window', () => {
    const salts = new ServerSalts({ salt: 99n, validSince: t0, validUntil: t0 + 60 });
    expect(salts.accepts(99n, t0 + 30)).toBe(true);
    expect(salts.accepts(99n, t0 + 61)).toBe(false);
  });
});
