/** `POST /api/v1/auth`: a store token for the Telegram user a Mini App's initData vouches for. The body is the raw
 *  initData string, taken exactly as sent (never form-decoded: a client that decoded it twice must fail the hash),
 *  checked with the bot token's HMAC scheme and `auth_date` age. Refusals say only `invalid_init_data`; why it was
 *  refused is counted for tests and benchmarks. Secrets (initData, tokens) are never kept or put in a refusal. */
import { checkWebAppData } from '../web-app-data.js';
import type { Clock } from './clock.js';
import type { Faults } from './faults.js';
import type { TokenIssuer } from './jwt.js';
import { ok } from './pipeline.js';
import { StoreRefusal } from './refusal.js';
import type { Route } from './router.js';

/** The bot whose token signs the store's initData and which issues its Stars invoices. `token` is a secret. */
export interface TelegramBot {
  /** Without `@`. */
  readonly username: string;
  readonly token: string;
}

/** Longest initData body `/api/v1/auth` reads; real initData is well under 1 KiB. */
export const MAX_INIT_DATA_BYTES = 8 * 1024;

/** Oldest initData accepted by default (by `auth_date`), seconds. */
export const DEFAULT_INIT_DATA_MAX_AGE_SEC = 86_400;

/** Why a login was refused: the initData's own problems, a body over MAX_INIT_DATA_BYTES, or the fault plan. */
export type LoginRefusalReason = 'malformed' | 'bad-hash' | 'expired' | 'too-large' | 'injected';

/** Logins since the store started. */
export interface LoginCounts {
  readonly issued: number;
  readonly refused: Readonly<Record<LoginRefusalReason, number>>;
}

export interface LoginRules {
  readonly bot: TelegramBot;
  readonly tokens: TokenIssuer;
  readonly clock: Clock;
  readonly faults: Faults;
  /** Oldest `auth_date` accepted, seconds before now. */
  readonly maxAgeSec: number;
}

/** Exchanges initData for store tokens and counts how that went. */
export class InitDataLogin {
  private issued = 0;
  private readonly refused: Record<LoginRefusalReason, number> = { malformed: 0, 'bad-hash': 0, expired: 0, 'too-large': 0, injected: 0 };

  constructor(private readonly rules: LoginRules) {}

  /** A token for the user `initData` vouches for; throws StoreRefusal (401 invalid_init_data, 413 too large). */
  logIn(initData: string): string {
    const { bot, tokens, clock, faults, maxAgeSec } = this.rules;
    if (faults.refusesLogin()) throw this.refuse('injected');
    if (Buffer.byteLength(initData, 'utf8') > MAX_INIT_DATA_BYTES) {
      this.refused['too-large'] += 1;
      throw new StoreRefusal('payload_too_large', `initData is longer than ${MAX_INIT_DATA_BYTES} bytes`, {
        limit: MAX_INIT_DATA_BYTES,
      });
    }
    const check = checkWebAppData(bot.token, initData, Math.floor(clock() / 1000), maxAgeSec);
    if (!check.ok) throw this.refuse(check.reason);
    this.issued += 1;
    return tokens.issue(check.user.id);
  }

  /** Logins issued and refused so far, by reason. */
  counts(): LoginCounts {
    return { issued: this.issued, refused: { ...this.refused } };
  }

  /** The `/api/v1/auth` route (mounted where no bearer token is asked for). */
  routes(): Route[] {
    return [{ method: 'POST', path: '/api/v1/auth', handle: (ctx) => ok(this.logIn(ctx.request.body)) }];
  }

  private refuse(reason: Exclude<LoginRefusalReason, 'too-large'>): StoreRefusal {
    this.refused[reason] += 1;
    return new StoreRefusal('invalid_init_data', `initData refused: ${reason}`, { reason });
  }
}
