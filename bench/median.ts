/** Medians over repeated runs: these machines are shared and noisy, so one run says little. */

/** The median of a list of numbers (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rounds to two decimals. */
export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
