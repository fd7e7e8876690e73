import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TOKEN_ISSUER, TokenInvalid, TokenIssuer } from '../../../../sim/store/jwt.js';
import { ManualClock } from '../../../support/manual-clock.js';

const secret = Buffer.alloc(32, 1);

function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function signWith(key: Buffer, header: object, payload: object): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${h}.${p}.${createHmac('sha256', key).update(`${h}.${p}`).digest('base64url')}`;
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TokenInvalid) return e.problem;
    throw e;
  }
  return 'accepted';
}

describe('store tokens (HS256 JWT)', () => {
  it('issues a token that verifies back to its user with the store issuer and the default lifetime', () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 3600, secret);
    const token = tokens.issue(42);
    const [header, payload] = token.split('.');
    expect(decode(header!)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decode(payload!);
    const iat = Math.floor(clock.now() / 1000);
    expect(claims).toEqual({ sub: '42', iss: TOKEN_ISSUER, iat, exp: iat + 3600 });
    expect(tokens.verify(token)).toEqual({ userId: 42, issuedAt: iat, expiresAt: iat + 3600 });
  });

  it('signs exactly like HMAC-SHA256 over header.payload, so any JWT library can check it', () => {
    const clock = new ManualClock();
    const token = new TokenIssuer(clock.now, 60, secret).issue(7);
    const [h, p, s] = token.split('.');
    expect(s).toBe(createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url'));
  });

  it('refuses a token once its exp has passed, and not a second before', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1, 0, 0, 0));
    const tokens = new TokenIssuer(clock.now, 60, secret);
    const token = tokens.issue(1);
    clock.advance(59_999);
    expect(tokens.verify(token).userId).toBe(1);
    clock.advance(1);
    expect(problemOf(() => tokens.verify(token))).toBe('expired');
  });

  it('honours a per-token lifetime, including one already over', () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 3600, secret);
    expect(problemOf(() => tokens.verify(tokens.issue(1, 0)))).toBe('expired');
    expect(tokens.verify(tokens.issue(1, 5)).expiresAt - tokens.verify(tokens.issue(1)).expiresAt).toBe(5 - 3600);
  });

  it('refuses a token whose payload was changed after signing', () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 60, secret);
    const [h, , s] = tokens.issue(1).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: '2', iss: TOKEN_ISSUER, iat: 0, exp: 9e9 })).toString('base64url');
    expect(problemOf(() => tokens.verify(`${h}.${forged}.${s}`))).toBe('signature');
  });

  it('refuses a token signed with another secret', () => {
    const clock = new ManualClock();
    const other = new TokenIssuer(clock.now, 60, Buffer.alloc(32, 2)).issue(1);
    expect(problemOf(() => new TokenIssuer(clock.now, 60, secret).verify(other))).toBe('signature');
  });

  it('refuses unsigned and non-HS256 tokens', () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 60, secret);
    const payload = Buffer.from(JSON.stringify({ sub: '1', iss: TOKEN_ISSUER, exp: 9e9 })).toString('base64url');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(problemOf(() => tokens.verify(`${none}.${payload}.`))).toBe('malformed');
    expect(problemOf(() => tokens.verify(`${none}.${payload}.c2ln`))).toBe('algorithm');
  });

  it('refuses a correctly signed token from another issuer or without a numeric subject', () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 60, secret);
    const exp = Math.floor(clock.now() / 1000) + 60;
    const header = { alg: 'HS256', typ: 'JWT' };
    expect(problemOf(() => tokens.verify(signWith(secret, header, { sub: '1', iss: 'https://evil.example', exp })))).toBe('issuer');
    expect(problemOf(() => tokens.verify(signWith(secret, header, { sub: 'bob', iss: TOKEN_ISSUER, exp })))).toBe('subject');
    expect(problemOf(() => tokens.verify(signWith(secret, header, { sub: '1', iss: TOKEN_ISSUER })))).toBe('malformed');
  });

  it('refuses text that is not a JWT at all', () => {
    const tokens = new TokenIssuer(new ManualClock().now, 60, secret);
    for (const junk of ['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**']) {
      expect(problemOf(() => tokens.verify(junk))).not.toBe('accepted');
    }
  });

  it('never puts the token in the error it throws', () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 60, secret);
    const token = tokens.issue(1, 0);
    try {
      tokens.verify(token);
      expect.unreachable();
    } catch (e) {
      expect(JSON.stringify(e)).not.toContain(token.split('.')[2]!);
      expect(String(e)).not.toContain(token);
    }
  });
});
