/** The limiter: owns the request pools (one per account token, one per outgoing IP; each call charges its route's
 *  pools atomically), serves waiters by priority so a spending call never waits behind a read or a poll and polls
 *  never take the share reserved for purchases, learns the store's real limit from `x-ratelimit-*`, honours a 429's
 *  Retry-After, opens a circuit breaker per pool after consecutive 429s or transport failures, takes back leases of
 *  calls that never ended, paces polls below the share reserved for spending, and keeps its state in the ledger across
 *  restarts. Talks to: every store call, through `limiterGate` (ACQUIRE → reply GRANTED/DENIED; RESPONSE or RELEASE
 *  when the call ends); watchers, through `limiterPollPace` (PACE → reply the time between polls); the run, through
 *  `flushLimiter` (FLUSH → reply once the state is written) before it closes the ledger. */
import { fromCallback, type ActorRef, type EventObject, type Snapshot } from 'xstate';
import { AutomintError, errorFacts } from '../errors.js';
import type { PoolSnapshot } from '../ledger/limiter-state.js';
import { accountPool, STORE_POOLS, type PoolCatalog, type PoolRoute } from '../store/rate-pools.js';
import type { CallOutcome, Lease, Priority, RateGate } from '../store/request-gate.js';
import { StoreRateLimited, type StoreOperation } from '../store/store-error.js';
import { whenActive } from './active-ref.js';
import { STATE_SAVE_INTERVAL_MS, WriteBehind } from './write-behind.js';
import { LimiterScheduler, type Answer, type DenyReason, type LimiterSettings } from './limiter-scheduler.js';
import type { RunEventSink } from '../events/run-events.js';

export { LEASE_MARGIN_MS, type DenyReason, type LimiterSettings } from './limiter-scheduler.js';

/** Where the limiter keeps pool state across runs (the ledger's `limiter` repository). */
export interface LimiterStore {
  load(): Promise<PoolSnapshot[]>;
  save(snapshots: PoolSnapshot[]): Promise<void>;
}

/** The profile's limiter fields, plus where the pools come from and where their state is kept. */
export interface LimiterInput extends LimiterSettings {
  /** The pools: declared limits and what each operation charges. Default: the store's (`STORE_POOLS`). */
  readonly pools?: PoolCatalog;
  /** Restored on start (a ban window survives a restart). While the run goes on, written only when what a restart
   *  needs changed (a ban, a breaker, a learned limit), at most once per SAVE_INTERVAL_MS; everything (token levels
   *  too) on FLUSH and on stop. */
  readonly store?: LimiterStore;
  /** Where a failed load or save is reported (the run goes on without persistence). */
  readonly log?: { warn(facts: object, message: string): void };
  /** The run's events: a pool held by a 429, a breaker opened. */
  readonly events?: RunEventSink;
}

/** The limiter's answer to one ACQUIRE. */
export type LimiterReply = Answer;

export type LimiterEvent =
  /** From a store call about to go out. `reply` carries the answer back: store calls are promises, not actors. */
  | {
      type: 'ACQUIRE'; requestId: number; op: StoreOperation; account: string; proxy?: string; priority: Priority;
      reply: (r: LimiterReply) => void;
    }
  /** From a store call whose caller gave up (its signal aborted) before being granted. */
  | { type: 'CANCEL'; requestId: number }
  /** From a granted call that ended: the status and headers teach its pools and breakers. */
  | { type: 'RESPONSE'; requestId: number; op: StoreOperation; account: string; proxy?: string } & CallOutcome
  /** From a granted call its caller abandoned: frees its slots, teaches nothing. */
  | { type: 'RELEASE'; requestId: number }
  /** From a watcher planning its next poll: `reply` carries the time between two polls on this route that keeps them
   *  within the share left to polls (see LimiterPool.pollRatePerSec). */
  | { type: 'PACE'; account: string; proxy?: string; reply: (slotMs: number) => void }
  /** From the run before it closes the ledger: `reply` comes once the state as it is now has been written (or the
   *  write failed, which is logged), so the last ban is not lost to a save still under way at close. */
  | { type: 'FLUSH'; reply: () => void };

/** Pool state is written at most this often while the run goes on (see STATE_SAVE_INTERVAL_MS). Token levels are not
 *  worth a write of their own: a bucket refills in about a second and a half, far less than this interval, so they
 *  go with the next write or the flush at the end. */
export const SAVE_INTERVAL_MS = STATE_SAVE_INTERVAL_MS;
/** A store that has not loaded by then is given up on: the limiter starts fresh rather than hold every call. */
export const RESTORE_TIMEOUT_MS = 2_000;

/** The limiter's input is unusable (a profile field missing or out of range). */
export class LimiterSettingsInvalid extends AutomintError {
  constructor(field: string, value: unknown) {
    super('LIMITER_SETTINGS_INVALID', `limiter setting ${field} must be a finite number${field === 'breakerThreshold' ? ' ≥ 1' : ' ≥ 0'}, got ${String(value)}`, {
      field,
    });
  }
}

