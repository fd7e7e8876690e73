/** Store tokens from the web-app login: fresh initData from a WebAppLogin, exchanged through the store's login call;
 *  busy answers (the limiter holding the call, 429, 5xx) are waited out as told, within the caller's signal; a refusal
 *  ends the attempt at once. The login plugin and the store call are scripted here. */
import { isPermanent } from '../../../../core/errors.js';
import { describe, expect, it } from 'vitest';
import { obtainWithin, webAppToken, type StoreLogin } from '../../../../core/actors/auth-token.js';
import type { WebAppLogin } from '../../../../core/plugins/web-app-login.js';
import {
  StoreAuthError,
  StoreHttpError,
  StoreMalformed,
  StoreRateLimited,
  StoreRejected,
  StoreTokenUnavailable,
} from '../../../../core/store/store-error.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmVk';
/** initData as Telegram hands it over: percent-escapes, `+` for spaces and `&` between fields. */
const INIT_DATA = 'query_id=AAH&user=%7B%22id%22%3A1001%2C%22first_name%22%3A%22Ann+Bob+100%25%22%7D&auth_date=1735732800&hash=ab12';
const AUTH_URL = 'http://store/api/v1/auth';

/** A login plugin that hands out INIT_DATA (or fails with `error`), recording who asked. */
function telegram(error?: Error): WebAppLogin & { asked: { account: string; signal: AbortSignal }[] } {
  const asked: { account: string; signal: AbortSignal }[] = [];
  return {
    id: 'telegram',
    asked,
    unavailableFor: async () => null,
    initData: async (account, signal) => {
      asked.push({ account, signal });
      if (error) throw error;
      return INIT_DATA;
    },
  };
}

interface LoginCall {
  readonly initData: string;
  readonly signal: AbortSignal | undefined;
  readonly at: number;
}

/** A store whose login answers are scripted in turn: a token, or an error to throw. The last answer repeats. */
function store(...answers: (string | Error | (() => Error))[]): StoreLogin & { calls: LoginCall[] } {
  const calls: LoginCall[] = [];
  return {
    calls,
    logIn: async (initData, signal) => {
      calls.push({ initData, signal, at: Date.now() });
      const a = answers[Math.min(calls.length, answers.length) - 1]!;
      if (typeof a === 'string') return a;
      throw typeof a === 'function' ? a() : a;
    },
  };
}

