/** The limiter: owns the request pools (one token bucket per account token), serves waiters by priority so a
 *  spending call never waits behind a poll, and honours a 429's Retry-After for the whole pool. Talks to: every store
 *  call, through `limiterGate` (ACQUIRE → reply GRANTED/DENIED; RESPONSE after the call). */
import { fromCallback, type ActorRef, type EventObject, type Snapshot } from 'xstate';
import { StoreRateLimited } from '../store/store-error.js';
import { retryAfterMs } from '../store/store-client.js';
import { OPERATION_WEIGHT, type PoolLimit } from '../store/rate-pools.js';
import type { CallOutcome, Lease, Priority, RateGate } from '../store/request-gate.js';
import type { StoreOperation } from '../store/store-error.js';
import { LimiterPool } from './limiter-pool.js';

export interface LimiterInput {
  /** The declared limit of a pool, by name (`account:<name>`). */
  readonly limitFor: (pool: string) => PoolLimit;
  /** The longest a caller may be made to wait; beyond it the call is denied with a retry time. */
  readonly maxWaitMs: number;
}

/** The limiter's answer to one ACQUIRE. */
export type LimiterReply =
  | { type: 'GRANTED'; requestId: number }
  | { type: 'DENIED'; requestId: number; retryAt: number; reason: string };

export type LimiterEvent =
  /** From a store call about to go out. `reply` carries the answer back: store calls are promises, not actors. */
  | { type: 'ACQUIRE'; requestId: number; op: StoreOperation; pool: string; priority: Priority; reply: (r: LimiterReply) => void }
  /** From a store call whose caller gave up (its signal aborted) before being granted. */
  | { type: 'CANCEL'; requestId: number; pool: string }
  /** From a store call that finished: the status and headers teach the pool. */
  | { type: 'RESPONSE'; pool: string; status: number | null; retryAfterMs?: number; ms: number };

export const limiterLogic = fromCallback<LimiterEvent, LimiterInput>(({ input, receive }) => {
  const pools = new Map<string, LimiterPool>();
  const replies = new Map<number, (r: LimiterReply) => void>();
  let timer: NodeJS.Timeout | undefined;

  const pool = (name: string): LimiterPool => {
    let p = pools.get(name);
    if (!p) pools.set(name, (p = new LimiterPool(name, input.limitFor(name), Date.now())));
    return p;
  };

  const pump = (): void => {
    const now = Date.now();
    let next: number | null = null;
    for (const p of pools.values()) {
      for (const w of p.drain(now)) {
        replies.get(w.requestId)?.({ type: 'GRANTED', requestId: w.requestId });
        replies.delete(w.requestId);
      }
      const at = p.nextReadyAt(now);
      if (at !== null && (next === null || at < next)) next = at;
    }
    if (timer) clearTimeout(timer);
    timer = next === null ? undefined : setTimeout(pump, Math.max(1, Math.ceil(next - now)));
  };

  receive((event) => {
    switch (event.type) {
      case 'ACQUIRE': {
        const p = pool(event.pool);
        const now = Date.now();
        const weight = OPERATION_WEIGHT[event.op];
        p.enqueue({ requestId: event.requestId, priority: event.priority, weight, since: now });
        // Judged by this waiter's own place in the queue, not the head's: a caller deep in a queue waits longer.
        const readyAt = p.readyAt(event.requestId, now) ?? now;
        if (readyAt - now > input.maxWaitMs) {
          p.remove(event.requestId);
          event.reply({ type: 'DENIED', requestId: event.requestId, retryAt: readyAt, reason: now < p.blockedUntil ? 'retry-after' : 'pool exhausted' });
          return;
        }
        replies.set(event.requestId, event.reply);
        pump();
        return;
      }
      case 'CANCEL':
        pools.get(event.pool)?.remove(event.requestId);
        replies.delete(event.requestId);
        pump();
        return;
      case 'RESPONSE':
        if (event.status === 429) {
          // A 429 without Retry-After still means "slow down": back off one second, capped by the profile.
          const wait = Math.min(event.retryAfterMs ?? 1000, input.maxWaitMs);
          pool(event.pool).block(Date.now() + wait);
        }
        pump();
        return;
    }
  });
  return () => {
    if (timer) clearTimeout(timer);
    for (const [requestId, reply] of replies) reply({ type: 'DENIED', requestId, retryAt: Date.now(), reason: 'limiter stopped' });
    replies.clear();
  };
});

type LimiterRef = ActorRef<Snapshot<unknown>, LimiterEvent, EventObject>;

let nextRequestId = 1;

/** The RateGate port over a running limiter actor. */
export function limiterGate(limiter: LimiterRef): RateGate {
  return {
    acquire({ op, pool, priority, signal }) {
      const requestId = nextRequestId++;
      return new Promise<Lease>((resolve, reject) => {
        // A stopped actor drops events silently: without this the caller would wait for a reply that never comes.
        if (limiter.getSnapshot().status !== 'active') {
          return reject(new StoreRateLimited(Date.now(), { op, pool, reason: 'limiter stopped' }));
        }
        const onAbort = (): void => {
          limiter.send({ type: 'CANCEL', requestId, pool });
          reject(signal?.reason ?? new Error('aborted'));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        limiter.send({
          type: 'ACQUIRE', requestId, op, pool, priority,
          reply: (r) => {
            signal?.removeEventListener('abort', onAbort);
            if (r.type === 'DENIED') return reject(new StoreRateLimited(r.retryAt, { op, pool, reason: r.reason }));
            let settled = false;
            resolve({
              settle(outcome: CallOutcome) {
                if (settled) return;
                settled = true;
                limiter.send({ type: 'RESPONSE', pool, status: outcome.status, retryAfterMs: retryAfterMs(outcome.headers['retry-after']), ms: outcome.ms });
              },
            });
          },
        });
      });
    },
  };
}
