import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import {
  authMachine,
  configuredToken,
  FAILED_RETRY_MS,
  jwtExpiry,
  REFRESH_BEFORE_MS,
  REFRESH_RETRY_MS,
  tokenProvider,
  type TokenSource,
} from '../../../../core/actors/auth.js';
import type { TokenProvider } from '../../../../core/store/store-client.js';
import { StoreAuthError, StoreTokenUnavailable } from '../../../../core/store/store-error.js';
import { scrub } from '../../../../core/telemetry/secret-registry.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

let serial = 0;
/** An unsigned JWT-shaped token (the actor never checks signatures) expiring at `expMs`; unique per call. */
function token(expMs: number | undefined): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  serial++;
  const payload = expMs === undefined ? { sub: '42', jti: serial } : { sub: '42', jti: serial, exp: Math.floor(expMs / 1000) };
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.signature${serial}`;
}

/** A source that mints a new token living `lifeMs` on every call, like initData → POST /auth would. */
function mintingSource(lifeMs: number): TokenSource & { issued: string[]; fail: Error | null } {
  const source = {
    kind: 'telegram',
    issued: [] as string[],
    fail: null as Error | null,
    async obtain(): Promise<string> {
      if (source.fail) throw source.fail;
      const t = token(Date.now() + lifeMs);
      source.issued.push(t);
      return t;
    },
  };
  return source;
}

/** The rejection of `p`, or a failure of the test if `p` resolves. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

/** Lets promises and due timers run. */
const settle = async (ms = 0): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms);
};

describe('jwtExpiry', () => {
  it('reads exp from the payload as epoch ms', () => {
    expect(jwtExpiry(token(T0 + HOUR))).toBe(T0 + HOUR);
  });

  it('answers null for a token without a readable exp', () => {
    for (const t of ['', 'abc', 'a.b', 'a.!!!.c', `x.${Buffer.from('not json').toString('base64url')}.y`, token(undefined)]) {
      expect(jwtExpiry(t)).toBeNull();
    }
    const part = Buffer.from(JSON.stringify({ exp: 'soon' })).toString('base64url');
    expect(jwtExpiry(`h.${part}.s`)).toBeNull();
  });
});

describe('auth actor', () => {
  let actor: Actor<typeof authMachine> | undefined;
  let tokens: TokenProvider;

  const start = (source: TokenSource, account = 'alice'): Actor<typeof authMachine> => {
    actor = createActor(authMachine, { input: { account, source } });
    actor.start();
    tokens = tokenProvider(actor);
    return actor;
  };
  const state = (): unknown => actor!.getSnapshot().value;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor?.stop();
    actor = undefined;
    vi.useRealTimers();
  });

  describe('with the configured token', () => {
    it('hands out the pasted token while it is valid', async () => {
      const jwt = token(T0 + HOUR);
      start(configuredToken(jwt));
      expect(await tokens.current()).toBe(jwt);
      expect(state()).toBe('ready');
    });

    it('hands a held token out without a round trip to the actor, and asks it once the token has expired', async () => {
      const jwt = token(T0 + 10 * 60_000);
      const a = start(configuredToken(jwt));
      expect(await tokens.current()).toBe(jwt);
      const asked = vi.spyOn(a, 'send');
      expect(await tokens.current()).toBe(jwt);
      expect(asked).not.toHaveBeenCalled();
      // Past exp the actor must decide (here: no newer token, so it fails), not the provider.
      vi.setSystemTime(T0 + 10 * 60_000);
      expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_EXPIRED' });
      expect(asked).toHaveBeenCalled();
    });

    it('refuses an expired pasted token with STORE_TOKEN_EXPIRED, asking for a fresh one without showing it', async () => {
      const jwt = token(T0 - 1_000);
      start(configuredToken(jwt));
      const e = await failure(tokens.current());
      expect(e).toBeInstanceOf(StoreTokenUnavailable);
      expect(e).toBeInstanceOf(StoreAuthError);
      expect(e).toMatchObject({ code: 'STORE_TOKEN_EXPIRED', reason: 'expired', status: null });
      const message = (e as Error).message;
      expect(message).toMatch(/account alice/);
      expect(message).toMatch(/paste a fresh token into accounts\[\]\.storeToken/);
      expect(message + JSON.stringify(e)).not.toContain(jwt);
    });

    it('ends in failed when the pasted token expires during the run, and says so to every later ask', async () => {
      const jwt = token(T0 + 10 * 60_000);
      start(configuredToken(jwt));
      expect(await tokens.current()).toBe(jwt);
      // The refresh time comes, the source has nothing newer: the same token serves until exp.
      await settle(10 * 60_000 - REFRESH_BEFORE_MS);
      expect(state()).toBe('ready');
      expect(await tokens.current()).toBe(jwt);
      await settle(REFRESH_BEFORE_MS);
      expect(state()).toBe('failed');
      expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_EXPIRED' });
    });

    it('answers STORE_TOKEN_REFUSED once the store refused the pasted token, and tries it again after a pause', async () => {
      const jwt = token(T0 + HOUR);
      start(configuredToken(jwt));
      expect(await tokens.current()).toBe(jwt);
      tokens.invalidate(jwt);
      const e = await failure(tokens.current());
      expect(e).toMatchObject({ code: 'STORE_TOKEN_REFUSED' });
      expect((e as Error).message).toMatch(/paste a fresh token/);
      expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_REFUSED' });
      // The refusal may have been a passing fault: after the pause the token gets one more chance.
      await settle(FAILED_RETRY_MS);
      expect(await tokens.current()).toBe(jwt);
    });

    it('serves a token without a readable exp and never plans a refresh for it', async () => {
      const jwt = token(undefined);
      start(configuredToken(jwt));
      expect(await tokens.current()).toBe(jwt);
      expect(actor!.getSnapshot().context.refreshAt).toBeNull();
      await settle(48 * HOUR);
      expect(state()).toBe('ready');
      expect(await tokens.current()).toBe(jwt);
    });
  });

  describe('with a source that can renew', () => {
    it(`renews the token ${REFRESH_BEFORE_MS / 60_000} minutes before it expires`, async () => {
      const source = mintingSource(HOUR);
      start(source);
      const first = await tokens.current();
      await settle(HOUR - REFRESH_BEFORE_MS - 1);
      expect(await tokens.current()).toBe(first);
      await settle(1);
      const second = await tokens.current();
      expect(second).not.toBe(first);
      expect(source.issued).toEqual([first, second]);
      expect(jwtExpiry(second)).toBe(T0 + HOUR - REFRESH_BEFORE_MS + HOUR);
    });

    it('renews a short-lived token halfway through its life, not in a loop', async () => {
      const source = mintingSource(4_000);
      start(source);
      await tokens.current();
      await settle(1_999);
      expect(source.issued).toHaveLength(1);
      await settle(1);
      expect(source.issued).toHaveLength(2);
      await settle(2_000);
      expect(source.issued).toHaveLength(3);
    });

    it('replaces a token the store refused, and only that token', async () => {
      const source = mintingSource(HOUR);
      start(source);
      const first = await tokens.current();
      tokens.invalidate('some-older-token');
      await settle();
      expect(source.issued).toHaveLength(1);
      tokens.invalidate(first);
      const second = await tokens.current();
      expect(second).not.toBe(first);
      // A late refusal of the replaced token (another call that was in flight) costs nothing more.
      tokens.invalidate(first);
      expect(await tokens.current()).toBe(second);
      expect(source.issued).toHaveLength(2);
    });

    it('asks the source once for all the calls waiting on a token', async () => {
      let release!: (t: string) => void;
      const calls: number[] = [];
      start({ kind: 'telegram', obtain: () => new Promise<string>((r) => { calls.push(Date.now()); release = r; }) });
      const asks = [tokens.current(), tokens.current(), tokens.current()];
      await settle();
      expect(state()).toBe('obtaining');
      const jwt = token(T0 + HOUR);
      release(jwt);
      expect(await Promise.all(asks)).toEqual([jwt, jwt, jwt]);
      expect(calls).toHaveLength(1);
    });

    it('keeps serving the current token when a refresh fails, and tries again later', async () => {
      const source = mintingSource(HOUR);
      start(source);
      const first = await tokens.current();
      source.fail = new Error('telegram unreachable');
      await settle(HOUR - REFRESH_BEFORE_MS);
      expect(await tokens.current()).toBe(first);
      expect(state()).toBe('ready');
      source.fail = null;
      await settle(REFRESH_RETRY_MS);
      const second = await tokens.current();
      expect(second).not.toBe(first);
    });

    it('fails asks with STORE_TOKEN_FAILED when the source fails and no token is left', async () => {
      const source = mintingSource(HOUR);
      source.fail = new Error('telegram unreachable');
      start(source, 'bob');
      const e = await failure(tokens.current());
      expect(e).toBeInstanceOf(StoreTokenUnavailable);
      expect(e).toMatchObject({ code: 'STORE_TOKEN_FAILED', details: { account: 'bob' } });
      source.fail = null;
      // Within the pause the failure is the answer; after it the source is asked again.
      expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_FAILED' });
      await settle(FAILED_RETRY_MS);
      expect(typeof (await tokens.current())).toBe('string');
    });

    it('refuses a token the source hands out already expired', async () => {
      start({ kind: 'telegram', obtain: async () => token(Date.now() - 1) });
      expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_EXPIRED' });
    });
  });

  describe('secrecy and stopping', () => {
    it('registers every token as a secret and keeps it out of its snapshot', async () => {
      const source = mintingSource(HOUR);
      start(source);
      const jwt = await tokens.current();
      expect(scrub(`Bearer ${jwt}`)).toBe('Bearer [redacted]');
      const held = actor!.getSnapshot().context.held;
      expect(JSON.stringify(held)).not.toContain(jwt);
      expect(inspect(held, { depth: 5 })).not.toContain(jwt);
    });

    it('answers waiting asks with STORE_TOKEN_STOPPED when it stops, and asks after that at once', async () => {
      start({ kind: 'telegram', obtain: () => new Promise<string>(() => undefined) });
      const pending = failure(tokens.current());
      await settle();
      actor!.stop();
      expect(await pending).toMatchObject({ code: 'STORE_TOKEN_STOPPED' });
      expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_STOPPED' });
    });

    it('lets a caller give up waiting with its signal', async () => {
      start({ kind: 'telegram', obtain: () => new Promise<string>(() => undefined) });
      const abort = new AbortController();
      const pending = failure(tokens.current(abort.signal));
      abort.abort(new Error('purchase stopped'));
      expect(await pending).toMatchObject({ message: 'purchase stopped' });
    });
  });
});

describe('auth actor: a source that does not answer', () => {
  // Real timers, except where a test says otherwise.
  const actors: Actor<typeof authMachine>[] = [];
  const start = (source: TokenSource, obtainTimeoutMs?: number): { actor: Actor<typeof authMachine>; tokens: TokenProvider } => {
    const actor = createActor(authMachine, { input: { account: 'carol', source, obtainTimeoutMs } });
    actors.push(actor);
    actor.start();
    return { actor, tokens: tokenProvider(actor) };
  };
  /** Polls `done` until it holds, or fails after `timeoutMs`. */
  const waitFor = async (done: () => boolean, timeoutMs = 5_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  afterEach(() => {
    for (const a of actors.splice(0)) a.stop();
  });

  it('waits 15 s for a token by default', async () => {
    // The actor's own time bound, asked for with no obtainTimeoutMs. The bound is a kept setTimeout
    // (core/time/deadline.ts), so fake timers drive it: still waiting just before 15 s, given up at 15 s.
    vi.useFakeTimers();
    try {
      const { actor, tokens } = start({ kind: 'telegram', obtain: () => new Promise<string>(() => undefined) });
      const e = failure(tokens.current());
      await vi.advanceTimersByTimeAsync(14_999);
      expect(actor.getSnapshot().value).not.toBe('failed');
      await vi.advanceTimersByTimeAsync(1);
      expect(await e).toMatchObject({ code: 'STORE_TOKEN_TIMEOUT', reason: 'timeout' });
      expect((await e as Error).message).toMatch(/within 15000 ms/);
      expect(actor.getSnapshot().value).toBe('failed');
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up on a source that ignores its signal after obtainTimeoutMs, ending in failed with STORE_TOKEN_TIMEOUT', async () => {
    const signals: AbortSignal[] = [];
    const { actor, tokens } = start({ kind: 'telegram', obtain: (signal) => { signals.push(signal); return new Promise<string>(() => undefined); } }, 40);
    const e = await failure(tokens.current());
    expect(e).toBeInstanceOf(StoreTokenUnavailable);
    expect(e).toMatchObject({ code: 'STORE_TOKEN_TIMEOUT', reason: 'timeout', details: { account: 'carol' } });
    expect((e as Error).message).toMatch(/telegram source gave no store token for account carol within 40 ms/);
    expect(actor.getSnapshot().value).toBe('failed');
    // The source was told to stop too.
    expect(signals[0]!.aborted).toBe(true);
  });

  it('gives up on a source that honours its signal the same way', async () => {
    const { tokens } = start({
      kind: 'telegram',
      obtain: (signal) => new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true })),
    }, 40);
    expect(await failure(tokens.current())).toMatchObject({ code: 'STORE_TOKEN_TIMEOUT' });
  });

  it('keeps serving the current token when a refresh times out', async () => {
    let calls = 0;
    // exp is in whole seconds: a life of 1.5 to 2.5 s, refreshed halfway through.
    const first = token(Date.now() + 2_500);
    const { actor, tokens } = start({
      kind: 'telegram',
      obtain: () => (++calls === 1 ? Promise.resolve(first) : new Promise<string>(() => undefined)),
    }, 40);
    expect(await tokens.current()).toBe(first);
    // The refresh is due halfway through the token's life; it hangs, and the time bound ends it.
    await waitFor(() => calls === 2 && actor.getSnapshot().value === 'ready');
    expect(actor.getSnapshot().context.failure).toBeNull();
    expect(await tokens.current()).toBe(first);
  });
});
