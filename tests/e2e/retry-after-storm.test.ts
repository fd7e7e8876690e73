/** A store that answers 429 with Retry-After to every request for a while: the bot waits exactly as told. */
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../sim/store/index.js';
import { buyFrom, expectMoneySafe } from '../support/hostile-run.js';

/** Slack for timer rounding between the store's answer and the client's clock, ms. */
const TIMER_SLACK_MS = 5;
/** Longest a call the limiter granted before a 429 reached the client may still take to reach the store (a login
 *  first fetches its initData from Telegram), ms: well under the storm's Retry-After of 1 s. */
const IN_FLIGHT_MS = 250;

/** The requests the 429 at `i` should have held back, as far as the store can tell:
 *  - the same caller's (the user its token or its login's initData names) that came after the 429 was answered: a
 *    caller's own next call cannot have been under way already;
 *  - every call of the pool the 429 speaks for that came later than a call granted before it arrived could: a
 *    login's 429 holds every call from the address (the limiter counts logins per IP), any other call's 429 the
 *    calls of that caller's account. */
function heldBy(log: readonly RequestRecord[], i: number): RequestRecord[] {
  const r = log[i]!;
  const samePool = (x: RequestRecord): boolean => r.route === 'POST /api/v1/auth' || x.caller === r.caller;
  return log.filter((x) => x !== r && (
    (x.caller === r.caller && x.startedAt >= r.answeredAt) || (samePool(x) && x.startedAt >= r.answeredAt + IN_FLIGHT_MS)
  ));
}

describe('buying through a Retry-After storm', () => {
  it('retry-after-storm: waits out every Retry-After as told, then buys what is left, paying each order once', async () => {
    const { world, summary, close } = await buyFrom('retry-after-storm');
    try {
      expectMoneySafe(world, summary);
      expect(summary.packs).toBeGreaterThan(0);

      // The store's own log: each 429 told its caller to come back after Retry-After seconds; no request of the pool
      // it held reached the store before that time had passed since the 429 was answered.
      const log = world.store.requests();
      const storm = log.flatMap((r, i) => (r.status === 429 && r.retryAfter !== undefined ? [i] : []));
      expect(storm.length).toBe(world.store.stats().http429);
      expect(storm.length).toBeGreaterThan(0);
      let followed = 0;
      for (const i of storm) {
        const r = log[i]!;
        expect(r.caller, `the store could not tell who made ${r.route}`).not.toBeNull();
        const backAt = r.answeredAt + Number(r.retryAfter) * 1000;
        const next = heldBy(log, i);
        if (next.length > 0) followed++;
        for (const x of next) {
          expect(x.startedAt, `${x.route} by ${x.caller ?? 'a login'} came ${backAt - x.startedAt} ms before the Retry-After of ${r.route} had passed`)
            .toBeGreaterThanOrEqual(backAt - TIMER_SLACK_MS);
        }
      }
      // The bot did come back after the storm (else the check above holds for nothing).
      expect(followed).toBeGreaterThan(0);
    } finally {
      await close();
    }
  }, 120_000);

});
