/** The store's own count for one pool, as its `x-ratelimit-*` headers tell it: how much is left of its current window
 *  and when that window ends, kept current between answers by charging our own grants to it. From the same headers it
 *  learns the limit itself (requests per window and the window's length), which outlives the window and is persisted.
 *  Pure: the clock is passed in. */
import type { RateHeaders } from './limiter-headers.js';

/** What the headers taught about a pool's limit. */
export interface LearnedLimit {
  /** Requests the store allows per window. */
  readonly limit: number;
  /** Length of the store's window. */
  readonly windowMs: number;
}

/** Windows shorter or longer than these are not learned (a reset a few ms away says nothing of the window's length). */
const MIN_WINDOW_MS = 250;
const MAX_WINDOW_MS = 3_600_000;
/** Limits above this are not believed. */
const MAX_LIMIT = 10_000;
/** How many recent windows an inferred limit and a window length are judged over: one hostile answer is forgotten
 *  after this many windows instead of skewing the pace for good. */
const RECENT = 8;

export class ServerWindow {
  /** Left in the store's current window after our grants, or null when unknown. */
  private left: number | null = null;
  private resetAt = 0;
  private relative = false;
  /** The current window was predicted from the learned length, not yet confirmed by an answer. */
  private predicted = false;
  private published: number | null = null;
  private readonly limitSamples: number[] = [];
  private readonly lengthSamples: number[] = [];

  constructor(learned: LearnedLimit | null = null) {
    if (learned) {
      this.limitSamples.push(learned.limit);
      this.lengthSamples.push(learned.windowMs);
    }
  }

  /** The limit learned so far, once both its size and its window's length are known. */
  get learned(): LearnedLimit | null {
    const limit = this.published ?? recentMax(this.limitSamples);
    const windowMs = recentMax(this.lengthSamples);
    return limit === null || windowMs === null ? null : { limit, windowMs };
  }

  /** When the store's current window ends (epoch ms), or null when unknown. */
  endsAt(now: number): number | null {
    this.roll(now);
    return this.left === null ? null : this.resetAt;
  }

  /** Weight left in the store's current window, or null when unknown. */
  remaining(now: number): number | null {
    this.roll(now);
    return this.left;
  }

  /** One request slot of the learned limit: the gap between grants at the store's full rate. */
  slotMs(): number {
    const l = this.learned;
    return l ? l.windowMs / l.limit : 0;
  }

  /** Our grant went out: the store will count it in this window. */
  charge(weight: number, now: number): void {
    this.roll(now);
    if (this.left !== null) this.left -= weight;
  }

  /** A 429 says the window is spent, whatever we counted. */
  exhaust(now: number): void {
    this.roll(now);
    if (this.left !== null) this.left = 0;
  }

  /** Takes in one answer's headers. `inFlight` is the weight of our other calls still out: the store may not have
   *  counted them when it answered, so they are taken off what it says is left. A window is never believed to end
   *  later than `latestEnd` (now + the longest wait allowed): a hostile reset holds nothing longer than that. */
  learn(h: RateHeaders, inFlight: number, now: number, latestEnd: number): void {
    this.roll(now);
    if (h.limit !== undefined) this.published = Math.min(MAX_LIMIT, h.limit);
    if (h.remaining === undefined) return;
    // Without a published limit, remaining + this call is a floor under it.
    if (h.limit === undefined) pushRecent(this.limitSamples, Math.min(MAX_LIMIT, h.remaining + 1));
    if (h.resetAt === undefined) return;
    const said = Math.max(0, h.remaining - inFlight);
    const resetAt = Math.min(h.resetAt, latestEnd);
    // Relative resets of one window disagree by up to a second between answers; epoch resets agree exactly.
    const slack = h.resetRelative ? 1000 : 0;
    const fresh = this.left === null || (this.predicted ? Math.abs(resetAt - this.resetAt) > slack : resetAt > this.resetAt + slack);
    if (fresh) {
      const length = h.resetAt - now;
      // The first answer of a window sees (almost) its whole length, later ones less: the longest recent one is it.
      if (length >= MIN_WINDOW_MS && length <= MAX_WINDOW_MS && h.resetAt <= latestEnd) pushRecent(this.lengthSamples, Math.ceil(length));
      this.left = said;
      this.resetAt = resetAt;
      this.relative = h.resetRelative === true;
      this.predicted = false;
    } else if (resetAt >= this.resetAt - slack) {
      this.left = Math.min(this.left ?? said, said);
      this.predicted = false;
      if (this.relative) this.resetAt = Math.max(this.resetAt, resetAt);
    }
    // Otherwise the answer is from a window that has already ended: it says nothing of this one.
  }

  /** Once the window has ended: with a learned limit the next one is predicted full (fixed windows follow each
   *  other) until an answer confirms or corrects it; without one, nothing is known until the next answer. */
  private roll(now: number): void {
    if (this.left === null || now < this.resetAt) return;
    const l = this.learned;
    if (!l) {
      this.left = null;
      return;
    }
    this.resetAt += Math.ceil((now - this.resetAt + 1) / l.windowMs) * l.windowMs;
    this.left = l.limit;
    this.predicted = true;
  }
}

function pushRecent(samples: number[], value: number): void {
  samples.push(value);
  if (samples.length > RECENT) samples.shift();
}

function recentMax(samples: readonly number[]): number | null {
  return samples.length === 0 ? null : Math.max(...samples);
}
