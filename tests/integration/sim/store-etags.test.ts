/** ETags and 304s of the simulated store's pollable reads, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimStore } from '../../../sim/store/index.js';
import { storeScenario } from '../../support/store-scenario.js';
import { call, envelope, startTestStore } from './store-http.js';

const READS = ['/api/v1/collection/10', '/api/v1/collections', '/api/v1/shop/price/crypto?collection=10&character=1'];

describe('simulated store ETags over HTTP', () => {
  let store: SimStore;
  let token: string;
  let nextUser = 2000;
  /** Each user may make 4 requests a minute here, so checks that need more take a user of their own. */
  const freshToken = (): string => store.issueToken(nextUser++);
  beforeAll(async () => {
    ({ store } = await startTestStore((now) => storeScenario(now - 1, { rateLimits: { perToken: { requests: 4, windowMs: 60_000 } } })));
    token = freshToken();
  });
  afterAll(() => store.close());

  it('tags each pollable read with a strong ETag and answers a matching If-None-Match with an empty 304', async () => {
    for (const path of READS) {
      const token = freshToken();
      const first = await call(store, 'GET', path, { token });
      const etag = first.headers['etag'];
      expect(typeof etag === 'string' && /^"[^"]+"$/.test(etag)).toBe(true);
      expect(first.headers['cache-control']).toBe('no-cache');
      const again = await call(store, 'GET', path, { token, headers: { 'if-none-match': etag as string } });
      expect([again.status, again.text, again.headers['etag']]).toEqual([304, '', etag]);
      const weak = await call(store, 'GET', path, { token, headers: { 'if-none-match': `"other", W/${etag as string}` } });
      expect(weak.status).toBe(304);
      const stale = await call(store, 'GET', path, { token, headers: { 'if-none-match': '"stale"' } });
      expect([stale.status, stale.headers['etag'], envelope(stale).ok]).toEqual([200, etag, true]);
    }
  });

  it('gives a changed body a new tag: stock taken by an order moves the collection ETag', async () => {
    const first = await call(store, 'GET', '/api/v1/collection/10', { token });
    const etag = first.headers['etag'] as string;
    const order = await call(store, 'POST', '/api/v1/shop/buy/crypto?collection=10&character=2&currency=TON&count=1', { token });
    expect(order.status).toBe(200);
    const after = await call(store, 'GET', '/api/v1/collection/10', { token, headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers['etag']).not.toBe(etag);
    expect(after.headers['etag']).toBeDefined();
  });

  it('charges a 304 against the rate limit like any request', async () => {
    const own = freshToken();
    const first = await call(store, 'GET', '/api/v1/collections', { token: own });
    const conditional = { token: own, headers: { 'if-none-match': first.headers['etag'] as string } };
    const remaining: unknown[] = [first.headers['x-ratelimit-remaining']];
    const statuses: number[] = [first.status];
    for (let i = 0; i < 4; i++) {
      const a = await call(store, 'GET', '/api/v1/collections', conditional);
      statuses.push(a.status);
      remaining.push(a.headers['x-ratelimit-remaining']);
    }
    expect(statuses).toEqual([200, 304, 304, 304, 429]);
    expect(remaining).toEqual(['3', '2', '1', '0', '0']);
  });

  it('puts no ETag on other routes', async () => {
    const settings = await call(store, 'GET', '/api/v1/shop/settings', { token: freshToken() });
    expect([settings.status, settings.headers['etag']]).toEqual([200, undefined]);
  });
});
