/** The middleware that makes the store misbehave as the fault plan says, on the wire: it sits outside the rate limits
 *  like a flaky proxy in front of the store, so answers it makes itself (storms, 5xx, HTML pages) carry no
 *  `x-ratelimit-*` headers and charge no window, while spoiled answers (reset, malformed) went through the store. */
import type { Sleep } from './clock.js';
import type { Faults } from './faults.js';
import { dropConnection, refuse, replyText, type Middleware, type Reply } from './pipeline.js';
import type { RefusalCode } from './refusal.js';

const CODE_OF_STATUS: Readonly<Record<500 | 502 | 503, RefusalCode>> = {
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
};

/** A reverse proxy's error page, as clients meet it when the origin behind it is down. */
const BAD_GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** Applies `faults` to each request; `sleep` waits out slow answers. */
export function injectFaults(faults: Faults, sleep: Sleep): Middleware {
  return async (ctx, next) => {
    const decision = faults.decide(ctx.request.method, ctx.request.path);
    if (!decision) return next();
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    const answer = decision.answer;
    switch (answer?.kind) {
      case undefined:
        return next();
      case 'retryAfterStorm': {
        const reply = refuse('too_many_requests', 'injected retry-after storm');
        return { ...reply, headers: { ...reply.headers, 'retry-after': String(answer.retryAfterSec) } };
      }
      case 'status5xx': {
        const reply = refuse(CODE_OF_STATUS[answer.status], 'injected server error');
        if (answer.retryAfterSec === undefined) return reply;
        return { ...reply, headers: { ...reply.headers, 'retry-after': String(answer.retryAfterSec) } };
      }
      case 'htmlErrorPage':
        return { status: 502, headers: {}, body: { kind: 'raw', text: BAD_GATEWAY_PAGE, contentType: 'text/html' } };
      case 'connectionReset':
        await next();
        return dropConnection();
      case 'malformedJson':
        return truncated(await next());
    }
  };
}

/** The reply with its body cut to the first half: a proper prefix of a JSON object or array never parses. */
function truncated(reply: Reply): Reply {
  const content = replyText(reply);
  if (!content || content.text.length < 2) return reply;
  const text = content.text.slice(0, Math.floor(content.text.length / 2));
  return { ...reply, body: { kind: 'raw', text, contentType: content.contentType } };
}
