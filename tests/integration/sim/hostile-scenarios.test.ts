/** Each named hostile scenario, as a store over real HTTP on a manual clock: its hostility shows on the wire. */
import { errors } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { scenarioByName } from '../../../sim/scenarios.js';
import type { SimStore } from '../../../sim/store/index.js';
import type { ManualClock } from '../../support/manual-clock.js';
import { call, startTestStore, type HttpAnswer } from './store-http.js';

const SETTINGS = '/api/v1/shop/settings';

describe('hostile scenarios over HTTP', () => {
  let store: SimStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const start = async (name: string): Promise<{ store: SimStore; clock: ManualClock; token: string }> => {
    const started = await startTestStore(scenarioByName(name).store);
    store = started.store;
    return { store: started.store, clock: started.clock, token: started.store.issueToken(1001) };
  };
  const burst = async (s: SimStore, n: number, token: string, path = SETTINGS): Promise<HttpAnswer[]> => {
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < n; i++) answers.push(await call(s, 'GET', path, { token }));
    return answers;
  };

  it('hostile-429: a few requests a second per token, then 429s; x-ratelimit-reset in epoch seconds', async () => {
    const { store, clock, token } = await start('hostile-429');
    const answers = await burst(store, 4, token);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(Number(answers[0]!.headers['x-ratelimit-reset'])).toBe(Math.ceil(clock.now() / 1000));
  });

  it('hostile-relative-reset: the same limits, x-ratelimit-reset in seconds from now', async () => {
    const { store, token } = await start('hostile-relative-reset');
    const answers = await burst(store, 4, token);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0]!.headers['x-ratelimit-reset']).toBe('1');
  });

  it('hostile-5xx-burst: the first API requests answer 503', async () => {
    const { store, token } = await start('hostile-5xx-burst');
    expect((await burst(store, 5, token)).map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
  });

  it('hostile-malformed: some 200s carry JSON that does not parse, the rest parse', async () => {
    const { store, token } = await start('hostile-malformed');
    const parses = (await burst(store, 40, token)).map((a) => {
      try {
        JSON.parse(a.text);
        return true;
      } catch {
        return false;
      }
    });
    expect(parses).toContain(false);
    expect(parses).toContain(true);
  });

  it('hostile-html: the first API requests get an HTML 502 page', async () => {
    const { store, token } = await start('hostile-html');
    const answers = await burst(store, 3, token);
    expect(answers.map((a) => [a.status, a.headers['content-type']])).toEqual(Array(3).fill([502, 'text/html']));
  });

  it('hostile-slow: some requests are held past a client timeout', async () => {
    const { store, token } = await start('hostile-slow');
    const outcomes: string[] = [];
    for (let i = 0; i < 20 && !outcomes.includes('timeout'); i++) {
      outcomes.push(
        await call(store, 'GET', SETTINGS, { token, headersTimeoutMs: 500 }).then(
          (a) => String(a.status),
          (e: unknown) => (e instanceof errors.HeadersTimeoutError ? 'timeout' : String(e)),
        ),
      );
    }
    expect(outcomes).toContain('timeout');
    expect(outcomes.every((o) => o === '200' || o === 'timeout')).toBe(true);
  });

  it('hostile-reset: some connections are dropped without an answer', async () => {
    const { store, token } = await start('hostile-reset');
    const outcomes: string[] = [];
    for (let i = 0; i < 60 && !outcomes.includes('reset'); i++) {
      outcomes.push(
        await call(store, 'GET', SETTINGS, { token }).then(
          (a) => String(a.status),
          (e: unknown) => (e instanceof errors.SocketError ? 'reset' : String(e)),
        ),
      );
    }
    expect(outcomes).toContain('reset');
    expect(store.stats().byStatus['reset']).toBe(1);
  });

  it('retry-after-storm: the first 12 API requests answer 429 with Retry-After: 1', async () => {
    const { store, token } = await start('retry-after-storm');
    const answers = await burst(store, 13, token);
    expect(answers.slice(0, 12).every((a) => a.status === 429 && a.headers['retry-after'] === '1')).toBe(true);
    expect(answers[12]!.status).toBe(200);
    expect(store.stats().http429).toBe(12);
  });

  it('token-expiry: a token the world issues stops working after a few seconds', async () => {
    const { store, clock, token } = await start('token-expiry');
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(200);
    clock.advance(5_000);
    expect((await call(store, 'GET', SETTINGS, { token })).status).toBe(401);
  });

  it('limiter-bench: 20 requests a second per token pass, the 21st is refused, the drop is already out', async () => {
    const { store, clock, token } = await start('limiter-bench');
    const answers = await burst(store, 21, token, '/api/v1/collection/1');
    expect(answers.slice(0, 20).every((a) => a.status === 200)).toBe(true);
    expect([answers[20]!.status, answers[0]!.headers['x-ratelimit-limit']]).toEqual([429, '20']);
    clock.advance(1000);
    expect((await call(store, 'GET', '/api/v1/collection/1', { token })).status).toBe(200);
    expect((await call(store, 'GET', SETTINGS, { token: store.issueToken(1002) })).status).toBe(200);
  });
});
