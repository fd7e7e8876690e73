/** What the Stars plugin knows per account across its payers: the Stars promised to payments in flight (so parallel
 *  payers of one account never spend the reserve between them) and whether Telegram has asked the user to verify
 *  payments in an app (then no payer of the account orders again this run). */
import { AutomintError } from '../../core/errors.js';

/** Telegram asked this account's user to verify a payment in an app: no more Stars orders for it this run. */
export class StarsPaymentsBlocked extends AutomintError {
  constructor(account: string, reason: string) {
    super('STARS_VERIFICATION_NEEDED', `account ${account} cannot pay Stars in this run: ${reason}`, { account, permanent: true });
  }
}

export class AccountStars {
  private readonly held = new Map<string, bigint>();
  private readonly blockedBy = new Map<string, string>();

  /** Stars promised to this account's payments in flight. */
  heldBy(account: string): bigint {
    return this.held.get(account) ?? 0n;
  }

  /** Promises `amount` to a payment; the returned function gives it back (once). */
  hold(account: string, amount: bigint): () => void {
    this.held.set(account, this.heldBy(account) + amount);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.held.set(account, this.heldBy(account) - amount);
    };
  }

  /** No more Stars payments for the account this run, for `reason`. */
  block(account: string, reason: string): void {
    if (!this.blockedBy.has(account)) this.blockedBy.set(account, reason);
  }

  /** Throws StarsPaymentsBlocked when the account may not pay Stars any more. */
  assertOpen(account: string): void {
    const reason = this.blockedBy.get(account);
    if (reason !== undefined) throw new StarsPaymentsBlocked(account, reason);
  }
}
