import { describe, expect, it } from 'vitest';
import { conditionalGets, noneMatch, strongEtag } from '../../../../sim/store/etags.js';
import { compose, ok } from '../../../../sim/store/pipeline.js';
import { router } from '../../../../sim/store/router.js';
import { requestContext } from './request-context.js';

describe('etags', () => {
  it('tags equal bodies alike and any change differently, as a strong quoted tag', () => {
    const tag = strongEtag('{"ok":true,"data":1}');
    expect(tag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(strongEtag('{"ok":true,"data":1}')).toBe(tag);
    expect(strongEtag('{"ok":true,"data":2}')).not.toBe(tag);
  });

  it('matches If-None-Match lists, weak tags and * the way RFC 9110 compares them', () => {
    const tag = '"abc"';
    expect(noneMatch(undefined, tag)).toBe(false);
    expect(noneMatch('"abc"', tag)).toBe(true);
    expect(noneMatch('W/"abc"', tag)).toBe(true);
    expect(noneMatch('"x", W/"y" ,"abc"', tag)).toBe(true);
    expect(noneMatch('*', tag)).toBe(true);
    expect(noneMatch('"abcd"', tag)).toBe(false);
    expect(noneMatch('abc', tag)).toBe(false);
    expect(noneMatch('"a,b"', '"a,b"')).toBe(true);
  });

  describe('conditional GETs', () => {
    let stock = 5;
    const endpoint = compose(
      [conditionalGets(['/api/v1/collection/:id'])],
      router([
        { method: 'GET', path: '/api/v1/collection/:id', handle: () => ok({ left: stock }) },
        { method: 'GET', path: '/api/v1/shop/settings', handle: () => ok({}) },
        { method: 'POST', path: '/api/v1/collection/:id', handle: () => ok('bought') },
      ]),
    );

    it('answers 304 without a body while the tag matches, and 200 with a new tag once the body changes', async () => {
      const first = await endpoint(requestContext('/api/v1/collection/1'));
      const etag = first.headers['etag']!;
      expect([first.status, first.headers['cache-control']]).toEqual([200, 'no-cache']);
      const same = await endpoint(requestContext('/api/v1/collection/1', { headers: { 'if-none-match': etag } }));
      expect([same.status, same.body, same.headers['etag']]).toEqual([304, { kind: 'none' }, etag]);
      stock = 4;
      const changed = await endpoint(requestContext('/api/v1/collection/1', { headers: { 'if-none-match': etag } }));
      expect(changed.status).toBe(200);
      expect(changed.headers['etag']).not.toBe(etag);
    });

    it('leaves other routes, other methods and refusals untagged', async () => {
      expect((await endpoint(requestContext('/api/v1/shop/settings'))).headers['etag']).toBeUndefined();
      expect((await endpoint(requestContext('/api/v1/collection/1', { method: 'POST' }))).headers['etag']).toBeUndefined();
      const missing = compose([conditionalGets(['/api/v1/collection/:id'])], router([]));
      const refused = await missing(requestContext('/api/v1/collection/1'));
      expect([refused.status, refused.headers['etag']]).toEqual([404, undefined]);
    });
  });
});
