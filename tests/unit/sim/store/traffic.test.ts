import { describe, expect, it } from 'vitest';
import { compose, dropConnection, ok, refuse } from '../../../../sim/store/pipeline.js';
import { routeNamer, router, type Route } from '../../../../sim/store/router.js';
import { countTraffic, TrafficStats } from '../../../../sim/store/traffic.js';
import { requestContext } from './request-context.js';

const routes: Route[] = [
  { method: 'GET', path: '/api/v1/collection/:id', handle: (_c, p) => (p['id'] === '9' ? refuse('too_many_requests', 'slow down') : ok(1)) },
  { method: 'POST', path: '/api/v1/shop/buy/crypto', handle: () => dropConnection() },
  { method: 'GET', path: '/admin/stock', handle: () => ok([]) },
];

describe('traffic counts', () => {
  it('counts requests, 429s and statuses in total and per route, a dropped connection as reset, /admin not at all', async () => {
    const stats = new TrafficStats();
    const endpoint = compose([countTraffic(stats, routeNamer(routes))], router(routes));
    for (const id of ['1', '2', '9']) await endpoint(requestContext(`/api/v1/collection/${id}`));
    await endpoint(requestContext('/api/v1/shop/buy/crypto', { method: 'POST' }));
    await endpoint(requestContext('/api/v1/nope'));
    await endpoint(requestContext('/admin/stock'));
    expect(stats.snapshot()).toEqual({
      requests: 5,
      http429: 1,
      byStatus: { '200': 2, '429': 1, reset: 1, '404': 1 },
      byRoute: {
        'GET (no route)': { requests: 1, http429: 0, byStatus: { '404': 1 } },
        'GET /api/v1/collection/:id': { requests: 3, http429: 1, byStatus: { '200': 2, '429': 1 } },
        'POST /api/v1/shop/buy/crypto': { requests: 1, http429: 0, byStatus: { reset: 1 } },
      },
    });
  });

  it('hands out copies that later traffic does not change', () => {
    const stats = new TrafficStats();
    stats.record('GET /x', 200);
    const before = stats.snapshot();
    stats.record('GET /x', 429);
    expect(before.requests).toBe(1);
    expect(before.byRoute['GET /x']!.byStatus).toEqual({ '200': 1 });
  });
});
