/** Injected faults of the simulated store, one per kind, over real HTTP: set from code, through the admin API and
 *  from the scenario at start. */
import { errors } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultPlan, SimStore } from '../../../sim/store/index.js';
import { FaultPlanInvalid } from '../../../sim/store/index.js';
import { storeScenario } from '../../support/store-scenario.js';
import { call, envelope, startTestStore, waitFor, type HttpAnswer } from './store-http.js';

const COLLECTION = '/api/v1/collection/10';
const SETTINGS = '/api/v1/shop/settings';
const buy = (character: number) => `/api/v1/shop/buy/crypto?collection=10&character=${character}&currency=TON&count=1`;

describe('simulated store faults over HTTP', () => {
  let store: SimStore;
  let nextUser = 3000;
  const freshToken = (): string => store.issueToken(nextUser++);
  beforeAll(async () => {
    ({ store } = await startTestStore((now) => storeScenario(now - 1, { cryptoOrdersLimit: 5, seed: 99 })));
  });
  afterEach(() => store.setFaults(null));
  afterAll(() => store.close());

  const postFaults = (plan: unknown): Promise<HttpAnswer> => call(store, 'POST', '/admin/faults', { body: JSON.stringify(plan) });

  it('answers a burst of server errors with the status asked for, then recovers', async () => {
    store.setFaults({ status5xx: { burst: 2, status: 503 } });
    const token = freshToken();
    const answers = [await call(store, 'GET', SETTINGS, { token }), await call(store, 'GET', SETTINGS, { token })];
    expect(answers.map((a) => [a.status, envelope(a)])).toEqual([
      [503, { ok: false, errorCode: 'service_unavailable' }],
      [503, { ok: false, errorCode: 'service_unavailable' }],
    ]);
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    expect(store.faultState().injected).toEqual({ status5xx: 2 });
  });

  it('sends JSON that does not parse, after the store acted on the request', async () => {
    const token = freshToken();
    store.setFaults({ malformedJson: { burst: 1 }, routes: ['POST /api/v1/shop/buy/crypto'] });
    const before = store.orders().length;
    const spoiled = await call(store, 'POST', buy(1), { token });
    expect([spoiled.status, spoiled.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    expect(() => JSON.parse(spoiled.text) as unknown).toThrow(SyntaxError);
    expect(spoiled.text.startsWith('{"ok":true')).toBe(true);
    expect(store.orders()).toHaveLength(before + 1);
  });

  it('answers with a proxy HTML error page instead of JSON', async () => {
    store.setFaults({ htmlErrorPage: { burst: 1 } });
    const page = await call(store, 'GET', COLLECTION, { token: freshToken() });
    expect([page.status, page.headers['content-type']]).toEqual([502, 'text/html']);
    expect(page.text).toContain('<title>502 Bad Gateway</title>');
    expect(page.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('holds a slowed request past a client timeout, then acts on it anyway', async () => {
    const token = freshToken();
    store.setFaults({ slowMs: { ms: 1000, burst: 1 }, routes: ['POST /api/v1/shop/buy/crypto'] });
    const before = store.orders().length;
    await expect(call(store, 'POST', buy(1), { token, headersTimeoutMs: 100 })).rejects.toBeInstanceOf(errors.HeadersTimeoutError);
    await waitFor(() => store.orders().length, (n) => n === before + 1);
    expect((await call(store, 'GET', COLLECTION, { token })).status).toBe(200);
  });

  it('drops the connection without an answer, after the store acted on the request', async () => {
    const token = freshToken();
    store.setFaults({ connectionReset: { burst: 1 } });
    const before = store.orders().length;
    await expect(call(store, 'POST', buy(1), { token })).rejects.toBeInstanceOf(errors.SocketError);
    expect(store.orders()).toHaveLength(before + 1);
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    expect(store.stats().byStatus['reset']).toBe(1);
  });

  it('storms 429s with Retry-After for the next N requests, whatever the limits, counted as 429s', async () => {
    const token = freshToken();
    const before = store.stats().http429;
    store.setFaults({ retryAfterStorm: { burst: 3, retryAfterSec: 7 } });
    const storm = [];
    for (let i = 0; i < 4; i++) storm.push(await call(store, 'GET', COLLECTION, { token }));
    expect(storm.map((a) => [a.status, a.headers['retry-after']])).toEqual([[429, '7'], [429, '7'], [429, '7'], [200, undefined]]);
    expect(envelope(storm[0]!)).toEqual({ ok: false, errorCode: 'too_many_requests' });
    expect(store.stats().http429 - before).toBe(3);
    expect(store.stats().byRoute['GET /api/v1/collection/:id']!.http429).toBeGreaterThanOrEqual(3);
  });

  it('faults only the routes named', async () => {
    const token = freshToken();
    store.setFaults({ status5xx: { rate: 1 }, routes: ['/api/v1/collection/:id'] });
    expect((await call(store, 'GET', COLLECTION, { token })).status).toBe(500);
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    expect((await call(store, 'GET', '/api/v1/collections', { token })).status).toBe(200);
  });

  it('is steered through POST and DELETE /admin/faults, which are never faulted themselves', async () => {
    const token = freshToken();
    const set = await postFaults({ status5xx: { rate: 1, status: 502 } });
    expect(set.status).toBe(200);
    expect(envelope(set).data).toEqual({ plan: { status5xx: { rate: 1, status: 502 } }, burstsLeft: {}, injected: {} });
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(502);
    expect((await call(store, 'GET', '/admin/stock')).status).toBe(200);
    expect(envelope(await call(store, 'GET', '/admin/faults')).data).toMatchObject({ injected: { status5xx: 1 } });
    const cleared = await call(store, 'DELETE', '/admin/faults');
    expect(envelope(cleared).data).toEqual({ plan: null, burstsLeft: {}, injected: {} });
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
  });

  it('refuses a fault plan it cannot apply with invalid_params, keeping the faults in force', async () => {
    store.setFaults({ htmlErrorPage: { burst: 5 } });
    for (const body of ['{not json', JSON.stringify({ status5xx: { rate: 2 } }), JSON.stringify({ timeout: { burst: 1 } })]) {
      const a = await call(store, 'POST', '/admin/faults', { body });
      expect([a.status, envelope(a)]).toEqual([400, { ok: false, errorCode: 'invalid_params' }]);
    }
    expect(store.faultState().burstsLeft).toEqual({ htmlErrorPage: 5 });
    expect(() => store.setFaults({ malformedJson: {} } as FaultPlan)).toThrow(FaultPlanInvalid);
  });

  it('meets the same faults on the same requests when the same plan is set again (seeded)', async () => {
    const token = freshToken();
    const run = async (): Promise<number[]> => {
      await postFaults({ status5xx: { rate: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await call(store, 'GET', SETTINGS, { token })).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});

describe('simulated store faults from the scenario', () => {
  it('applies the scenario faults from the first request', async () => {
    const { store } = await startTestStore((now) => storeScenario(now - 1, { faults: { status5xx: { burst: 1, status: 502 } } }));
    try {
      const token = store.issueToken(1001);
      expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(502);
      expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    } finally {
      await store.close();
    }
  });

  it('closes promptly while a slowed request is still waiting', async () => {
    const { store } = await startTestStore((now) => storeScenario(now - 1, { faults: { slowMs: { ms: 600_000, burst: 1 } } }));
    const pending = call(store, 'GET', SETTINGS, { token: store.issueToken(1001) }).catch((e: unknown) => e);
    await waitFor(() => store.faultState().injected.slowMs ?? 0, (n) => n === 1);
    await store.close();
    expect(await pending).toBeInstanceOf(errors.SocketError);
  });
});
