/** Telegram Mini App initData (`tgWebAppData`), signed and checked with the documented HMAC scheme (and carrying
 *  the Ed25519 `signature` real initData has beside `hash`): the secret key is
 *  HMAC-SHA256(key "WebAppData", bot token); `hash` is the hex HMAC-SHA256 of the data-check string (every other
 *  field as `key=value`, sorted by key, joined with "\n"). The simulated Telegram signs; the simulated store checks. */
import { createHmac, generateKeyPairSync, sign, timingSafeEqual, type KeyObject } from 'node:crypto';

/** The user a web view was opened for, as initData's `user` JSON carries it. */
export interface WebAppUser {
  readonly id: number;
  readonly first_name: string;
  readonly username?: string;
}

/** Telegram's own Ed25519 key for the third-party `signature` (one per simulated Telegram; the real one is published). */
export const TELEGRAM_SIGNING_KEY: KeyObject = generateKeyPairSync('ed25519').privateKey;

/** initData (a query string, not yet URL-encoded into a fragment) for `user`, signed as Telegram signs it today: an
 *  Ed25519 `signature` of every field but `hash` (with `<bot id>:WebAppData` ahead, for third parties), then `hash`,
 *  the bot token's HMAC of every field but itself — `signature` included. */
export function signWebAppData(botToken: string, user: WebAppUser, opts: { authDate: number; queryId: string }): string {
  const fields = new URLSearchParams({ auth_date: String(opts.authDate), query_id: opts.queryId, user: JSON.stringify(user) });
  const botId = botToken.split(':', 1)[0] ?? '';
  fields.set('signature', sign(null, Buffer.from(`${botId}:WebAppData\n${checkString(fields)}`), TELEGRAM_SIGNING_KEY).toString('base64url'));
  fields.set('hash', hashOf(botToken, fields));
  return fields.toString();
}

/** Why initData was refused, or the user it vouches for. */
export type WebAppDataCheck =
  | { readonly ok: true; readonly user: WebAppUser; readonly authDate: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad-hash' | 'expired' };

/** Checks initData as received (already URL-decoded once by the client): the hash, then `auth_date` within `maxAgeSec`. */
export function checkWebAppData(botToken: string, initData: string, nowSec: number, maxAgeSec: number): WebAppDataCheck {
  const fields = new URLSearchParams(initData);
  const hash = fields.get('hash');
  const userJson = fields.get('user');
  const authDate = Number(fields.get('auth_date'));
  if (!hash || !/^[0-9a-f]{64}$/.test(hash) || !userJson || !Number.isSafeInteger(authDate)) return { ok: false, reason: 'malformed' };
  fields.delete('hash');
  const expected = Buffer.from(hashOf(botToken, fields), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(hash, 'hex'))) return { ok: false, reason: 'bad-hash' };
  if (nowSec - authDate > maxAgeSec) return { ok: false, reason: 'expired' };
  let user: unknown;
  try {
    user = JSON.parse(userJson);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const id = (user as { id?: unknown } | null)?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return { ok: false, reason: 'malformed' };
  return { ok: true, user: user as WebAppUser, authDate };
}

/** The data-check string: every field as `key=value`, sorted by key, joined with a line feed. */
function checkString(fields: URLSearchParams): string {
  return [...fields.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

function hashOf(botToken: string, fields: URLSearchParams): string {
  const secret = createHmac('sha256', 'WebAppData').update(botToken).digest();
  return createHmac('sha256', secret).update(checkString(fields)).digest('hex');
}
