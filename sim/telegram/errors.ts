/** Errors of the simulated Telegram's own API (what tests and the world call), as opposed to the RPC errors its
 *  clients see, which are `RpcFailure`s. */
import { AutomintError } from '../../core/errors.js';

export type SimTelegramErrorCode =
  /** A user id that is not one of the simulated users (or is the store bot where a user is needed). */
  | 'USER_UNKNOWN'
  /** The options describe an impossible world: duplicate ids, phones or usernames, a negative balance, no web app URL. */
  | 'SPEC_INVALID'
  /** A charge the balance cannot cover reached the ledger: the payment checks before it are broken. */
  | 'CHARGE_INVALID'
  /** A fault injection names a method the server does not serve, or a count or delay that is not a positive integer. */
  | 'FAULT_INVALID'
  /** The server's RSA key maker gave only keys whose fingerprints print short (a broken injected maker). */
  | 'RSA_KEY_UNUSABLE';

/** A misuse of the simulated Telegram by the code driving it. */
export class SimTelegramError extends AutomintError {
  constructor(code: SimTelegramErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
  }
}
