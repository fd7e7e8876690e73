import { describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../../../sim/store/jwt.js';
import { authenticate, refusalsToReplies } from '../../../../sim/store/middleware.js';
import { compose, ok, type Endpoint, type Reply } from '../../../../sim/store/pipeline.js';
import type { RateLimitPolicy } from '../../../../sim/store/rate-policy.js';
import { DEFAULT_RATE_LIMITS, rateLimitPolicySchema } from '../../../../sim/store/rate-policy.js';
import { RateLimits } from '../../../../sim/store/rate-limits.js';
import { router } from '../../../../sim/store/router.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { requestContext } from './request-context.js';

/** The store's order of the rate-limit steps around a route that counts what it served. */
function limitedStore(policy: RateLimitPolicy | undefined, clock: ManualClock) {
  const tokens = new TokenIssuer(clock.now, 3600, Buffer.alloc(32, 1));
  const limits = new RateLimits(policy, clock.now);
  let served = 0;
  const endpoint: Endpoint = compose(
    [limits.headers(), refusalsToReplies(() => {}), limits.perIp(), authenticate(tokens), limits.perToken()],
    router([{ method: 'GET', path: '/api/v1/thing', handle: () => ok(++served) }]),
  );
  const get = (user: number | null, remote = '127.0.0.1'): Promise<Reply> =>
    endpoint(requestContext('/api/v1/thing', { remote, ...(user ? { auth: `Bearer ${tokens.issue(user)}` } : {}) }));
  return { get, served: () => served };
}

const limitHeaders = (r: Reply) => [r.headers['x-ratelimit-limit'], r.headers['x-ratelimit-remaining'], r.headers['x-ratelimit-reset']];

describe('rate limits', () => {
  // 12:00:00.250 UTC: one-second windows end at 12:00:01.
  const start = Date.UTC(2025, 0, 1, 12, 0, 0) + 250;

  it('refuses the request past the per-token limit with 429 too_many_requests and Retry-After, without serving it', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perToken: { requests: 2, windowMs: 1000 } }, clock);
    const answers = [await store.get(7), await store.get(7), await store.get(7)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.body).toEqual({ kind: 'envelope', envelope: { ok: false, errorCode: 'too_many_requests' } });
    expect(answers[2]!.headers['retry-after']).toBe('1');
    expect(store.served()).toBe(2);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['1', '0', '0']);
  });

  it('counts each token apart and lets a token in again when the window rolls', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perToken: { requests: 1, windowMs: 1000 } }, clock);
    expect((await store.get(7)).status).toBe(200);
    expect((await store.get(8)).status).toBe(200);
    expect((await store.get(7)).status).toBe(429);
    clock.advance(750);
    expect((await store.get(7)).status).toBe(200);
  });

  it('does not charge the window for refused requests', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perToken: { requests: 2, windowMs: 10_000 } }, clock);
    await store.get(7);
    await store.get(7);
    for (let i = 0; i < 5; i++) await store.get(7);
    clock.advance(10_000);
    expect((await store.get(7)).headers['x-ratelimit-remaining']).toBe('1');
  });

  it('charges the per-IP window before the token is checked, bad tokens included', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perIp: { requests: 2, windowMs: 1000 } }, clock);
    expect((await store.get(null)).status).toBe(401);
    expect((await store.get(7)).status).toBe(200);
    const third = await store.get(8);
    expect([third.status, third.headers['retry-after']]).toEqual([429, '1']);
    expect((await store.get(8, '127.0.0.9')).status).toBe(200);
  });

  it('reports the tightest window that applies', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perToken: { requests: 5, windowMs: 60_000 }, perIp: { requests: 6, windowMs: 1000 } }, clock);
    const epochSecond = Math.floor(start / 1000);
    const minuteEnd = String(Math.ceil(Date.UTC(2025, 0, 1, 12, 1, 0) / 1000));
    expect(limitHeaders(await store.get(7))).toEqual(['5', '4', minuteEnd]);
    for (let i = 0; i < 3; i++) await store.get(8);
    expect(limitHeaders(await store.get(7))).toEqual(['6', '1', String(epochSecond + 1)]);
    expect(limitHeaders(await store.get(7))).toEqual(['6', '0', String(epochSecond + 1)]);
  });

  it('writes x-ratelimit-reset in epoch seconds or in seconds from now, as the scenario says', async () => {
    const clock = new ManualClock(start);
    const epoch = limitedStore({ perToken: { requests: 5, windowMs: 10_000 }, resetStyle: 'epoch' }, clock);
    const relative = limitedStore({ perToken: { requests: 5, windowMs: 10_000 }, resetStyle: 'relative' }, clock);
    expect((await epoch.get(7)).headers['x-ratelimit-reset']).toBe(String(Math.floor(start / 1000) + 10));
    expect((await relative.get(7)).headers['x-ratelimit-reset']).toBe('10');
    clock.advance(4_000);
    expect((await relative.get(7)).headers['x-ratelimit-reset']).toBe('6');
  });

  it('bans a token after repeated 429s, with a long Retry-After that outlasts the window', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore(
      { perToken: { requests: 1, windowMs: 1000 }, ban: { after: 3, withinMs: 5_000, banMs: 30_000 } },
      clock,
    );
    await store.get(7);
    expect((await store.get(7)).headers['retry-after']).toBe('1');
    expect((await store.get(7)).headers['retry-after']).toBe('1');
    const banning = await store.get(7);
    expect([banning.status, banning.headers['retry-after']]).toEqual([429, '30']);
    clock.advance(5_000);
    const banned = await store.get(7);
    expect([banned.status, banned.headers['retry-after'], banned.headers['x-ratelimit-remaining']]).toEqual([429, '25', '0']);
    expect((await store.get(8)).status).toBe(200);
    clock.advance(25_000);
    expect((await store.get(7)).status).toBe(200);
  });

  it('enforces the default per-token window when the scenario sets no limits, at exactly what its headers advertise', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore(undefined, clock);
    const { requests } = DEFAULT_RATE_LIMITS.perToken;
    const answers: Reply[] = [];
    for (let i = 0; i < requests + 1; i++) answers.push(await store.get(7));
    const first = answers[0]!;
    expect(first.headers['x-ratelimit-limit']).toBe(String(requests));
    // Advertised: this request and `remaining` more; the one after them is refused.
    const allowed = 1 + Number(first.headers['x-ratelimit-remaining']);
    expect(answers.slice(0, allowed).every((a) => a.status === 200)).toBe(true);
    const refused = answers[allowed]!;
    const minuteEnd = Date.UTC(2025, 0, 1, 12, 1, 0);
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, String(Math.ceil((minuteEnd - start) / 1000))]);
    expect(refused.headers['x-ratelimit-reset']).toBe(String(minuteEnd / 1000));
    expect(store.served()).toBe(requests);
  });

  it('enforces the default per-IP window when the scenario sets only a per-token one, and says so once it is the tightest', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perToken: { requests: 5, windowMs: 1000 } }, clock);
    const { requests } = DEFAULT_RATE_LIMITS.perIp;
    const answers: Reply[] = [];
    // A new user each time: no token window is ever the one that refuses.
    for (let user = 1; user <= requests + 1; user++) answers.push(await store.get(user));
    expect(answers.slice(0, requests).every((a) => a.status === 200)).toBe(true);
    const refused = answers[requests]!;
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '60']);
    expect(limitHeaders(refused).slice(0, 2)).toEqual([String(requests), '0']);
    // While the IP had more left than a token's window, the token's window was the one advertised.
    expect(limitHeaders(answers[0]!).slice(0, 2)).toEqual(['5', '4']);
    expect(limitHeaders(answers[requests - 1]!).slice(0, 2)).toEqual([String(requests), '0']);
    expect(store.served()).toBe(requests);
    expect((await store.get(1, '127.0.0.9')).status).toBe(200);
  });

  it('answers a request that carries no token with the per-IP window it was counted in', async () => {
    const clock = new ManualClock(start);
    const store = limitedStore({ perIp: { requests: 4, windowMs: 1000 } }, clock);
    await store.get(7);
    const anonymous = await store.get(null);
    expect(anonymous.status).toBe(401);
    expect(limitHeaders(anonymous)).toEqual(['4', '2', String(Math.floor(start / 1000) + 1)]);
  });

  it('refuses a ban without a per-token limit and unknown keys in the policy', () => {
    const paths = (input: unknown) => {
      const r = rateLimitPolicySchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ ban: { after: 1, withinMs: 1, banMs: 1 } })).toEqual(['ban']);
    expect(paths({ perTokn: { requests: 1, windowMs: 1 } })).toEqual(['']);
    expect(paths({ perIp: { requests: 0, windowMs: 1000 }, resetStyle: 'sometimes' }).sort()).toEqual(['perIp.requests', 'resetStyle']);
  });
});
