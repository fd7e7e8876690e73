import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { flushLimiter, limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { chargesFor, ipPool } from '../../../../core/store/rate-pools.js';

const SETTINGS = { maxWaitMs: 10_000, safetyMarginPct: 0, breakerThreshold: 3, breakerCooldownMs: 30_000, requestTimeoutMs: 10_000 };
const GATEWAY = 'ip:gw.example.net:8000';

describe('the IP pool of a proxy', () => {
  it.each([
    ['http://bob:s3cret@gw.example.net:8000', GATEWAY],
    ['socks5://bob:s3cret@GW.Example.NET:8000/', GATEWAY],
    ['bob:s3cret@gw.example.net:8000', GATEWAY],
    ['gw.example.net:8000:bob:s3cret', GATEWAY],
    ['http://gw.example.net:8000', GATEWAY],
    ['http://b%40b:p%2Fss@10.0.0.7:3128', 'ip:10.0.0.7:3128'],
    ['http://bob:s3cret@[2001:db8::1]:1080', 'ip:[2001:db8::1]:1080'],
  ])('names %s by its host and port only', (proxy, pool) => {
    expect(ipPool(proxy)).toBe(pool);
  });

  it('is ip:direct for a call that uses no proxy', () => {
    expect(ipPool(undefined)).toBe('ip:direct');
  });

  it('names a proxy of a shape it does not recognise by a short hash, the same every time', () => {
    const odd = 'bob s3cret gw.example.net 8000';
    expect(ipPool(odd)).toMatch(/^ip:proxy-[0-9a-f]{12}$/);
    expect(ipPool(odd)).toBe(ipPool(odd));
    expect(ipPool(odd)).not.toBe(ipPool('alice hunter2 gw.example.net 8000'));
  });

  it('never carries the user or password of a proxy into the pool name, whatever characters they hold', () => {
    const secret = fc.string({ minLength: 6, maxLength: 24, unit: 'binary-ascii' }).filter((s) => !GATEWAY.includes(s) && s.trim() === s && /[^0-9a-f:iprox-]/i.test(s));
    fc.assert(
      fc.property(secret, secret, fc.constantFrom('http://', 'socks5://', ''), (user, pass, scheme) => {
        for (const proxy of [`${scheme}${user}:${pass}@gw.example.net:8000`, `gw.example.net:8000:${user}:${pass}`]) {
          const name = ipPool(proxy);
          expect(name).not.toContain(pass);
          expect(name).not.toContain(user);
        }
      }),
    );
  });

  it('charges every account behind one proxy gateway to the same IP pool, whatever its credentials', () => {
    const a = chargesFor('collection', { account: 'alice', proxy: 'http://alice:one@gw.example.net:8000' });
    const b = chargesFor('collection', { account: 'bob', proxy: 'http://bob:two@gw.example.net:8000' });
    expect(a.map((c) => c.pool)).toEqual(['account:alice', GATEWAY]);
    expect(b.map((c) => c.pool)).toEqual(['account:bob', GATEWAY]);
  });
});

describe('the limiter state of a call through a proxy', () => {
  let ledger: Ledger;
  let actor: Actor<typeof limiterLogic>;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    ledger = await openLedger(':memory:');
  });
  afterEach(async () => {
    actor.stop();
    vi.useRealTimers();
    await ledger.close();
  });

  it('reaches the ledger without the proxy credentials', async () => {
    actor = createActor(limiterLogic, { input: { ...SETTINGS, store: ledger.limiter } });
    actor.start();
    const replies: LimiterReply[] = [];
    actor.send({
      type: 'ACQUIRE', requestId: 1, op: 'collection', account: 'alice', proxy: 'http://alice:s3cret@gw.example.net:8000', priority: 'poll',
      reply: (r) => void replies.push(r),
    });
    await vi.waitFor(() => expect(replies).toEqual([expect.objectContaining({ type: 'GRANTED' })]));
    await flushLimiter(actor);
    const rows = await ledger.limiter.load();
    expect(rows.map((r) => r.pool).sort()).toEqual(['account:alice', GATEWAY]);
    expect(JSON.stringify(rows)).not.toContain('s3cret');
  });
});
