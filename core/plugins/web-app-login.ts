/** What a plugin provides so an account logs in to the store without a pasted token: the store's web app opened as
 *  the account's Telegram user, whose login data (Telegram's initData) the store exchanges for a JWT at
 *  `POST /api/v1/auth`. The host does the exchange and keeps the token fresh; the plugin only fetches fresh initData. */

/** The registration token under which login plugins register; the host finds them with `resolveAll`. */
export const WEB_APP_LOGIN = Symbol.for('automint.web-app-login');

export interface WebAppLogin {
  /** Short name for messages and token-source kinds, e.g. `telegram`. */
  readonly id: string;
  /** Null when this account can log in this way; otherwise what the user must do (e.g. "run automint login --account alice"). */
  unavailableFor(account: string): Promise<string | null>;
  /** Fresh login data for the store, exactly as the store must receive it (decoded once, never re-encoded). A secret:
   *  the implementation registers it with the secret registry before returning it. */
  initData(account: string, signal: AbortSignal): Promise<string>;
}
