import { describe, expect, it } from 'vitest';
import { injectFaults } from '../../../../sim/store/fault-injection.js';
import type { FaultPlan } from '../../../../sim/store/fault-plan.js';
import { Faults } from '../../../../sim/store/faults.js';
import { compose, ok, replyText, type Reply } from '../../../../sim/store/pipeline.js';
import { router } from '../../../../sim/store/router.js';
import { requestContext } from './request-context.js';

/** A store of one route that counts the requests it acted on, behind `plan`; sleeps are recorded, not waited. */
function faultyStore(plan: FaultPlan) {
  let acted = 0;
  const slept: number[] = [];
  const endpoint = compose(
    [injectFaults(new Faults(plan, 1), async (ms) => void slept.push(ms))],
    router([{ method: 'GET', path: '/api/v1/collections', handle: () => ok([{ id: ++acted, title: 'Blue Cats' }]) }]),
  );
  return { get: (): Promise<Reply> => endpoint(requestContext('/api/v1/collections')), acted: () => acted, slept };
}

const envelopeOf = (r: Reply) => (r.body.kind === 'envelope' ? r.body.envelope : null);

describe('fault injection', () => {
  it('answers a server error with the store envelope of its status, without acting', async () => {
    for (const [status, errorCode] of [[500, 'internal_error'], [502, 'bad_gateway'], [503, 'service_unavailable']] as const) {
      const store = faultyStore({ status5xx: { burst: 1, status } });
      const reply = await store.get();
      expect([reply.status, envelopeOf(reply)]).toEqual([status, { ok: false, errorCode }]);
      expect(store.acted()).toBe(0);
    }
  });

  it('answers a storm with 429 and its Retry-After', async () => {
    const store = faultyStore({ retryAfterStorm: { burst: 1, retryAfterSec: 12 } });
    const reply = await store.get();
    expect([reply.status, reply.headers['retry-after'], envelopeOf(reply)]).toEqual([429, '12', { ok: false, errorCode: 'too_many_requests' }]);
  });

  it('answers an HTML 502 page instead of JSON', async () => {
    const reply = await faultyStore({ htmlErrorPage: { burst: 1 } }).get();
    const content = replyText(reply)!;
    expect([reply.status, content.contentType]).toEqual([502, 'text/html']);
    expect(content.text).toContain('<h1>502 Bad Gateway</h1>');
  });

  it('acts on the request, then spoils the JSON of a 200 so that it does not parse', async () => {
    const store = faultyStore({ malformedJson: { burst: 1 } });
    const reply = await store.get();
    const content = replyText(reply)!;
    expect([reply.status, content.contentType, store.acted()]).toEqual([200, 'application/json; charset=utf-8', 1]);
    expect(() => JSON.parse(content.text) as unknown).toThrow(SyntaxError);
    expect('{"ok":true,"data":[{"id":1,"title":"Blue Cats"}]}'.startsWith(content.text)).toBe(true);
  });

  it('acts on the request, then drops the connection', async () => {
    const store = faultyStore({ connectionReset: { burst: 1 } });
    const reply = await store.get();
    expect([reply.body.kind, store.acted()]).toEqual(['drop', 1]);
  });

  it('waits before the store looks at a slowed request, then answers it normally', async () => {
    const store = faultyStore({ slowMs: { ms: 1500, burst: 1 } });
    const reply = await store.get();
    expect([reply.status, store.slept]).toEqual([200, [1500]]);
    await store.get();
    expect(store.slept).toEqual([1500]);
  });
});
