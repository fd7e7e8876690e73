/** Server salts of one auth key (https://core.telegram.org/mtproto/description#server-salt): a random 64-bit value
 *  that changes every 30 minutes; each is valid for an hour, so consecutive salts overlap and a client that asked
 *  for future salts is never caught out. The salt derived from the handshake nonces is accepted for its first
 *  half hour. */
import { randomBytes } from 'node:crypto';

/** One salt and the unix seconds it is valid in ([validSince, validUntil)). */
export interface FutureSalt {
  readonly validSince: number;
  readonly validUntil: number;
  readonly salt: bigint;
}

export const SALT_PERIOD_S = 1800;
const SALT_LIFETIME_S = 3600;
/** Telegram answers get_future_salts with at most 64 salts. */
export const MAX_FUTURE_SALTS = 64;

/** The salt schedule of one auth key, made lazily, a random salt per period. */
export class ServerSalts {
  private readonly byPeriod = new Map<number, bigint>();

  constructor(private readonly initial?: FutureSalt) {}

  /** The salt the server puts in its messages at `nowS`. */
  current(nowS: number): bigint {
    return this.saltOf(Math.floor(nowS / SALT_PERIOD_S));
  }

  /** True when a client message may carry `salt` at `nowS`. */
  accepts(salt: bigint, nowS: number): boolean {
    const period = Math.floor(nowS / SALT_PERIOD_S);
    if (salt === this.saltOf(period) || salt === this.saltOf(period - 1)) return true;
    const first = this.initial;
    return first !== undefined && salt === first.salt && nowS >= first.validSince && nowS < first.validUntil;
  }

  /** `num` salts (1..64) starting with the current one. */
  upcoming(num: number, nowS: number): FutureSalt[] {
    const count = Math.min(Math.max(num, 1), MAX_FUTURE_SALTS);
    const first = Math.floor(nowS / SALT_PERIOD_S);
    const out: FutureSalt[] = [];
    for (let p = first; p < first + count; p++) {
      out.push({ validSince: p * SALT_PERIOD_S, validUntil: p * SALT_PERIOD_S + SALT_LIFETIME_S, salt: this.saltOf(p) });
    }
    this.forgetBefore(first - 1);
    return out;
  }

  private saltOf(period: number): bigint {
    let salt = this.byPeriod.get(period);
    if (salt === undefined) {
      salt = randomBytes(8).readBigInt64LE();
      this.byPeriod.set(period, salt);
    }
    return salt;
  }

  private forgetBefore(period: number): void {
    for (const p of this.byPeriod.keys()) if (p < period) this.byPeriod.delete(p);
  }
}