/** A caller gave up waiting for the limiter (its signal aborted without a reason of its own). */
export class LimiterWaitAborted extends AutomintError {
  constructor(op: StoreOperation, account: string) {
    super('LIMITER_WAIT_ABORTED', `${op} for ${account} stopped waiting for the limiter`, { op, account });
  }
}

export const limiterLogic = fromCallback<LimiterEvent, LimiterInput>(({ input, receive }) => {
  const settings = checkSettings(input);
  const store = input.store;
  const replies = new Map<number, { reply: (r: LimiterReply) => void; pool: string }>();
  let stopped = false;
  let restoring = store !== undefined;
  let timer: NodeJS.Timeout | undefined;
  /** What a restart needs (bans, breakers, learned limits) as last written; a look that finds it unchanged writes
   *  nothing until the flush. */
  let lastWritten: string | null = null;
  const saver = store
    ? new WriteBehind({
        minIntervalMs: SAVE_INTERVAL_MS,
        write: async (final) => {
          const now = Date.now();
          const snapshots = scheduler.snapshots(now);
          const durable = durablePart(snapshots);
          if (!final && durable === lastWritten) return false;
          await store.save(snapshots);
          lastWritten = durable;
          return true;
        },
        onError: (e) => input.log?.warn({ err: describe(e) }, stopped ? 'limiter state not saved on stop' : 'limiter state not saved'),
      })
    : null;
  const changed = (): void => saver?.changed();

  const scheduler = new LimiterScheduler(settings, input.pools ?? STORE_POOLS, () => {
    changed();
    pump();
  }, input.events);

  const answer = (a: Answer): void => {
    const waiting = replies.get(a.requestId);
    replies.delete(a.requestId);
    waiting?.reply(a);
  };

  const pump = (): void => {
    if (stopped) return;
    const now = Date.now();
    if (scheduler.expire(now).length > 0) changed();
    if (!restoring) {
      for (const a of scheduler.pump(now)) {
        if (a.type === 'GRANTED') changed();
        answer(a);
      }
    }
    if (timer) clearTimeout(timer);
    const next = scheduler.nextWakeAt();
    timer = next === null ? undefined : setTimeout(pump, Math.max(1, Math.ceil(next - now)));
  };

  let giveUp: NodeJS.Timeout | undefined;
  if (store) {
    const finish = (snapshots: PoolSnapshot[]): void => {
      if (!restoring || stopped) return;
      restoring = false;
      scheduler.restore(snapshots, Date.now());
      // What the ledger holds now: a run that changes nothing a restart needs writes nothing until the flush.
      lastWritten = durablePart(snapshots);
      saver?.loaded();
      pump();
    };
    giveUp = setTimeout(() => {
      input.log?.warn({ timeoutMs: RESTORE_TIMEOUT_MS }, 'limiter state not loaded in time; starting fresh');
      finish([]);
    }, RESTORE_TIMEOUT_MS);
    store
      .load()
      .then(finish, (e: unknown) => {
        input.log?.warn({ err: describe(e) }, 'limiter state not loaded; starting fresh');
        finish([]);
      })
      .finally(() => clearTimeout(giveUp));
  }

  receive((event) => {
    switch (event.type) {
      case 'ACQUIRE': {
        const now = Date.now();
        const route = routeOf(event.account, event.proxy);
        const at = scheduler.ask({ requestId: event.requestId, op: event.op, route, priority: event.priority }, now);
        if (at) return event.reply(at);
        replies.set(event.requestId, { reply: event.reply, pool: accountPool(event.account) });
        pump();
        return;
      }
      case 'CANCEL':
        scheduler.cancel(event.requestId);
        replies.delete(event.requestId);
        pump();
        return;
      case 'RESPONSE':
        scheduler.settle(event.requestId, event.op, routeOf(event.account, event.proxy), event, Date.now());
        changed();
        pump();
        return;
      case 'RELEASE':
        scheduler.release(event.requestId);
        changed();
        pump();
        return;
      case 'PACE':
        event.reply(scheduler.pollSlotMs('collection', routeOf(event.account, event.proxy), Date.now()));
        return;
      case 'FLUSH':
        // Everything changed so far is written before the reply; a state never restored is not written over the
        // saved one.
        if (saver) void saver.flush().then(event.reply);
        else event.reply();
        return;
    }
  });

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (giveUp) clearTimeout(giveUp);
    const now = Date.now();
    for (const [requestId, { reply, pool }] of replies) {
      reply({ type: 'DENIED', requestId, retryAt: now, pool, reason: 'limiter stopped' satisfies DenyReason });
    }
    replies.clear();
    // The last word on stop, for what changed since the last save (after a FLUSH, usually nothing): nobody waits for
    // it, so a run that closes its ledger right after must FLUSH first. A state never restored is not written over the
    // saved one.
    void saver?.stop();
  };
});

