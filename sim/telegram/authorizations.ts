/** Which user each auth key is logged in as, and which keys are half-way through a 2FA login. A client's identity
 *  is its auth key (it survives reconnects and new sessions), so everything per user is looked up through here. */

/** Auth key id (decimal) → user id, for finished and for password-pending logins. */
export class Authorizations {
  private readonly bound = new Map<string, number>();
  private readonly awaitingPassword = new Map<string, number>();

  /** Logs `authKeyId` in as `userId` (a finished login), ending any pending one. */
  bind(authKeyId: string, userId: number): void {
    this.awaitingPassword.delete(authKeyId);
    this.bound.set(authKeyId, userId);
  }

  /** Logs the key out; true when it was logged in. */
  unbind(authKeyId: string): boolean {
    this.awaitingPassword.delete(authKeyId);
    return this.bound.delete(authKeyId);
  }

  /** The user this key is logged in as, or undefined. */
  userOf(authKeyId: string): number | undefined {
    return this.bound.get(authKeyId);
  }

  /** The phone code was right but the account has a password: the key may now ask for the SRP parameters. */
  awaitPassword(authKeyId: string, userId: number): void {
    this.awaitingPassword.set(authKeyId, userId);
  }

  /** The user whose password this key must still prove, or undefined. */
  passwordPendingFor(authKeyId: string): number | undefined {
    return this.awaitingPassword.get(authKeyId);
  }
}
