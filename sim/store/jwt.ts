/** The store's session tokens: HS256 JWTs with `iss` = the real store's API origin, `sub` = the Telegram user id and
 *  `exp`, signed and checked with node:crypto. Like the real store, a token is the only proof of who calls. */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AutomintError } from '../../core/errors.js';
import type { Clock } from './clock.js';

export const TOKEN_ISSUER = 'https://api.stickerdom.store';

/** Why a token was not accepted; never carries the token itself. */
export type TokenProblem = 'malformed' | 'algorithm' | 'signature' | 'issuer' | 'subject' | 'expired';

/** A bearer token the store does not accept. */
export class TokenInvalid extends AutomintError {
  constructor(readonly problem: TokenProblem) {
    super('TOKEN_INVALID', `store token rejected: ${problem}`, { problem });
  }
}

/** What a valid token says. */
export interface TokenClaims {
  userId: number;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds. */
  expiresAt: number;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Issues and verifies the store's HS256 tokens with one secret. */
export class TokenIssuer {
  private readonly secret: Buffer;

  constructor(
    private readonly clock: Clock,
    private readonly defaultTtlSec: number,
    secret?: Buffer,
  ) {
    this.secret = secret ?? randomBytes(32);
  }

  /** A signed token for `userId`, valid for `ttlSec` (the store's default when omitted). */
  issue(userId: number, ttlSec: number = this.defaultTtlSec): string {
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new RangeError('userId must be a positive integer');
    if (!Number.isFinite(ttlSec)) throw new RangeError('ttlSec must be finite');
    const iat = Math.floor(this.clock() / 1000);
    const payload = base64url(JSON.stringify({ sub: String(userId), iss: TOKEN_ISSUER, iat, exp: iat + Math.floor(ttlSec) }));
    return `${HEADER}.${payload}.${this.sign(`${HEADER}.${payload}`)}`;
  }

  /** The claims of a token this store issued and that has not expired; throws TokenInvalid otherwise. */
  verify(token: string): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenInvalid('malformed');
    const [header, payload, signature] = parts as [string, string, string];
    if (!/^[A-Za-z0-9_-]+$/.test(signature)) throw new TokenInvalid('malformed');
    const expected = Buffer.from(this.sign(`${header}.${payload}`), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    const head = readJson(header);
    if (head?.['alg'] !== 'HS256') throw new TokenInvalid('algorithm');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenInvalid('signature');
    const claims = readJson(payload);
    if (!claims) throw new TokenInvalid('malformed');
    if (claims['iss'] !== TOKEN_ISSUER) throw new TokenInvalid('issuer');
    const sub = claims['sub'];
    const userId = typeof sub === 'string' && /^[1-9]\d{0,15}$/.test(sub) ? Number(sub) : NaN;
    if (!Number.isSafeInteger(userId)) throw new TokenInvalid('subject');
    const exp = claims['exp'];
    const iat = claims['iat'];
    if (typeof exp !== 'number' || !Number.isInteger(exp)) throw new TokenInvalid('malformed');
    if (this.clock() >= exp * 1000) throw new TokenInvalid('expired');
    return { userId, issuedAt: typeof iat === 'number' ? iat : exp, expiresAt: exp };
  }

  private sign(input: string): string {
    return createHmac('sha256', this.secret).update(input).digest('base64url');
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** A JWT segment decoded to a plain object, or null when it is not one. */
function readJson(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
