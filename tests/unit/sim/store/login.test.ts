import { describe, expect, it } from 'vitest';
import { signWebAppData } from '../../../../sim/web-app-data.js';
import { Faults } from '../../../../sim/store/faults.js';
import { TokenIssuer } from '../../../../sim/store/jwt.js';
import { InitDataLogin, MAX_INIT_DATA_BYTES } from '../../../../sim/store/login.js';
import { StoreRefusal } from '../../../../sim/store/refusal.js';
import { ManualClock } from '../../../support/manual-clock.js';

const BOT = { username: 'sticker_bot', token: '123456:test-bot-token' };
/** `&`, `+`, `%`, spaces and an emoji in both names, as the world's buyers have them. */
const USER = { id: 1001, first_name: 'Ann+Bob 100% & Co 🐱', username: 'ann & co+1 100% 🐱_7' };

function setup(maxAgeSec = 86_400) {
  const clock = new ManualClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const tokens = new TokenIssuer(clock.now, 3600);
  const faults = new Faults(null, 1);
  const login = new InitDataLogin({ bot: BOT, tokens, clock: clock.now, faults, maxAgeSec });
  const nowSec = Math.floor(clock.now() / 1000);
  const signed = (authDate = nowSec, token = BOT.token) => signWebAppData(token, USER, { authDate, queryId: 'AAF-q1' });
  return { clock, tokens, faults, login, nowSec, signed };
}

function refusal(fn: () => unknown): [string, number] | 'none' {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreRefusal) return [e.errorCode, e.httpStatus];
    throw e;
  }
  return 'none';
}

describe('login from initData', () => {
  it('issues a store token for the user a correctly signed initData names, valid for the token lifetime', () => {
    const { login, tokens, nowSec, signed } = setup();
    const claims = tokens.verify(login.logIn(signed()));
    expect(claims).toEqual({ userId: 1001, issuedAt: nowSec, expiresAt: nowSec + 3600 });
    expect(login.counts().issued).toBe(1);
  });

  it('refuses initData signed with another bot token, or changed after signing', () => {
    const { login, signed } = setup();
    expect(refusal(() => login.logIn(signed(undefined, '999:other')))).toEqual(['invalid_init_data', 401]);
    const tampered = signed().replace('%22id%22%3A1001', '%22id%22%3A1002');
    expect(tampered).not.toBe(signed());
    expect(refusal(() => login.logIn(tampered))).toEqual(['invalid_init_data', 401]);
    expect(login.counts().refused['bad-hash']).toBe(2);
  });

  it('refuses initData a client URL-decoded once too often', () => {
    const { login, signed } = setup();
    expect(refusal(() => login.logIn(decodeURIComponent(signed())))).toEqual(['invalid_init_data', 401]);
  });

  it('refuses initData older than the allowed age, and accepts it right at the limit', () => {
    const { login, nowSec, signed } = setup(600);
    expect(refusal(() => login.logIn(signed(nowSec - 601)))).toEqual(['invalid_init_data', 401]);
    expect(login.counts().refused.expired).toBe(1);
    expect(refusal(() => login.logIn(signed(nowSec - 600)))).toBe('none');
  });

  it('refuses malformed initData and bodies over the size limit', () => {
    const { login, signed } = setup();
    expect(refusal(() => login.logIn(''))).toEqual(['invalid_init_data', 401]);
    expect(refusal(() => login.logIn('user=%7B%7D&hash=zz'))).toEqual(['invalid_init_data', 401]);
    const padded = `${signed()}&pad=${'x'.repeat(MAX_INIT_DATA_BYTES)}`;
    expect(refusal(() => login.logIn(padded))).toEqual(['payload_too_large', 413]);
    expect(login.counts()).toEqual({ issued: 0, refused: { malformed: 2, 'bad-hash': 0, expired: 0, 'too-large': 1, injected: 0 } });
  });

  it('refuses every login while the fault plan says so, however well signed', () => {
    const { login, faults, signed } = setup();
    faults.set({ authRefuse: { rate: 1 } });
    expect(refusal(() => login.logIn(signed()))).toEqual(['invalid_init_data', 401]);
    expect(refusal(() => login.logIn(signed()))).toEqual(['invalid_init_data', 401]);
    expect(faults.state().injected).toEqual({ authRefuse: 2 });
    faults.set(null);
    expect(refusal(() => login.logIn(signed()))).toBe('none');
    expect(login.counts()).toMatchObject({ issued: 1, refused: { injected: 2 } });
  });

  it('never repeats the initData or the token in a refusal', () => {
    const { login, signed } = setup();
    const initData = signed(undefined, '999:other');
    try {
      login.logIn(initData);
    } catch (e) {
      const text = JSON.stringify(e) + String(e);
      expect(text).not.toContain('AAF-q1');
      expect(text).not.toContain(BOT.token);
      return;
    }
    expect.unreachable('the login was not refused');
  });
});
