/** Every world's store enforces the rate limits its headers advertise, per token and per IP, over real HTTP on a
 *  manual clock: the scenario's own windows, else the store's defaults; never a window that is only advertised. */
import { afterEach, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../../sim/scenarios.js';
import { enforcedPolicy, type SimStore } from '../../../sim/store/index.js';
import { call, startTestStore, type HttpAnswer } from '../../integration/sim/store-http.js';

const SETTINGS = '/api/v1/shop/settings';
/** What a client that carries no token yet sends first: a login, counted by IP only. */
const LOGIN = '/api/v1/auth';

let store: SimStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** A store built from the world `name`, its faults cleared: they answer in front of the limits, and these tests are
 *  about the limits. */
async function worldStore(name: string) {
  const started = await startTestStore(SCENARIOS[name]!.store);
  store = started.store;
  started.store.setFaults(null);
  return { ...started, policy: enforcedPolicy(SCENARIOS[name]!.store(started.clock.now()).rateLimits) };
}

/** `x-ratelimit-limit`, `-remaining` and `-reset` as numbers. */
function advertised(a: HttpAnswer): { limit: number; remaining: number; reset: number } {
  return {
    limit: Number(a.headers['x-ratelimit-limit']),
    remaining: Number(a.headers['x-ratelimit-remaining']),
    reset: Number(a.headers['x-ratelimit-reset']),
  };
}

/** Seconds until the window of `windowMs` that holds `now` ends, as Retry-After says it (at least 1). */
function secondsToWindowEnd(now: number, windowMs: number): number {
  return Math.max(1, Math.ceil((windowMs - (now % windowMs)) / 1000));
}

const WORLDS = Object.keys(SCENARIOS);

describe('every world enforces the limits it advertises', () => {
  it.each(WORLDS)('%s: a token past its advertised window is answered 429 with Retry-After', async (name) => {
    const { store, clock, policy } = await worldStore(name);
    const token = store.issueToken(1000);
    const first = await call(store, 'GET', SETTINGS, { token });
    expect(first.status).toBe(200);
    // The headers advertise the per-token window: its size, and this request counted in it.
    expect(advertised(first).limit).toBe(policy.perToken.requests);
    expect(advertised(first).remaining).toBe(policy.perToken.requests - 1);
    // Exactly as many more as advertised go through; the next is refused until the window ends.
    for (let i = 0; i < advertised(first).remaining; i++) expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    const refused = await call(store, 'GET', SETTINGS, { token });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(secondsToWindowEnd(clock.now(), policy.perToken.windowMs)));
    expect(advertised(refused)).toMatchObject({ limit: policy.perToken.requests, remaining: 0 });
  });

  it.each(WORLDS)('%s: an IP past its advertised window is answered 429 with Retry-After, whatever tokens it carries', async (name) => {
    const { store, clock, policy } = await worldStore(name);
    // A login carries no token: it meets the per-IP window alone, and its headers advertise that one.
    const login = await call(store, 'POST', LOGIN, { body: 'not initData' });
    expect(login.status).toBe(401);
    expect(advertised(login).limit).toBe(policy.perIp.requests);
    const left = advertised(login).remaining;
    expect(left).toBe(policy.perIp.requests - 1);
    // Spread over users so no token's own window refuses first.
    const perUser = policy.perToken.requests;
    for (let i = 0; i < left; i++) {
      const a = await call(store, 'GET', SETTINGS, { token: store.issueToken(2000 + Math.floor(i / perUser)) });
      expect(a.status).toBe(200);
    }
    const refused = await call(store, 'GET', SETTINGS, { token: store.issueToken(1) });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(secondsToWindowEnd(clock.now(), policy.perIp.windowMs)));
    expect(advertised(refused)).toMatchObject({ limit: policy.perIp.requests, remaining: 0 });
  });
});
