import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../../../sim/chain/rate-limit.js';

describe('per-client rate limit', () => {
  it('lets one request a second through and says when the next may come', () => {
    const limit = new RateLimit(1);
    expect(limit.take('a', 0)).toEqual({ allowed: true });
    expect(limit.take('a', 100)).toEqual({ allowed: false, retryAfterMs: 900 });
    expect(limit.take('a', 999)).toMatchObject({ allowed: false });
    expect(limit.take('a', 1000)).toEqual({ allowed: true });
  });

  it('keeps clients apart', () => {
    const limit = new RateLimit(1);
    expect(limit.take('a', 0).allowed).toBe(true);
    expect(limit.take('b', 0).allowed).toBe(true);
    expect(limit.take('a', 10).allowed).toBe(false);
  });

  it('does not save up more than one second of requests', () => {
    const limit = new RateLimit(2);
    expect(limit.take('a', 0).allowed).toBe(true);
    expect(limit.take('a', 0).allowed).toBe(true);
    expect(limit.take('a', 10_000).allowed).toBe(true);
    expect(limit.take('a', 10_000).allowed).toBe(true);
    expect(limit.take('a', 10_000).allowed).toBe(false);
  });

  it('forgets idle clients without letting a busy one through early', () => {
    const limit = new RateLimit(1);
    expect(limit.take('busy', 5000).allowed).toBe(true);
    for (let i = 0; i < 1100; i++) limit.take(`idle-${i}`, 0);
    expect(limit.take('busy', 5001).allowed).toBe(false);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimit(0)).toThrow(RangeError);
  });
});
