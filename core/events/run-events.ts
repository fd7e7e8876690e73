/** The run's event bus: the actors emit facts (run-event.ts) as they happen, and subscribers (notifier plugins, a live
 *  view, metrics) get them later, each from its own bounded queue (subscriber-queue.ts). Why this shape: emitting
 *  sits on the drop's path (a stock report, an order answer), so `emit` is synchronous, O(1) per subscriber, never
 *  throws and never waits; everything a subscriber does happens after, asynchronously, and nothing it does (throw,
 *  hang, fall behind) reaches the run: a full queue drops its oldest event, a failure is counted, and both are
 *  logged at most once per LOG_EVERY_MS per subscriber. Subscribers only ever see the read-only side
 *  (RunEventSource); the run keeps `emit` and `close`. */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { AutomintError } from '../errors.js';
import type { RunEvent, RunEventDraft, RunEventType } from './run-event.js';
import { SubscriberQueue, type EventHandler, type QueueTrouble, type SubscriberStats } from './subscriber-queue.js';

export type { EventHandler, SubscriberStats } from './subscriber-queue.js';

/** How a subscriber wants its events. */
export interface SubscribeOptions {
  /** Most events waiting for it at once; past it the oldest is dropped (counted). Default DEFAULT_QUEUE_SIZE. */
  readonly queueSize?: number;
  /** Only these types are queued for it (default: every type): what it ignores never takes room in its queue. */
  readonly types?: readonly RunEventType[];
}

/** One subscription: its counts, and a way to leave (what waits for it is then dropped). */
export interface Subscription {
  readonly name: string;
  stats(): SubscriberStats;
  unsubscribe(): void;
}

/** The read-only side of the bus, the one plugins get (RUN_EVENTS, core/plugins/notifier.ts). */
export interface RunEventSource {
  /** Subscribes `handler` under `name` (for logs and stats); events emitted from now on are queued for it. */
  subscribe(name: string, handler: EventHandler<RunEvent>, options?: SubscribeOptions): Subscription;
}

/** The emitting side, handed to the actors. */
export interface RunEventSink {
  /** Stamps `at` and `traceId` and queues the event for every subscriber that wants it. Never throws, never waits. */
  emit(event: RunEventDraft): void;
  /** `emit`, but only the first time `key` is seen in this run (a target reached, a budget reached, a login needed:
   *  facts several actors may meet). */
  emitOnce(key: string, event: RunEventDraft): void;
}

/** A sink that drops everything: what actors use when the run gave them none (unit tests, `doctor`). */
export const NO_RUN_EVENTS: RunEventSink = { emit: () => undefined, emitOnce: () => undefined };

/** Queue size per subscriber unless it asks: a drop's whole burst of orders and payments for a fleet fits. */
export const DEFAULT_QUEUE_SIZE = 1_000;
/** Largest queue a subscriber may ask for (memory stays bounded whatever a plugin asks). */
export const MAX_QUEUE_SIZE = 100_000;
/** Drops and failures are logged at most this often per subscriber. */
export const LOG_EVERY_MS = 10_000;
/** How long `close` lets the queues drain unless told. */
export const CLOSE_DRAIN_MS = 2_000;

/** A subscription the bus cannot take (a bad queue size, a closed bus). */
export class RunEventsError extends AutomintError {}

export interface RunEventsOptions {
  readonly log?: Pick<Logger, 'warn' | 'info'>;
  /** Epoch ms (tests pass a fixed clock). */
  readonly now?: () => number;
}

/** The trace id of the span active now, when it is a real one. */
export function activeTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx !== undefined && isSpanContextValid(ctx) ? ctx.traceId : undefined;
}

/** Per subscriber, what was last logged, so trouble is logged at most once per LOG_EVERY_MS. */
interface TroubleLog {
  lastAt: number;
  droppedThen: number;
  failedThen: number;
  pending: boolean;
  /** The first failure since the last line, as log facts. */
  error: Record<string, unknown> | null;
}

export class RunEvents implements RunEventSink, RunEventSource {
  private readonly queues = new Map<SubscriberQueue<RunEvent>, ReadonlySet<string> | null>();
  private readonly once = new Set<string>();
  private readonly troubleLog = new WeakMap<SubscriberQueue<unknown>, TroubleLog>();
  private closing = false;
  /** Subscribers that left or were stopped at close, kept for `stats`. */
  private readonly gone: SubscriberQueue<RunEvent>[] = [];
  private readonly now: () => number;
  private readonly trouble: QueueTrouble;
  /** The run's root trace id, for events emitted where no span is active (setRunTraceId). */
  private runTraceId: string | undefined;

  constructor(private readonly options: RunEventsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.trouble = { dropped: (q) => this.noteTrouble(q, null), failed: (q, e) => this.noteTrouble(q, e) };
  }

  emit(draft: RunEventDraft): void {
    try {
      if (this.closing || this.queues.size === 0) return;
      // A frozen copy: every subscriber gets the same object, none may change what the others see, and a list the
      // emitter handed in (a config's) is never frozen under it.
      const event = frozenCopy({ ...draft, at: this.now(), traceId: activeTraceId() ?? this.runTraceId }) as RunEvent;
      for (const [queue, types] of this.queues) if (types === null || types.has(event.type)) queue.offer(event);
    } catch {
      // Emitting must never fail the emitter: an event lost here is a notification lost, never a purchase.
    }
  }

