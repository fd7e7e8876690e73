/** Bans for callers that ignore 429s: refusals are remembered per key for a while, and the one that makes `after`
 *  within `withinMs` bans the key for `banMs`. */
import type { BanRule } from './rate-policy.js';

export class BanList {
  private readonly strikes = new Map<string, number[]>();
  private readonly banned = new Map<string, number>();
  /** Bans started so far. */
  issued = 0;

  constructor(private readonly rule: BanRule) {}

  /** Epoch ms until which `key` is banned, or null when it is not banned at `nowMs`. */
  bannedUntil(key: string, nowMs: number): number | null {
    const until = this.banned.get(key);
    if (until === undefined) return null;
    if (nowMs < until) return until;
    this.banned.delete(key);
    return null;
  }

  /** Records one refusal of `key` at `nowMs`; returns the end of the ban when this refusal started one. */
  strike(key: string, nowMs: number): number | null {
    const recent = (this.strikes.get(key) ?? []).filter((at) => nowMs - at < this.rule.withinMs);
    recent.push(nowMs);
    if (recent.length < this.rule.after) {
      this.strikes.set(key, recent);
      return null;
    }
    this.strikes.delete(key);
    const until = nowMs + this.rule.banMs;
    this.banned.set(key, until);
    this.issued += 1;
    return until;
  }
}
