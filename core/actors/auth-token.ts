/** Store tokens as the auth actor sees them: where they come from (a TokenSource, asked within a time bound), when
 *  they expire (the JWT's `exp`), and how it holds one without ever printing it. */
import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreAuthError, StoreHttpError, StoreRateLimited, StoreTokenUnavailable } from '../store/store-error.js';
import type { WebAppLogin } from '../plugins/web-app-login.js';
import { deadline } from '../time/deadline.js';

/** Where an account's tokens come from: the pasted token today, Telegram initData → `POST /auth` next. */
export interface TokenSource {
  /** A short name for messages: `configured`, `telegram`. */
  readonly kind: string;
  /** A token for the account; rejects with StoreTokenUnavailable when there is none to be had. */
  obtain(signal: AbortSignal): Promise<string>;
}

/** A token from `source` within `timeoutMs`; a source that has none by then (even one that ignores its signal) fails
 *  with STORE_TOKEN_TIMEOUT and is told to stop. `signal` ends the wait early (its reason is the rejection). */
export async function obtainWithin(source: TokenSource, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const bounded = deadline(timeoutMs, { signal });
  try {
    return await beforeAbort(source.obtain(bounded.signal), bounded.signal);
  } catch (e) {
    if (bounded.expired && !signal.aborted) throw new StoreTokenUnavailable('timeout', { source: source.kind, timeoutMs }, e);
    throw e;
  } finally {
    bounded.clear();
  }
}

/** `promise`, or a rejection with `signal`'s reason the moment it aborts. What `promise` settles with afterwards is
 *  dropped. */
function beforeAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** How long before `exp` a token is renewed. */
export const REFRESH_BEFORE_MS = 120_000;

/** The token pasted into the config. It cannot be renewed: once expired it is refused with a message asking for a
 *  fresh one. */
export function configuredToken(jwt: string): TokenSource {
  return {
    kind: 'configured',
    async obtain() {
      const expiresAt = jwtExpiry(jwt);
      if (expiresAt !== null && Date.now() >= expiresAt) {
        throw new StoreTokenUnavailable('expired', { source: 'configured', expiredAt: expiresAt });
      }
      return jwt;
    },
  };
}

/** Tokens from the store's own login: fresh initData from `login` (the account's Telegram user opening the store's
 *  web app), exchanged at `POST /api/v1/auth`. Renewable at any time, so an expired or refused token is replaced. */
export function webAppToken(login: WebAppLogin, account: string, store: () => StoreLogin): TokenSource {
  return {
    kind: login.id,
    async obtain(signal) {
      const initData = await login.initData(account, signal);
      // Busy answers (429, 5xx, the limiter holding the call) are waited out as told, within the caller's time bound:
      // without a token nothing else of the account can run, so the login is worth the wait.
      for (;;) {
        try {
          return await store().logIn(initData, signal);
        } catch (e) {
          // The store read the login data and said no: fresh initData from the same session will not change that.
          if (e instanceof StoreAuthError && (e.status === 401 || e.status === 403)) {
            const code = (e.details['errorCode'] as string | undefined) ?? `HTTP ${e.status}`;
            throw new StoreAuthError(e.status, { op: 'auth', account, permanent: true }, {
              code: 'STORE_LOGIN_REFUSED',
              message: `the store refused the ${login.id} login of account ${account} (${code}): check the session with \`automint session info --account ${account}\` and log in again with \`automint login --account ${account}\``,
            });
          }
          const waitMs = busyWaitMs(e);
          if (waitMs === null) throw e;
          await sleep(waitMs, undefined, { signal });
        }
      }
    },
  };
}

/** How long to wait before repeating a login the store was too busy for; null when it refused for good. */
function busyWaitMs(e: unknown): number | null {
  if (e instanceof StoreRateLimited) return Math.max(50, e.retryAt - Date.now());
  if (e instanceof StoreHttpError && (e.status === 429 || e.status >= 500)) return Math.max(250, e.retryAfterMs ?? 1_000);
  return null;
}

/** The store call that turns login data into a JWT (StoreClient.logIn). */
export interface StoreLogin {
  logIn(initData: string, signal?: AbortSignal): Promise<string>;
}

/** The `exp` claim of a JWT as epoch ms, or null when it has none that can be read. Only reads the payload (the store
 *  checks the signature); never logs or returns any part of the token. */
export function jwtExpiry(jwt: string): number | null {
  const payload = jwt.split('.')[1];
  if (payload === undefined || !/^[A-Za-z0-9_-]+$/.test(payload)) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 ? Math.floor(exp * 1000) : null;
  } catch {
    return null;
  }
}

/** A token as the actor holds it. Prints and serialises without the token itself. */
export class HeldToken {
  readonly #jwt: string;

  constructor(jwt: string, readonly obtainedAt: number, readonly expiresAt: number | null) {
    this.#jwt = jwt;
  }

  get jwt(): string {
    return this.#jwt;
  }

  /** True once `exp` has passed (never for a token without one). */
  isExpired(now: number): boolean {
    return this.expiresAt !== null && now >= this.expiresAt;
  }

  /** When to renew it: REFRESH_BEFORE_MS before `exp`, or halfway through a life shorter than twice that. */
  refreshAt(): number | null {
    if (this.expiresAt === null) return null;
    return Math.max(this.obtainedAt + (this.expiresAt - this.obtainedAt) / 2, this.expiresAt - REFRESH_BEFORE_MS);
  }

  toJSON(): Record<string, unknown> {
    return { expiresAt: this.expiresAt, obtainedAt: this.obtainedAt };
  }

  [inspect.custom](): string {
    return `HeldToken(expiresAt=${this.expiresAt === null ? 'unknown' : new Date(this.expiresAt).toISOString()})`;
  }
}
