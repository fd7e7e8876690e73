/** `POST /api/v1/auth` of the simulated store over real HTTP: initData signed for the store's bot buys a token that
 *  works on the rest of the API; tampered, twice-decoded, old, oversized or fault-refused initData buys nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimStore } from '../../../../sim/store/index.js';
import { signWebAppData, type WebAppUser } from '../../../../sim/web-app-data.js';
import type { ManualClock } from '../../../support/manual-clock.js';
import { storeScenario } from '../../../support/store-scenario.js';
import { call, envelope, startTestStore, type HttpAnswer } from '../store-http.js';

/** Names with `&`, `+`, `%`, spaces and an emoji, as the world's buyers have them: URL-decoding the initData once more
 *  changes them, as it would at the real store. */
const ANN: WebAppUser = { id: 1001, first_name: 'Ann+Bob 100% & Co 🐱', username: 'ann & co+1 100% 🐱_7' };

function claimsOf(jwt: string): Record<string, unknown> {
  const [header, payload] = jwt.split('.') as [string, string];
  expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toMatchObject({ alg: 'HS256' });
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('store login from initData over HTTP', () => {
  let store: SimStore;
  let clock: ManualClock;
  beforeAll(async () => {
    ({ store, clock } = await startTestStore((now) => storeScenario(now - 1)));
  });
  afterAll(() => store.close());

  const nowSec = (): number => Math.floor(clock.now() / 1000);
  const initData = (user: WebAppUser = ANN, authDate = nowSec()): string =>
    signWebAppData(store.telegramBot.token, user, { authDate, queryId: 'AAHdF6IQAAAAAN0XohDhrOrc' });
  const logIn = (body: string, contentType = 'text/plain'): Promise<HttpAnswer> =>
    call(store, 'POST', '/api/v1/auth', { body, headers: { 'content-type': contentType } });

  it('answers correctly signed initData with a token for its user that works on the shop settings', async () => {
    const answer = await logIn(initData());
    expect(answer.status).toBe(200);
    const { ok, data } = envelope(answer);
    expect(ok).toBe(true);
    expect(typeof data).toBe('string');
    const claims = claimsOf(data as string);
    expect(claims).toMatchObject({ iss: 'https://api.stickerdom.store', sub: '1001' });
    expect(claims['exp']).toBe(nowSec() + 3600);
    const settings = await call(store, 'GET', '/api/v1/shop/settings', { token: data as string });
    expect([settings.status, envelope(settings).ok]).toEqual([200, true]);
  });

  it('takes a form-encoded body exactly as sent, without decoding it', async () => {
    const answer = await logIn(initData({ id: 1002, first_name: 'Bo' }), 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(200);
    expect(claimsOf(envelope(answer).data as string)['sub']).toBe('1002');
  });

  it('refuses tampered, twice-decoded and too old initData with 401 invalid_init_data, counting why', async () => {
    const before = store.stats().auth.refused;
    const tampered = initData().replace('%22id%22%3A1001', '%22id%22%3A1');
    const twiceDecoded = decodeURIComponent(initData());
    const old = initData(ANN, nowSec() - 86_401);
    for (const body of [tampered, twiceDecoded, old, 'hello']) {
      const answer = await logIn(body);
      expect([answer.status, envelope(answer)]).toEqual([401, { ok: false, errorCode: 'invalid_init_data' }]);
    }
    const after = store.stats().auth.refused;
    expect(after['bad-hash'] - before['bad-hash']).toBe(2);
    expect(after.expired - before.expired).toBe(1);
    expect(after.malformed - before.malformed).toBe(1);
  });

  it('accepts initData just inside the 24 hour age limit', async () => {
    expect((await logIn(initData(ANN, nowSec() - 86_400))).status).toBe(200);
  });

  it('refuses a body over 8 KiB before looking at it', async () => {
    const answer = await logIn(`${initData()}&pad=${'x'.repeat(8 * 1024)}`);
    expect([answer.status, envelope(answer)]).toEqual([413, { ok: false, errorCode: 'payload_too_large' }]);
  });

  it('refuses every login while the auth-refuse fault set through the admin API is in force', async () => {
    const set = await call(store, 'POST', '/admin/faults', { body: JSON.stringify({ authRefuse: { rate: 1 } }) });
    expect(set.status).toBe(200);
    try {
      for (let i = 0; i < 3; i++) expect((await logIn(initData())).status).toBe(401);
      expect(store.faultState().injected).toEqual({ authRefuse: 3 });
    } finally {
      await call(store, 'DELETE', '/admin/faults');
    }
    expect((await logIn(initData())).status).toBe(200);
  });

  it('shows logins in the admin stats', async () => {
    const stats = envelope(await call(store, 'GET', '/admin/stats')).data as { auth: { issued: number }; byRoute: Record<string, unknown> };
    expect(stats.auth.issued).toBe(store.stats().auth.issued);
    expect(stats.auth.issued).toBeGreaterThanOrEqual(4);
    expect(stats.byRoute['POST /api/v1/auth']).toBeDefined();
  });
});

describe('store login under rate limits', () => {
  let store: SimStore;
  let clock: ManualClock;
  beforeAll(async () => {
    ({ store, clock } = await startTestStore((now) => storeScenario(now - 1, { rateLimits: { perIp: { requests: 2, windowMs: 60_000 } } })));
  });
  afterAll(() => store.close());

  it('counts logins against the per-IP window and answers 429 with Retry-After once it is spent', async () => {
    const body = signWebAppData(store.telegramBot.token, ANN, { authDate: Math.floor(clock.now() / 1000), queryId: 'q' });
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await call(store, 'POST', '/api/v1/auth', { body }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.headers['retry-after']).toBeDefined();
  });
});
