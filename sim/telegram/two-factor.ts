/** 2FA passwords of the simulated users: the SRP verifier derived once per user from the configured password, the
 *  `account.password` answer with a fresh challenge per request, and the check of `auth.checkPassword`. Each
 *  challenge (srp_id) is good for one check within a few minutes, right or wrong, as Telegram's. */
import { randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import type { Clock } from '../store/clock.js';
import type { Account } from './accounts.js';
import { createChallenge, createVerifier, SRP_G, SRP_PRIME, verifyProof, type SrpChallenge, type SrpVerifier } from './srp.js';
import { fromTlLong, randomLongId, tlLong } from './tl.js';

/** How long an srp_id from `account.getPassword` may be checked. */
export const SRP_CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** The outcome of `auth.checkPassword`. */
export type PasswordCheck = 'ok' | 'wrong' | 'stale';

interface OpenChallenge {
  readonly userId: number;
  readonly verifier: SrpVerifier;
  readonly challenge: SrpChallenge;
  readonly issuedAt: number;
}

/** Verifiers per user and the challenges handed out. */
export class TwoFactor {
  private readonly verifiers = new Map<number, Promise<SrpVerifier>>();
  private readonly open = new Map<string, OpenChallenge>();

  constructor(private readonly clock: Clock) {}

  /** The `account.password` for `account`: with a fresh SRP challenge when it has a password. */
  async passwordInfo(account: Account): Promise<Api.account.Password> {
    const common = {
      newAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
        salt1: randomBytes(8),
        salt2: randomBytes(16),
        g: SRP_G,
        p: SRP_PRIME,
      }),
      newSecureAlgo: new Api.SecurePasswordKdfAlgoPBKDF2HMACSHA512iter100000({ salt: randomBytes(8) }),
      secureRandom: randomBytes(32),
    };
    const verifier = await this.verifierOf(account);
    if (!verifier) return new Api.account.Password({ hasPassword: false, ...common });
    this.prune();
    const challenge = createChallenge(verifier);
    const srpId = randomLongId();
    this.open.set(srpId.toString(), { userId: account.id, verifier, challenge, issuedAt: this.clock() });
    return new Api.account.Password({
      hasPassword: true,
      currentAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
        salt1: verifier.salt1,
        salt2: verifier.salt2,
        g: SRP_G,
        p: SRP_PRIME,
      }),
      srp_B: challenge.B,
      srpId: tlLong(srpId),
      ...common,
    });
  }

  /** Checks an `inputCheckPasswordSRP` for `account`; the srp_id is spent either way. */
  check(account: Account, input: Api.TypeInputCheckPasswordSRP): PasswordCheck {
    if (!(input instanceof Api.InputCheckPasswordSRP)) return 'wrong';
    const key = fromTlLong(input.srpId).toString();
    const open = this.open.get(key);
    this.open.delete(key);
    if (!open || open.userId !== account.id || this.clock() - open.issuedAt > SRP_CHALLENGE_TTL_MS) return 'stale';
    return verifyProof(open.verifier, open.challenge, input.A, input.M1) ? 'ok' : 'wrong';
  }

  /** True when the account has a 2FA password. */
  hasPassword(account: Account): boolean {
    return account.spec.password !== undefined;
  }

  private verifierOf(account: Account): Promise<SrpVerifier | undefined> {
    const password = account.spec.password;
    if (password === undefined) return Promise.resolve(undefined);
    let verifier = this.verifiers.get(account.id);
    if (!verifier) {
      verifier = createVerifier(password);
      this.verifiers.set(account.id, verifier);
    }
    return verifier;
  }

  private prune(): void {
    const now = this.clock();
    for (const [id, c] of this.open) if (now - c.issuedAt > SRP_CHALLENGE_TTL_MS) this.open.delete(id);
  }
}
