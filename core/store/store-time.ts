/** How a moment the store sends (`expires_at`) becomes epoch milliseconds. Stores and their proxies send unix seconds,
 *  milliseconds or microseconds, as JSON numbers or digit text, or ISO 8601 text; the unit of a bare number is told
 *  by its magnitude, so the three ranges below must not overlap for any date a store can mean:
 *
 *  | value n (a number or digit text) | read as      | dates it covers           |
 *  |----------------------------------|--------------|---------------------------|
 *  | 1e9  ≤ n < 1e11                  | seconds      | 2001-09-09 … 5138-11-16   |
 *  | 1e11 ≤ n < 1e14                  | milliseconds | 1973-03-03 … 5138-11-16   |
 *  | 1e14 ≤ n < 1e17                  | microseconds | 1973-03-03 … 5138-11-16   |
 *
 *  Anything else is refused with the value in the message: below 1e9 is a duration or a counter, not a moment
 *  (reading it as seconds would be a date in the 1970s-90s); 1e17 and above is nanoseconds or garbage. ISO 8601 text
 *  needs a zone (`Z` or `±hh:mm`), since a time without one would be read in this machine's zone. */

/** Smallest bare number read as a moment: unix seconds of 2001-09-09. */
export const MIN_UNIX_SECONDS = 1e9;
/** From here a bare number is milliseconds... */
export const MILLISECONDS_FROM = 1e11;
/** ...from here microseconds... */
export const MICROSECONDS_FROM = 1e14;
/** ...and from here it is refused. */
export const REFUSED_FROM = 1e17;

/** An ISO 8601 date-time with an explicit zone: `Date.parse` alone also takes text like "-5" or "May 1" as a date. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
/** Digit text, with an optional fraction (`"1735734000.5"`). */
const DIGITS = /^\d{1,20}(\.\d{1,9})?$/;

/** A store moment as whole epoch ms (rounded down, so never later than the store meant), or the reason it is not one
 *  (the value quoted, for the error message). */
export function readStoreTime(v: unknown): { ok: true; ms: number } | { ok: false; why: string } {
  const shown = JSON.stringify(v)?.slice(0, 80) ?? String(v);
  let ms: number;
  if (typeof v === 'number' || (typeof v === 'string' && DIGITS.test(v))) {
    const n = Number(v);
    if (!Number.isFinite(n) || n < MIN_UNIX_SECONDS || n >= REFUSED_FROM) {
      return { ok: false, why: `${shown} is not a time: a bare number must be unix seconds, ms or µs (from ${MIN_UNIX_SECONDS} to below ${REFUSED_FROM})` };
    }
    ms = Math.floor(n < MILLISECONDS_FROM ? n * 1000 : n < MICROSECONDS_FROM ? n : n / 1000);
  } else if (typeof v === 'string' && ISO_DATE_TIME.test(v)) {
    ms = Date.parse(v);
  } else {
    return { ok: false, why: `${shown} is not a time: expected unix seconds, ms or µs, or an ISO 8601 date-time with a zone` };
  }
  return Number.isSafeInteger(ms) && ms > 0 ? { ok: true, ms } : { ok: false, why: `${shown} is not a time (no such date)` };
}
