import { describe, expect, it } from 'vitest';
import { BUSY_BACKOFF_CAP_MS, busyRetryAt, isStoreBusy } from '../../../../core/store/store-busy.js';
import { StoreHttpError, StoreRejected, StoreTransportError } from '../../../../core/store/store-error.js';

const http = (status: number, retryAfterMs?: number): StoreHttpError => new StoreHttpError(status, { op: 'buyTon', url: 'http://store/x', retryAfterMs });
const NOW = 1_000_000;

describe('a busy store', () => {
  it('is one that answered a 5xx it may take back later, not 501 or 505, nor any other failure', () => {
    for (const status of [500, 502, 503, 504, 520]) expect(isStoreBusy(http(status)), String(status)).toBe(true);
    for (const status of [501, 505, 429, 404]) expect(isStoreBusy(http(status)), String(status)).toBe(false);
    expect(isStoreBusy(new StoreTransportError('timeout', true, { op: 'buyTon', url: 'http://store/x' }))).toBe(false);
    expect(isStoreBusy(new StoreRejected('sold_out', 409, { op: 'buyTon', url: 'http://store/x' }))).toBe(false);
  });

  it("is asked again when its Retry-After says, however many times it was busy", () => {
    expect(busyRetryAt(http(503, 7_000), 1, 250, NOW)).toBe(NOW + 7_000);
    expect(busyRetryAt(http(503, 30_000), 9, 250, NOW)).toBe(NOW + 30_000);
  });

  it('without a Retry-After, after a pause that doubles per busy answer in a row up to the cap, less up to a fifth', () => {
    const at = (inARow: number, random: number): number => busyRetryAt(http(503), inARow, 250, NOW, () => random) - NOW;
    expect([1, 2, 3, 4, 5, 6, 30].map((n) => at(n, 0))).toEqual([250, 500, 1_000, 2_000, BUSY_BACKOFF_CAP_MS, BUSY_BACKOFF_CAP_MS, BUSY_BACKOFF_CAP_MS]);
    expect(at(1, 1)).toBe(200);
    // A profile whose own pause is longer than the cap keeps its pause.
    expect(busyRetryAt(http(503), 3, 5_000, NOW, () => 0) - NOW).toBe(5_000);
  });
});
