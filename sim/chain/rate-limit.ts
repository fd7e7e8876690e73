/** A per-client token bucket, the way toncenter limits callers without an API key (1 request per second per IP). */

/** Whether a request may pass now, and if not, when the next one may. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Stale buckets are dropped past this many clients, so a long run cannot grow the map without bound. */
const PRUNE_ABOVE = 1024;

export class RateLimit {
  private readonly buckets = new Map<string, Bucket>();

  /** `perSecond` requests a second per client, with a burst of the same size. */
  constructor(private readonly perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError(`rate must be positive, got ${perSecond}`);
  }

  /** Takes one token for `client` at time `nowMs` (milliseconds, monotonic enough for the purpose). */
  take(client: string, nowMs: number): RateDecision {
    const bucket = this.buckets.get(client) ?? { tokens: this.perSecond, updatedMs: nowMs };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.perSecond);
    bucket.updatedMs = nowMs;
    this.buckets.set(client, bucket);
    if (this.buckets.size > PRUNE_ABOVE) this.prune(nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / this.perSecond) * 1000) };
  }

  private prune(nowMs: number): void {
    for (const [client, bucket] of this.buckets) {
      // A bucket idle for a second is full again: forgetting it changes nothing.
      if (nowMs - bucket.updatedMs > 1000) this.buckets.delete(client);
    }
  }
}
