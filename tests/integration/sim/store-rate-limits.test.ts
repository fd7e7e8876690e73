/** Enforced rate limits of the simulated store over real HTTP, on a manual clock. */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, type SimStore, type StoreScenario } from '../../../sim/store/index.js';
import { storeScenario } from '../../support/store-scenario.js';
import { call, envelope, startTestStore } from './store-http.js';

const SETTINGS = '/api/v1/shop/settings';

describe('simulated store rate limits over HTTP', () => {
  let store: SimStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const start = async (limits: StoreScenario['rateLimits']) => {
    const started = await startTestStore((now) => storeScenario(now - 1, { rateLimits: limits }));
    store = started.store;
    return started;
  };

  it('answers 429 too_many_requests with Retry-After past the per-token limit and counts it in stats', async () => {
    const { store, clock } = await start({ perToken: { requests: 2, windowMs: 1000 } });
    const token = store.issueToken(1001);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await call(store, 'GET', SETTINGS, { token }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(envelope(answers[2]!)).toEqual({ ok: false, errorCode: 'too_many_requests' });
    expect(answers[2]!.headers['retry-after']).toBe('1');
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['1', '0', '0']);
    expect(answers.every((a) => a.headers['x-ratelimit-limit'] === '2')).toBe(true);
    expect(answers[0]!.headers['x-ratelimit-reset']).toBe(String(Math.ceil(clock.now() / 1000)));
    expect((await call(store, 'GET', SETTINGS, { token: store.issueToken(1002) })).status).toBe(200);
    clock.advance(750);
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    const stats = store.stats();
    expect([stats.requests, stats.http429]).toEqual([5, 1]);
    expect(stats.byRoute['GET /api/v1/shop/settings']).toEqual({ requests: 5, http429: 1, byStatus: { '200': 4, '429': 1 } });
    expect(envelope(await call(store, 'GET', '/admin/stats')).data).toEqual(stats);
  });

  it('limits per client IP before the token is checked, so bad tokens use up the window too', async () => {
    const { store } = await start({ perIp: { requests: 3, windowMs: 60_000 } });
    expect((await call(store, 'GET', SETTINGS)).status).toBe(401);
    expect((await call(store, 'GET', SETTINGS, { token: 'not.a.jwt' })).status).toBe(401);
    expect((await call(store, 'GET', SETTINGS, { token: store.issueToken(1001) })).status).toBe(200);
    const refused = await call(store, 'GET', SETTINGS, { token: store.issueToken(1002) });
    expect([refused.status, envelope(refused).errorCode]).toEqual([429, 'too_many_requests']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('writes x-ratelimit-reset as seconds from now when the scenario says relative', async () => {
    const { store, clock } = await start({ perToken: { requests: 5, windowMs: 10_000 }, resetStyle: 'relative' });
    const token = store.issueToken(1001);
    expect((await call(store, 'GET', SETTINGS, { token })).headers['x-ratelimit-reset']).toBe('10');
    clock.advance(7_000);
    expect((await call(store, 'GET', SETTINGS, { token })).headers['x-ratelimit-reset']).toBe('3');
  });

  it('bans a token that keeps hitting the limit, with a long Retry-After, then lets it back', async () => {
    const { store, clock } = await start({
      perToken: { requests: 1, windowMs: 1000 },
      ban: { after: 2, withinMs: 10_000, banMs: 120_000 },
    });
    const token = store.issueToken(1001);
    await call(store, 'GET', SETTINGS, { token });
    expect((await call(store, 'GET', SETTINGS, { token })).headers['retry-after']).toBe('1');
    expect((await call(store, 'GET', SETTINGS, { token })).headers['retry-after']).toBe('120');
    clock.advance(60_000);
    const banned = await call(store, 'GET', SETTINGS, { token });
    expect([banned.status, banned.headers['retry-after']]).toEqual([429, '60']);
    clock.advance(60_000);
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    expect(store.stats().http429).toBe(3);
  });

  it('enforces the default per-token window without limits in the scenario, on every API reply, unknown routes too', async () => {
    const { store } = await start(undefined);
    const token = store.issueToken(1001);
    const { requests } = DEFAULT_RATE_LIMITS.perToken;
    for (let i = 0; i < requests - 1; i++) expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    const last = await call(store, 'GET', '/api/v1/nope', { token });
    expect([last.status, last.headers['x-ratelimit-limit'], last.headers['x-ratelimit-remaining']]).toEqual([404, String(requests), '0']);
    const refused = await call(store, 'GET', SETTINGS, { token });
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '60']);
    expect(store.stats().http429).toBe(1);
  });

  it('neither limits nor counts the admin API', async () => {
    const { store } = await start({ perIp: { requests: 1, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) {
      const a = await call(store, 'GET', '/admin/stock');
      expect([a.status, a.headers['x-ratelimit-limit']]).toEqual([200, undefined]);
    }
    expect(store.stats().requests).toBe(0);
  });
});
