/** Reading what a store answer says about its rate limit: `x-ratelimit-limit`, `x-ratelimit-remaining`,
 *  `x-ratelimit-reset` (epoch seconds, epoch milliseconds or seconds from now; told apart by size) and `Retry-After`
 *  (seconds or an HTTP date). Anything malformed (negative, fractional counts, huge, not a number, a reset in the past)
 *  reads as absent: a hostile header can teach the limiter nothing, and every wait it causes is capped by the caller. */

type HeaderValue = string | string[] | undefined;
type Headers = Readonly<Record<string, HeaderValue>>;

/** What one answer's headers say, in epoch milliseconds and counts. */
export interface RateHeaders {
  /** Requests the window allows, when the store says so. */
  readonly limit?: number;
  /** Requests left in the current window. */
  readonly remaining?: number;
  /** When the current window ends (epoch ms), always in the future. */
  readonly resetAt?: number;
  /** True when the reset was given relative to now: then different answers in one window disagree by up to a
   *  second, where epoch resets agree exactly. */
  readonly resetRelative?: boolean;
  /** How long `Retry-After` asks to wait (ms, 0 when its date has passed). */
  readonly retryAfterMs?: number;
}

/** Counts above this are not a rate limit anyone publishes: ignored. */
const MAX_COUNT = 1_000_000;
/** Relative resets and Retry-After beyond a year are nonsense: ignored. */
const MAX_SECONDS = 365 * 24 * 3600;
/** A reset value above this is epoch seconds (2001-09-09), above the next one epoch milliseconds. */
const EPOCH_SECONDS_FROM = 1e9;
const EPOCH_MS_FROM = 1e12;

/** Everything the headers say about the rate limit; absent fields were missing or malformed. */
export function readRateHeaders(headers: Headers, now: number): RateHeaders {
  const limit = parseCount(header(headers, 'x-ratelimit-limit'));
  const remaining = parseCount(header(headers, 'x-ratelimit-remaining'));
  const reset = parseReset(header(headers, 'x-ratelimit-reset'), now);
  const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'), now);
  return {
    ...(limit !== undefined && limit > 0 ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset ? { resetAt: reset.at, resetRelative: reset.relative } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** A non-negative whole count no larger than MAX_COUNT; anything else is undefined. */
export function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= MAX_COUNT ? n : undefined;
}

/** `x-ratelimit-reset` as an instant: epoch ms, epoch seconds or seconds from now, by size. Undefined when
 *  malformed, negative, absurdly far, or already past. */
export function parseReset(value: string | undefined, now: number): { at: number; relative: boolean } | undefined {
  if (value === undefined || !/^\d{1,16}(\.\d{1,6})?$/.test(value)) return undefined;
  const n = Number(value);
  let at: number;
  let relative = false;
  if (n >= EPOCH_MS_FROM) at = n;
  else if (n >= EPOCH_SECONDS_FROM) at = n * 1000;
  else {
    if (n > MAX_SECONDS) return undefined;
    at = now + n * 1000;
    relative = true;
  }
  if (!Number.isFinite(at) || at <= now || at - now > MAX_SECONDS * 1000) return undefined;
  return { at: Math.ceil(at), relative };
}

/** `Retry-After` in ms: seconds (whole or decimal) or an HTTP date (0 once it has passed). Undefined when malformed,
 *  negative or beyond a year. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,12}(\.\d{1,6})?$/.test(value)) {
    const seconds = Number(value);
    return seconds <= MAX_SECONDS ? Math.ceil(seconds * 1000) : undefined;
  }
  // Date.parse accepts almost anything ("5", "-1"); only a real HTTP date (IMF-fixdate, RFC 850, asctime) counts.
  if (!/^[A-Za-z]{3,9}, \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$|^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(value)) {
    return undefined;
  }
  const at = Date.parse(value.endsWith('GMT') ? value : `${value} GMT`);
  if (Number.isNaN(at)) return undefined;
  const ms = at - now;
  return ms > MAX_SECONDS * 1000 ? undefined : Math.max(0, ms);
}

/** The first value of a header, trimmed; overlong values are refused unread. */
function header(headers: Headers, name: string): string | undefined {
  const raw = headers[name];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || v.length > 64) return undefined;
  return v.trim();
}
