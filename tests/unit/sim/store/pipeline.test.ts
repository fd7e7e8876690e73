import { describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../../../sim/store/jwt.js';
import { authenticate, loopbackOnly, refusalsToReplies } from '../../../../sim/store/middleware.js';
import { compose, ok, under, type Middleware, type RequestContext } from '../../../../sim/store/pipeline.js';
import { router } from '../../../../sim/store/router.js';
import { ManualClock } from '../../../support/manual-clock.js';

function ctx(path: string, opts: { method?: string; remote?: string; auth?: string } = {}): RequestContext {
  return {
    request: {
      method: opts.method ?? 'GET',
      path,
      query: new URLSearchParams(),
      headers: opts.auth ? { authorization: opts.auth } : {},
      remoteAddress: opts.remote ?? '127.0.0.1',
      body: '',
    },
    caller: null,
  };
}

const echo = router([
  { method: 'GET', path: '/api/v1/thing/:id', handle: (c, p) => ok({ id: p['id'], user: c.caller?.userId ?? null }) },
  { method: 'POST', path: '/admin/x', handle: () => ok('x') },
]);

describe('request chain', () => {
  it('runs middlewares in order around the endpoint', async () => {
    const seen: string[] = [];
    const mark = (name: string): Middleware => async (_c, next) => {
      seen.push(`>${name}`);
      const reply = await next();
      seen.push(`<${name}`);
      return reply;
    };
    await compose([mark('a'), mark('b')], echo)(ctx('/api/v1/thing/1'));
    expect(seen).toEqual(['>a', '>b', '<b', '<a']);
  });

  it('routes by path and method: 404 not_found, 405 with allow', async () => {
    const handled = compose([refusalsToReplies(() => {})], echo);
    expect((await handled(ctx('/api/v1/thing/7'))).body).toEqual({ kind: 'envelope', envelope: { ok: true, data: { id: '7', user: null } } });
    const missing = await handled(ctx('/api/v1/nothing'));
    expect([missing.status, missing.body]).toEqual([404, { kind: 'envelope', envelope: { ok: false, errorCode: 'not_found' } }]);
    const wrong = await handled(ctx('/admin/x'));
    expect([wrong.status, wrong.headers['allow']]).toEqual([405, 'POST']);
  });

  it('applies a prefix middleware to that subtree only', async () => {
    const deny: Middleware = async () => ok('denied', 418);
    const handled = compose([under('/admin', deny)], echo);
    expect((await handled(ctx('/admin/x', { method: 'POST' }))).status).toBe(418);
    expect((await handled(ctx('/administrator'))).status).toBe(404);
  });

  it('answers unexpected errors with 500 internal_error and reports them', async () => {
    const reported: unknown[] = [];
    const boom = compose([refusalsToReplies((e) => reported.push(e))], async () => {
      throw new TypeError('bug');
    });
    const reply = await boom(ctx('/'));
    expect([reply.status, reply.body]).toEqual([500, { kind: 'envelope', envelope: { ok: false, errorCode: 'internal_error' } }]);
    expect(reported).toHaveLength(1);
  });

  it('admits only loopback peers to the admin API', async () => {
    const handled = compose([refusalsToReplies(() => {}), loopbackOnly()], echo);
    for (const remote of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1']) {
      expect((await handled(ctx('/admin/x', { method: 'POST', remote }))).status).toBe(200);
    }
    for (const remote of ['10.0.0.1', '::ffff:192.168.1.1', '2001:db8::1', '']) {
      expect((await handled(ctx('/admin/x', { method: 'POST', remote }))).status).toBe(403);
    }
  });

  it('sets the caller from a valid bearer token and refuses anything else with invalid_auth_token', async () => {
    const clock = new ManualClock();
    const tokens = new TokenIssuer(clock.now, 60, Buffer.alloc(32, 3));
    const handled = compose([refusalsToReplies(() => {}), authenticate(tokens, ['/api/v1/auth'])], echo);
    const good = await handled(ctx('/api/v1/thing/1', { auth: `Bearer ${tokens.issue(5)}` }));
    expect(good.body).toEqual({ kind: 'envelope', envelope: { ok: true, data: { id: '1', user: 5 } } });
    for (const auth of [undefined, 'Basic abc', 'Bearer', `Bearer ${tokens.issue(5, 0)}`]) {
      const reply = await handled(ctx('/api/v1/thing/1', auth ? { auth } : {}));
      expect([reply.status, reply.body]).toEqual([401, { kind: 'envelope', envelope: { ok: false, errorCode: 'invalid_auth_token' } }]);
    }
    expect((await handled(ctx('/api/v1/auth'))).status).toBe(404);
  });
});
