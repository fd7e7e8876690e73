/** When a request really leaves the process, read from undici's own diagnostics channels instead of marks taken
 *  before the call: `undici:client:sendHeaders` is published as undici hands a request's head to the socket (the
 *  write follows in the same tick), `undici:request:trailers` when its answer has been read off the socket. The
 *  subscribers are attached at the first mark, so a process that never orders pays nothing; afterwards each costs an
 *  AsyncLocalStorage read and a WeakMap look-up per request.
 *
 *  A payment's send (TON's sendBoc, over undici: boc-sender.ts) is matched by context: the request created inside
 *  `runSend`. One that undici's pool had to queue (every connection busy) is created later, outside that context,
 *  and is then measured to its hand-off to the plugin instead.
 *
 *  Store orders are matched to undici requests by creation: the payer marks its order the instant before it calls
 *  undici (`onSent`), which creates the request in that same tick when a connection is free; when every connection
 *  is busy, undici's pool queues the call and creates the request later, in the order the calls came, so a mark not
 *  matched by the end of its tick waits in line for the next order request the pool creates. */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';

/** One order request: set when it is written and when its answer is in. */
export interface OrderWire {
  /** performance.now() when undici wrote the request's head to the socket. */
  wireAt: number | null;
  /** performance.now() when the answer's last byte was read. */
  answerAt: number | null;
  /** Called once, when the request is written. */
  readonly onWire?: (at: number) => void;
}

/** One payment send: the first undici request written while it runs. Members of one batch share `written`,
 *  keyed by their message (`group`): the batch goes out from whichever member arrived last. */
export interface SendWire {
  readonly group: string;
  readonly written: Map<string, number>;
}

/** The order requests' paths (store-client.ts): `buy/crypto` (TON) and `buy` (Stars); no other call is queued for a mark. */
const ORDER_PATH = '/api/v1/shop/buy';

/** undici's request object, as far as it is read here. */
interface UndiciRequest {
  readonly method: string;
  readonly path: string;
}

const byRequest = new WeakMap<object, OrderWire>();
/** Payment sends' undici requests, to their send. */
const bySend = new WeakMap<object, SendWire>();
/** The mark of the order being handed to undici in this tick. */
let handing: OrderWire | null = null;
/** Marks whose request undici's pool queued: matched in order as the pool creates order requests. */
const queued: OrderWire[] = [];
const sending = new AsyncLocalStorage<SendWire>();
let subscribed = false;

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe('undici:request:create', (m) => {
    const request = (m as { request: UndiciRequest }).request;
    // A payment's own request (TON's sendBoc): created inside its send, whose context this tick still carries.
    const send = sending.getStore();
    if (send !== undefined) {
      if (!send.written.has(send.group)) bySend.set(request, send);
      return;
    }
    if (handing !== null) {
      byRequest.set(request, handing);
      handing = null;
    } else if (queued.length > 0 && request.method === 'POST' && request.path.startsWith(ORDER_PATH)) {
      byRequest.set(request, queued.shift()!);
    }
  });
  diagnostics.subscribe('undici:client:sendHeaders', (m) => {
    const request = (m as { request: object }).request;
    const send = bySend.get(request);
    if (send !== undefined && !send.written.has(send.group)) send.written.set(send.group, performance.now());
    const mark = byRequest.get(request);
    if (mark === undefined || mark.wireAt !== null) return;
    mark.wireAt = performance.now();
    mark.onWire?.(mark.wireAt);
  });
  diagnostics.subscribe('undici:request:trailers', (m) => {
    const mark = byRequest.get((m as { request: object }).request);
    if (mark !== undefined) mark.answerAt ??= performance.now();
  });
}

/** Marks the order request about to be handed to undici (call it synchronously right before the call). */
export function markOrderRequest(mark: OrderWire): void {
  subscribe();
  // A mark left from a call that never reached undici (it threw first) must not stick to someone else's request.
  if (handing !== null) queued.push(handing);
  handing = mark;
  queueMicrotask(() => {
    if (handing === mark) {
      handing = null;
      queued.push(mark);
    }
  });
}

/** Forgets a mark whose call failed before undici created its request (a queued call that was given up). */
export function forgetOrderRequest(mark: OrderWire): void {
  const i = queued.indexOf(mark);
  if (i >= 0) queued.splice(i, 1);
}

/** Runs a payment send; the first undici request written from inside it (its own, or its batch's) is noted under
 *  `send.group`. */
export function runSend<T>(send: SendWire, fn: () => Promise<T>): Promise<T> {
  subscribe();
  return sending.run(send, fn);
}
