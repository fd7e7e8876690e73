/** Conditional GETs for the reads bots poll: a strong ETag of the exact body on every 200, and 304 with no body when
 *  `If-None-Match` names the current one. A 304 still went through auth and the rate limits like any request. */
import { createHash } from 'node:crypto';
import { encodeEnvelope } from './envelope.js';
import type { Middleware } from './pipeline.js';
import { compilePattern, matchPattern, pathSegments } from './route-pattern.js';

/** A strong entity tag of `text`: a quoted digest, so equal bodies share it and any change of a byte moves it. */
export function strongEtag(text: string): string {
  return `"${createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 27)}"`;
}

/** True when an `If-None-Match` value names `etag`: `*`, or a listed tag equal by weak comparison (RFC 9110 13.1.2,
 *  which is how If-None-Match compares, so `W/"x"` matches `"x"`). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  for (const m of header.matchAll(/(?:W\/)?("[^"]*")/g)) if (m[1] === opaque) return true;
  return false;
}

/** ETags and 304s on GETs of the `paths` patterns (`/api/v1/collection/:id`); other requests pass untouched. */
export function conditionalGets(paths: readonly string[]): Middleware {
  const patterns = paths.map(compilePattern);
  return async (ctx, next) => {
    const { method, path, headers } = ctx.request;
    if (method !== 'GET') return next();
    const segments = pathSegments(path);
    if (!patterns.some((p) => matchPattern(p, segments))) return next();
    const reply = await next();
    if (reply.status !== 200 || reply.body.kind !== 'envelope') return reply;
    const etag = strongEtag(encodeEnvelope(reply.body.envelope));
    // no-cache: clients may keep the body but must revalidate before using it, which is the point of polling.
    const validators = { etag, 'cache-control': 'no-cache' };
    if (noneMatch(headers['if-none-match'], etag)) {
      return { status: 304, headers: { ...reply.headers, ...validators }, body: { kind: 'none' } };
    }
    return { ...reply, headers: { ...reply.headers, ...validators } };
  };
}
