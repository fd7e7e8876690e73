import { describe, expect, it } from 'vitest';
import {
  AUTOMINT_ERROR_BRAND, AutomintError, errorFacts, hasCode, isAutomintError, isPermanent, isRateLimited, retryAtOf,
} from '../../../core/errors.js';
import { StoreRateLimited } from '../../../core/store/store-error.js';

/** An error a plugin built by hand, with no class from any copy of automint: only the documented shape. */
function handMade(code: string, details: Record<string, unknown>): Error {
  return Object.assign(new Error(`${code} happened`), { code, details });
}

describe('automint errors are read by shape, not class', () => {
  it('brands every AutomintError with Symbol.for("automint.error"), out of its JSON', () => {
    const e = new AutomintError('X', 'x', { a: 1 });
    expect((e as unknown as Record<symbol, unknown>)[Symbol.for('automint.error')]).toBe(true);
    expect(AUTOMINT_ERROR_BRAND).toBe(Symbol.for('automint.error'));
    expect(JSON.stringify(e)).toBe('{"name":"AutomintError","code":"X","message":"x","a":1}');
  });

  it('takes a hand-built error with code and details as an automint error', () => {
    const e = handMade('VOUCHER_SPENT', {});
    expect(isAutomintError(e)).toBe(true);
    expect(hasCode(e, 'VOUCHER_SPENT')).toBe(true);
  });

  it('takes a plain branded object (no Error, no details) as an automint error', () => {
    const e = { [Symbol.for('automint.error')]: true, code: 'VOUCHER_DOWN', message: 'down' };
    expect(isAutomintError(e)).toBe(true);
    expect(retryAtOf(e)).toBeNull();
  });

  it('does not take a Node error that has a code but no details', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isAutomintError(e)).toBe(false);
    expect(isPermanent(Object.assign(e, { permanent: true }))).toBe(false);
    expect(isRateLimited(Object.assign(new Error('slow'), { code: 'STORE_RATE_LIMITED' }))).toBe(false);
    expect(retryAtOf(Object.assign(new Error('x'), { code: 'E', retryAt: Date.now() }))).toBeNull();
  });

  it('reads a hand-built error as permanent from details.permanent, also through a cause', () => {
    const e = handMade('VOUCHER_REVOKED', { permanent: true });
    expect(isPermanent(e)).toBe(true);
    expect(isPermanent(new Error('wrapped', { cause: e }))).toBe(true);
    expect(isPermanent(handMade('VOUCHER_SLOW', { permanent: 'yes' }))).toBe(false);
  });

  it('reads when to come back from a hand-built error\'s details.retryAt', () => {
    const at = Date.now() + 5_000;
    expect(retryAtOf(handMade('VOUCHER_FLOOD', { retryAt: at }))).toBe(at);
    expect(retryAtOf(handMade('VOUCHER_FLOOD', { retryAt: 'soon' }))).toBeNull();
  });

  it('reads a hand-built error as rate limited from details.rateLimited, and the host limiter\'s by its code', () => {
    expect(isRateLimited(handMade('VOUCHER_429', { rateLimited: true }))).toBe(true);
    expect(isRateLimited(handMade('VOUCHER_429', {}))).toBe(false);
    const host = new StoreRateLimited(Date.now() + 1_000, { op: 'buyTon', pool: 'account:a', reason: 'ban' });
    expect(isRateLimited(host)).toBe(true);
    expect(retryAtOf(host)).toBe(host.retryAt);
  });

  it('gives log facts of a hand-built error without a toJSON of its own', () => {
    expect(errorFacts(handMade('VOUCHER_SPENT', { voucher: 3 }))).toEqual({ name: 'Error', code: 'VOUCHER_SPENT', message: 'VOUCHER_SPENT happened', voucher: 3 });
    expect(errorFacts(new Error('plain'))).toEqual({ message: 'plain' });
  });
});
