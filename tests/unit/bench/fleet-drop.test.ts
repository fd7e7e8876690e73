/** bench:fleet's reading of the store's request log: polls per second of a window, requests per route, the addresses
 *  a window's requests came from, and every 429; and one outbound address per account. */
import { describe, expect, it } from 'vitest';
import { outboundAddress, trafficOf, type LoggedRequest } from '../../../bench/fleet-drop.js';

const poll = (startedAt: number, from: string, status: number | 'reset' = 200): LoggedRequest =>
  ({ route: 'GET /api/v1/collection/:id', status, startedAt, from });

describe('fleet traffic', () => {
  it('counts the polls (a collection or the listing) that reached the store inside each window, per second', () => {
    const log: LoggedRequest[] = [
      poll(999, 'a'), poll(1000, 'a'), poll(1500, 'b'), { route: 'GET /api/v1/collections', status: 200, startedAt: 2000, from: 'c' },
      { route: 'POST /api/v1/shop/buy', status: 200, startedAt: 2500, from: 'a' }, poll(3000, 'a', 429), poll(3100, 'b', 'reset'),
    ];
    const t = trafficOf(log, { from: 1000, to: 3000 }, { from: 3000, to: 4000 });
    expect(t.before.pollsPerSec).toBe(1.5);
    expect(t.before.byRoute).toEqual({ 'GET /api/v1/collection/:id': 2, 'GET /api/v1/collections': 1, 'POST /api/v1/shop/buy': 1 });
    expect(t.before.addresses).toBe(3);
    expect(t.during).toEqual({ pollsPerSec: 2, byRoute: { 'GET /api/v1/collection/:id': 2 }, addresses: 2 });
    expect([t.http429, t.requests]).toEqual([1, 7]);
  });

  it('gives every account of a large fleet its own loopback address', () => {
    const addresses = Array.from({ length: 1000 }, (_, i) => outboundAddress(i));
    expect(addresses.slice(0, 2)).toEqual(['127.0.0.10', '127.0.0.11']);
    expect(new Set(addresses).size).toBe(1000);
    for (const a of addresses) expect(a).toMatch(/^127\.0\.\d+\.(\d+)$/);
    expect(addresses.every((a) => Number(a.split('.')[3]) <= 209)).toBe(true);
  });
});
