import { describe, expect, it } from 'vitest';
import { compilePattern, matchPattern, pathSegments } from '../../../../sim/store/route-pattern.js';

const matches = (pattern: string, path: string) => matchPattern(compilePattern(pattern), pathSegments(path));

describe('path patterns', () => {
  it('captures named segments, decoded', () => {
    expect(matches('/api/v1/collection/:id', '/api/v1/collection/7')).toEqual({ id: '7' });
    expect(matches('/api/v1/collection/:id', '/api/v1/collection/a%20b')).toEqual({ id: 'a b' });
    expect(matches('/api/v1/collection/:id', '/api/v1/collection')).toBeNull();
    expect(matches('/api/v1/collection/:id', '/api/v1/collection/7/x')).toBeNull();
  });

  it('matches everything below a trailing *, the prefix itself included', () => {
    expect(matches('/api/*', '/api')).toEqual({});
    expect(matches('/api/*', '/api/v1/shop/buy/crypto')).toEqual({});
    expect(matches('/api/*', '/admin/faults')).toBeNull();
    expect(matches('/api/v1/shop/*', '/api/v1/collections')).toBeNull();
  });

  it('never matches a capture that is not valid URI encoding', () => {
    expect(matches('/api/v1/collection/:id', '/api/v1/collection/%E0%A4%A')).toBeNull();
  });
});
