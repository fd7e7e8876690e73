import { describe, expect, it } from 'vitest';
import { AutomintError } from '../../../../core/errors.js';
import { emitLoginNeeded, loginNeededOf } from '../../../../core/events/login-needed.js';
import type { RunEventDraft } from '../../../../core/events/run-event.js';
import { StoreTokenUnavailable } from '../../../../core/store/store-error.js';
import { TelegramSessionInvalid, TelegramSessionMissing } from '../../../../plugins/stars/telegram-error.js';

describe('login needed', () => {
  it('is read from the Stars plugin\'s missing or revoked session, even wrapped by the host\'s token failure', () => {
    expect(loginNeededOf(new TelegramSessionMissing('alice'))).toMatchObject({ account: 'alice', code: 'TELEGRAM_SESSION_MISSING' });
    const wrapped = new StoreTokenUnavailable('failed', { source: 'telegram', account: 'bob' }, new TelegramSessionInvalid('bob', 'AUTH_KEY_UNREGISTERED'));
    const need = loginNeededOf(wrapped);
    expect(need).toMatchObject({ account: 'bob', code: 'TELEGRAM_SESSION_INVALID' });
    expect(need!.reason).toContain('automint login --account bob');
  });

  it('is read from a pasted token that expired, and from any error marked so by shape (a plugin\'s own copy)', () => {
    expect(loginNeededOf(new StoreTokenUnavailable('expired', { source: 'configured', account: 'a' }))).toMatchObject({ code: 'STORE_TOKEN_EXPIRED' });
    const foreign = Object.assign(new Error('log in again'), { code: 'MY_SESSION_GONE', details: { account: 'z', loginNeeded: true } });
    expect(loginNeededOf(foreign)).toEqual({ account: 'z', code: 'MY_SESSION_GONE', reason: 'log in again' });
  });

  it('is not read from failures a retry may fix', () => {
    expect(loginNeededOf(new StoreTokenUnavailable('timeout', { source: 'telegram', account: 'a' }))).toBeNull();
    expect(loginNeededOf(new AutomintError('STORE_HTTP', 'HTTP 503', { permanent: false }))).toBeNull();
    expect(loginNeededOf(new Error('boom'))).toBeNull();
  });

  it('is emitted once per account and code', () => {
    const emitted: RunEventDraft[] = [];
    const seen = new Set<string>();
    const sink = { emit: (e: RunEventDraft) => void emitted.push(e), emitOnce: (k: string, e: RunEventDraft) => void (seen.has(k) || (seen.add(k), emitted.push(e))) };
    for (let i = 0; i < 3; i++) emitLoginNeeded(sink, 'alice', new TelegramSessionMissing('alice'));
    emitLoginNeeded(sink, 'alice', new Error('not a login'));
    expect(emitted).toEqual([{ type: 'login.needed', account: 'alice', code: 'TELEGRAM_SESSION_MISSING', reason: expect.stringContaining('automint login') }]);
  });

  it('is not read, and nothing throws, from an error with the brand and a code but no details (the documented minimum)', () => {
    const branded = Object.assign(new Error('gone'), { code: 'MY_SESSION_GONE', [Symbol.for('automint.error')]: true });
    expect(loginNeededOf(branded)).toBeNull();
    expect(loginNeededOf(new Error('outer', { cause: branded }))).toBeNull();
    const emitted: RunEventDraft[] = [];
    emitLoginNeeded({ emit: (e) => void emitted.push(e), emitOnce: (_k, e) => void emitted.push(e) }, 'alice', branded);
    expect(emitted).toEqual([]);
  });

  it('never throws from emitLoginNeeded, even when the sink does: the failure is logged instead', () => {
    const warned: unknown[] = [];
    const throwing = { emit: () => { throw new Error('sink broke'); }, emitOnce: () => { throw new Error('sink broke'); } };
    expect(() => emitLoginNeeded(throwing, 'alice', new TelegramSessionMissing('alice'), { warn: (o: unknown) => void warned.push(o) } as never)).not.toThrow();
    expect(warned).toEqual([expect.objectContaining({ event: 'login.needed', reason: 'sink broke' })]);
  });
});