const http = (status: number, retryAfterMs?: number): StoreHttpError =>
  new StoreHttpError(status, { op: 'auth', url: AUTH_URL, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

/** The rejection of `p`, or a failure of the test if `p` resolves. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then((value) => expect.fail(`expected a failure, got ${String(value)}`), (e: unknown) => e);
}

/** Polls `cond` until it holds, or fails the test. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('webAppToken', () => {
  it('logs in with the initData the login plugin gives for the account, unchanged', async () => {
    const login = telegram();
    const s = store(JWT);
    const source = webAppToken(login, 'alice', () => s);
    expect(source.kind).toBe('telegram');
    const signal = new AbortController().signal;
    expect(await source.obtain(signal)).toBe(JWT);
    expect(login.asked.map((a) => a.account)).toEqual(['alice']);
    expect(login.asked[0]!.signal).toBe(signal);
    expect(s.calls.map((c) => c.initData)).toEqual([INIT_DATA]);
    expect(s.calls[0]!.signal).toBe(signal);
  });

  it('asks for fresh initData on every token it obtains', async () => {
    const login = telegram();
    const source = webAppToken(login, 'alice', () => store(JWT));
    await source.obtain(new AbortController().signal);
    await source.obtain(new AbortController().signal);
    expect(login.asked).toHaveLength(2);
  });

  it('waits until the limiter lets the login through, then succeeds', async () => {
    let retryAt = 0;
    const held = (): StoreRateLimited => {
      retryAt = Date.now() + 120;
      return new StoreRateLimited(retryAt, { op: 'auth', pool: 'ip:direct', reason: 'retry-after' });
    };
    const s = store(held, JWT);
    expect(await webAppToken(telegram(), 'alice', () => s).obtain(new AbortController().signal)).toBe(JWT);
    expect(s.calls).toHaveLength(2);
    // Not asked again before the time the limiter named (a millisecond of clock rounding allowed).
    expect(s.calls[1]!.at).toBeGreaterThanOrEqual(retryAt - 1);
    expect(s.calls[1]!.initData).toBe(INIT_DATA);
  });

  it('waits out a 429 for its Retry-After, and busy answers in a row, then succeeds', async () => {
    const s = store(http(429, 300), http(503, 0), JWT);
    expect(await webAppToken(telegram(), 'alice', () => s).obtain(new AbortController().signal)).toBe(JWT);
    expect(s.calls).toHaveLength(3);
    expect(s.calls[1]!.at - s.calls[0]!.at).toBeGreaterThanOrEqual(299);
  });

  it('gives up at once when the store refuses the initData (401 invalid_init_data)', async () => {
    const refused = new StoreAuthError(401, { op: 'auth', url: AUTH_URL, errorCode: 'invalid_init_data' });
    const s = store(refused, JWT);
    const e = await failure(webAppToken(telegram(), 'alice', () => s).obtain(new AbortController().signal));
    // A refused login is permanent (arming fails at once) and says what to do, naming the account.
    expect(e).toBeInstanceOf(StoreAuthError);
    expect(e).toMatchObject({ code: 'STORE_LOGIN_REFUSED', status: 401 });
    expect(isPermanent(e)).toBe(true);
    expect((e as Error).message).toMatch(/account alice \(invalid_init_data\).*automint login --account alice/);
    expect(s.calls).toHaveLength(1);
  });

  it('gives up at once on other refusals and on a garbled answer', async () => {
    for (const e of [
      new StoreRejected('payload_too_large', 413, { op: 'auth', url: AUTH_URL }),
      new StoreMalformed('data: not a JWT', { op: 'auth', url: AUTH_URL, status: 200 }),
      http(400),
    ]) {
      const s = store(e, JWT);
      expect(await failure(webAppToken(telegram(), 'alice', () => s).obtain(new AbortController().signal))).toBe(e);
      expect(s.calls).toHaveLength(1);
    }
  });

  it('does not ask the store when the login plugin has no initData', async () => {
    const e = new StoreTokenUnavailable('failed', { source: 'telegram' });
    const s = store(JWT);
    expect(await failure(webAppToken(telegram(e), 'alice', () => s).obtain(new AbortController().signal))).toBe(e);
    expect(s.calls).toEqual([]);
  });

  it('stops waiting the moment its caller aborts, without asking again', async () => {
    const s = store(http(429, 60_000), JWT);
    const stop = new AbortController();
    const pending = failure(webAppToken(telegram(), 'alice', () => s).obtain(stop.signal));
    await until(() => s.calls.length === 1);
    stop.abort(new Error('run stopped'));
    const e = await pending;
    expect((e as Error).name).toBe('AbortError');
    expect(s.calls).toHaveLength(1);
  });

  it('does not wait on a busy answer for a caller that already gave up', async () => {
    const s = store(http(503, 0), JWT);
    const stop = new AbortController();
    stop.abort();
    expect((await failure(webAppToken(telegram(), 'alice', () => s).obtain(stop.signal)) as Error).name).toBe('AbortError');
    expect(s.calls).toHaveLength(1);
  });

  it('is bounded by the auth actor\'s time limit while the store stays busy', async () => {
    const s = store(http(429, 100));
    const e = await failure(obtainWithin(webAppToken(telegram(), 'alice', () => s), 600, new AbortController().signal));
    expect(e).toBeInstanceOf(StoreTokenUnavailable);
    expect((e as StoreTokenUnavailable).code).toBe('STORE_TOKEN_TIMEOUT');
    expect(s.calls.length).toBeGreaterThanOrEqual(2);
    // The login loop was told to stop: its signal, the one every store call got, is aborted.
    expect(s.calls.every((c) => c.signal?.aborted === true)).toBe(true);
  });
});