  emitOnce(key: string, draft: RunEventDraft): void {
    if (this.once.has(key)) return;
    this.once.add(key);
    this.emit(draft);
  }

  subscribe(name: string, handler: EventHandler<RunEvent>, options: SubscribeOptions = {}): Subscription {
    if (this.closing) throw new RunEventsError('RUN_EVENTS_CLOSED', `cannot subscribe ${name}: the run's events are closed`, { subscriber: name });
    const size = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_QUEUE_SIZE) {
      throw new RunEventsError('RUN_EVENTS_QUEUE_SIZE', `subscriber ${name}: queueSize must be a whole number from 1 to ${MAX_QUEUE_SIZE}, got ${String(size)}`, { subscriber: name });
    }
    const queue = new SubscriberQueue<RunEvent>(name, handler, size, this.trouble);
    this.queues.set(queue, options.types === undefined ? null : new Set(options.types));
    return {
      name,
      stats: () => queue.stats(),
      unsubscribe: () => {
        if (!this.queues.delete(queue)) return;
        queue.stop();
        this.gone.push(queue);
      },
    };
  }

  /** The run's root trace id: what events emitted outside any span carry. */
  setRunTraceId(traceId: string | undefined): void {
    // An untraced run's span has the all-zero id: no trace at all.
    this.runTraceId = traceId !== undefined && /^[0-9a-f]{32}$/.test(traceId) && /[1-9a-f]/.test(traceId) ? traceId : undefined;
  }

  /** The read-only side, for plugins: nothing on it can emit or close. */
  source(): RunEventSource {
    return Object.freeze({ subscribe: this.subscribe.bind(this) });
  }

  /** Counts per subscriber, current and gone. */
  stats(): SubscriberStats[] {
    return [...this.queues.keys(), ...this.gone].map((q) => q.stats());
  }

  /** Takes no more events, lets the queues drain for at most `timeoutMs`, then stops every subscriber (what still
   *  waits is counted as dropped; a handler still running is left to end on its own) and logs the counts of any
   *  subscriber that lost or failed events. Never rejects; a second call only waits again. */
  async close(timeoutMs = CLOSE_DRAIN_MS): Promise<SubscriberStats[]> {
    this.closing = true;
    const queues = [...this.queues.keys()];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(queues.map((q) => q.whenIdle())), late]);
    clearTimeout(timer);
    for (const q of queues) {
      q.stop();
      this.queues.delete(q);
      this.gone.push(q);
    }
    const stats = this.stats();
    const troubled = stats.filter((s) => s.dropped > 0 || s.failed > 0);
    if (troubled.length > 0) this.options.log?.warn({ subscribers: troubled }, 'run events: some subscribers lost or failed events');
    return stats;
  }

  /** Logs a drop or a failure now when the subscriber's last log is old enough, else once the interval has passed
   *  (deferred: a drop happens inside `emit`, which must not write a log line on the drop's path). One line says
   *  what happened since the last: how many dropped and failed, and the first failure's words. */
  private noteTrouble(queue: SubscriberQueue<unknown>, error: unknown): void {
    let t = this.troubleLog.get(queue);
    if (t === undefined) this.troubleLog.set(queue, (t = { lastAt: -Infinity, droppedThen: 0, failedThen: 0, pending: false, error: null }));
    if (error !== null && t.error === null) t.error = describe(error);
    if (t.pending) return;
    t.pending = true;
    const state = t;
    const wait = Math.max(0, state.lastAt + LOG_EVERY_MS - this.now());
    const report = (): void => {
      const s = queue.stats();
      const droppedSince = s.dropped - state.droppedThen;
      const failedSince = s.failed - state.failedThen;
      const facts = {
        subscriber: s.name, dropped: s.dropped, failed: s.failed, droppedSince, failedSince, queueSize: queue.capacity,
        ...(state.error === null ? {} : { err: state.error }),
      };
      const what = failedSince > 0 ? (droppedSince > 0 ? 'failed and fell behind (oldest events dropped)' : 'failed') : 'fell behind; oldest events dropped';
      Object.assign(state, { pending: false, lastAt: this.now(), droppedThen: s.dropped, failedThen: s.failed, error: null });
      this.options.log?.warn(facts, `run events: subscriber ${what}`);
    };
    // A kept timer would hold the process open after the run: unref'd, and the close's own log says the totals.
    if (wait === 0) setImmediate(report);
    else setTimeout(report, wait).unref();
  }
}

/** A frozen copy of an event's data, lists and records included (events are small: a few fields, a summary's
 *  targets). */
function frozenCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy));
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) copy[k] = frozenCopy(v);
  return Object.freeze(copy);
}

/** A subscriber's error as log facts: its code and message (a plugin's error may carry anything else). */
function describe(e: unknown): Record<string, unknown> {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(e) };
}