type LimiterRef = ActorRef<Snapshot<unknown>, LimiterEvent, EventObject>;

let nextRequestId = 1;

/** The RateGate port over a running limiter actor. */
export function limiterGate(limiter: LimiterRef): RateGate {
  // A call that ends after the limiter stopped has nothing left to free or teach.
  const tell = whenActive(limiter, () => undefined);
  return {
    acquire({ op, account, proxy, priority, signal }) {
      const requestId = nextRequestId++;
      const route = routeOf(account, proxy);
      return new Promise<Lease>((resolve, reject) => {
        const onAbort = (): void => {
          tell({ type: 'CANCEL', requestId });
          reject(signal?.reason ?? new LimiterWaitAborted(op, account));
        };
        const ask = whenActive(limiter, () => {
          signal?.removeEventListener('abort', onAbort);
          reject(new StoreRateLimited(Date.now(), { op, pool: accountPool(account), reason: 'limiter stopped' }));
        });
        if (signal?.aborted) return reject(signal.reason ?? new LimiterWaitAborted(op, account));
        signal?.addEventListener('abort', onAbort, { once: true });
        ask({
          type: 'ACQUIRE', requestId, op, ...route, priority,
          reply: (r) => {
            signal?.removeEventListener('abort', onAbort);
            if (r.type === 'DENIED') return reject(new StoreRateLimited(r.retryAt, { op, pool: r.pool, reason: r.reason }));
            let ended = false;
            const end = (e: LimiterEvent): void => {
              if (ended) return;
              ended = true;
              tell(e);
            };
            resolve({
              settle: (o: CallOutcome) => end({ type: 'RESPONSE', requestId, op, ...route, status: o.status, headers: o.headers, ms: o.ms }),
              release: () => end({ type: 'RELEASE', requestId }),
            });
          },
        });
      });
    },
  };
}

/** The pace of polls over a running limiter actor: the time between two polls of `account` that leaves the spend
 *  reserve of its pools untouched. A stopped limiter answers `fallbackMs`. */
export function limiterPollPace(limiter: LimiterRef, fallbackMs: number): (account: string, proxy?: string) => Promise<number> {
  return (account, proxy) =>
    new Promise((resolve) => {
      const ask = whenActive(limiter, () => resolve(fallbackMs));
      ask({ type: 'PACE', account, ...(proxy === undefined ? {} : { proxy }), reply: resolve });
    });
}

/** Writes the limiter's state to its store and resolves once the write has ended; it never rejects (a failed save is
 *  logged by the limiter). The run awaits it before stopping the actor system and closing the ledger; a stopped
 *  limiter resolves at once. */
export function flushLimiter(limiter: LimiterRef): Promise<void> {
  return new Promise((resolve) => void whenActive(limiter, () => resolve())({ type: 'FLUSH', reply: resolve }));
}

/** The part of the pools' state a restart needs, as a comparable string: bans, breakers, learned limits. Token levels
 *  and times are left out (they change with every call and refill within seconds), and so is a pool with nothing but
 *  those (a restart makes the same one fresh). */
function durablePart(snapshots: readonly PoolSnapshot[]): string {
  const fresh = (s: PoolSnapshot): boolean =>
    s.blockedUntil === 0 && s.breakerState === 'closed' && s.breakerFailures === 0 && s.learnedLimit === null && s.learnedWindowMs === null;
  return JSON.stringify(
    snapshots
      .filter((s) => !fresh(s))
      .map((s) => [s.pool, s.blockedUntil, s.breakerState, s.breakerOpenedAt, s.breakerFailures, s.learnedLimit, s.learnedWindowMs])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/** The route a call goes out on: its account, and its proxy when it has one. */
function routeOf(account: string, proxy: string | undefined): PoolRoute {
  return { account, ...(proxy === undefined ? {} : { proxy }) };
}

function checkSettings(input: LimiterInput): LimiterSettings {
  const fields = ['maxWaitMs', 'safetyMarginPct', 'breakerThreshold', 'breakerCooldownMs', 'requestTimeoutMs'] as const;
  for (const f of fields) {
    const v: unknown = input[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < (f === 'breakerThreshold' ? 1 : 0)) throw new LimiterSettingsInvalid(f, v);
  }
  const { maxWaitMs, safetyMarginPct, breakerThreshold, breakerCooldownMs, requestTimeoutMs } = input;
  return { maxWaitMs, safetyMarginPct, breakerThreshold, breakerCooldownMs, requestTimeoutMs };
}

/** An error as log facts, without its cause (which may carry secrets). */
function describe(e: unknown): object {
  return errorFacts(e);
}
