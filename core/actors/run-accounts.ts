/** The accounts of a run as the sniper sees them: who each is, how it gets its store JWT (a pasted token, or the
 *  store's web-app login through a plugin), what it may spend and which way its calls go out. The sniper spawns one
 *  auth actor per account on the token source built here. */
import type { Currency, Units } from '../money.js';
import type { AccountRoute } from '../run/account-routes.js';
import type { StoreClient } from '../store/store-client.js';
import type { WebAppLogin } from '../plugins/web-app-login.js';
import { configuredToken, webAppToken, type TokenSource } from './auth.js';

/** One account of the run. */
export interface RunAccount {
  readonly name: string;
  readonly wallet: string | undefined;
  /** Where the account's store JWT comes from (its auth actor keeps it fresh). */
  readonly login: AccountLogin;
  /** Most this account may spend, per currency, across its targets (where set). */
  readonly budget?: Partial<Record<Currency, Units>>;
  /** Its store calls' way out when not the run's shared dispatcher: through its proxy (core/run/account-routes.ts). */
  readonly route?: AccountRoute;
}

/** Longest a web-app login may take: a Telegram connection (20 s) plus a flood wait (60 s), with room to spare. */
export const WEB_APP_LOGIN_TIMEOUT_MS = 90_000;

/** How an account gets its store JWT: a pasted token, or the store's web-app login through a plugin (Telegram). */
export type AccountLogin = { readonly kind: 'token'; readonly jwt: string } | { readonly kind: 'web-app'; readonly via: WebAppLogin };

/** The token source of an account; a web-app login exchanges its data through the account's own store client. */
export function tokenSourceOf(login: AccountLogin, account: string, client: () => StoreClient): TokenSource {
  return login.kind === 'token' ? configuredToken(login.jwt) : webAppToken(login.via, account, client);
}
