/** Login codes "sent" to phones: a fresh 5-digit code per `auth.sendCode`, bound to the phone_code_hash it was
 *  answered with, valid for five minutes, used once. The newest code for a phone supersedes older ones, as in
 *  Telegram. Every code sent is kept per phone so tests and the interactive demo can read it. */
import { randomBytes, randomInt } from 'node:crypto';
import type { Clock } from '../store/clock.js';

/** How long a login code may be used. */
export const LOGIN_CODE_TTL_MS = 5 * 60 * 1000;

/** Why a code was refused, or that it was accepted (and spent). */
export type CodeCheck = 'ok' | 'invalid' | 'expired';

interface PendingCode {
  readonly phoneDigits: string;
  readonly code: string;
  readonly sentAt: number;
}

/** The codes sent and the one still valid per phone_code_hash. */
export class LoginCodes {
  private readonly sent = new Map<string, string[]>();
  private readonly pending = new Map<string, PendingCode>();

  constructor(private readonly clock: Clock) {}

  /** Sends a fresh code to `phoneDigits`; returns the phone_code_hash the client must quote with it. */
  send(phoneDigits: string): { readonly code: string; readonly phoneCodeHash: string } {
    const code = randomInt(0, 100_000).toString().padStart(5, '0');
    const phoneCodeHash = randomBytes(9).toString('hex');
    for (const [hash, p] of this.pending) if (p.phoneDigits === phoneDigits) this.pending.delete(hash);
    this.pending.set(phoneCodeHash, { phoneDigits, code, sentAt: this.clock() });
    const history = this.sent.get(phoneDigits) ?? [];
    history.push(code);
    this.sent.set(phoneDigits, history);
    return { code, phoneCodeHash };
  }

  /** Every code sent to this phone (digits only), oldest first. */
  sentTo(phoneDigits: string): readonly string[] {
    return [...(this.sent.get(phoneDigits) ?? [])];
  }

  /** Checks `code` for the phone and hash; a right code is spent, a wrong one stays usable. An unknown or
   *  superseded hash counts as expired. */
  check(phoneDigits: string, phoneCodeHash: string, code: string): CodeCheck {
    const p = this.pending.get(phoneCodeHash);
    if (!p || p.phoneDigits !== phoneDigits) return 'expired';
    if (this.clock() - p.sentAt > LOGIN_CODE_TTL_MS) {
      this.pending.delete(phoneCodeHash);
      return 'expired';
    }
    if (p.code !== code) return 'invalid';
    this.pending.delete(phoneCodeHash);
    return 'ok';
  }
}
