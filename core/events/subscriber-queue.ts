/** One subscriber's side of the run's event bus: a bounded ring of events waiting for it, drained asynchronously one
 *  handler call at a time. Why a queue per subscriber: the run must never wait on a listener (a notifier talking to a
 *  slow Bot API, a live view that froze), and one slow listener must not starve the others. Why bounded, dropping the
 *  oldest: memory stays fixed whatever a listener does, and what is kept is the newest news (the sold-out, the
 *  summary), which is what a listener that fell behind wants to tell. Every drop and every failure is counted. Each
 *  event is scrubbed of registered secrets as it is handed over (scrub-event.ts), off the emitter's path. */
import { scrubEvent } from './scrub-event.js';

/** A subscriber's handler: may be async; a throw or a rejection is counted, never passed on. */
export type EventHandler<E> = (event: E) => void | Promise<void>;

/** What happened to the events offered to one subscriber. */
export interface SubscriberStats {
  readonly name: string;
  /** Handled without a throw. */
  readonly delivered: number;
  /** Pushed out of a full queue (the oldest first), or still queued when the bus closed or the subscriber left. */
  readonly dropped: number;
  /** The handler threw or rejected. */
  readonly failed: number;
  /** Waiting now. */
  readonly queued: number;
}

/** Where a queue reports trouble; the bus logs it, at most once per interval. */
export interface QueueTrouble {
  dropped(queue: SubscriberQueue<unknown>): void;
  failed(queue: SubscriberQueue<unknown>, error: unknown): void;
}

export class SubscriberQueue<E> {
  private readonly ring: (E | undefined)[];
  private head = 0;
  private size = 0;
  private delivered = 0;
  private droppedCount = 0;
  private failedCount = 0;
  /** A drain is scheduled or running. */
  private busy = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly handler: EventHandler<E>,
    readonly capacity: number,
    private readonly trouble: QueueTrouble,
    /** When the events of a drain are handed over; `setImmediate` by default, so handlers run after pending I/O, never
     *  inside the emitter's synchronous work. */
    private readonly schedule: (drain: () => void) => void = (drain) => void setImmediate(drain),
  ) {
    this.ring = new Array<E | undefined>(capacity);
  }

  /** Queues one event; O(1), never throws, never waits. When full, the oldest waiting event is dropped. */
  offer(event: E): void {
    if (this.stopped) {
      this.droppedCount += 1;
      return;
    }
    if (this.size === this.capacity) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
      this.droppedCount += 1;
      this.trouble.dropped(this as SubscriberQueue<unknown>);
    }
    this.ring[(this.head + this.size) % this.capacity] = event;
    this.size += 1;
    if (!this.busy) {
      this.busy = true;
      this.schedule(() => void this.drain());
    }
  }

  /** Counts so far. */
  stats(): SubscriberStats {
    return { name: this.name, delivered: this.delivered, dropped: this.droppedCount, failed: this.failedCount, queued: this.size };
  }

  /** True when nothing waits and no handler runs. */
  get idle(): boolean {
    return !this.busy;
  }

  /** Resolves once nothing waits and no handler runs (at once when idle). */
  whenIdle(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  /** Takes no more events; what waits is counted as dropped. A handler call under way is left to finish on its own. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.droppedCount += this.size;
    this.ring.fill(undefined);
    this.size = 0;
  }

  private async drain(): Promise<void> {
    while (this.size > 0 && !this.stopped) {
      const event = this.ring[this.head] as E;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
      try {
        // Scrubbed here, not at emit: the emitter (a payer at a drop) never pays for it, and a scrub that throws is a
        // failed delivery, counted like a handler's throw.
        await this.handler(scrubEvent(event));
        this.delivered += 1;
      } catch (e) {
        this.failedCount += 1;
        this.trouble.failed(this as SubscriberQueue<unknown>, e);
      }
    }
    this.busy = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
