/** What a `kind: 'notifier'` plugin provides: a listener to the run's events (core/events/run-event.ts), told the
 *  moment the run starts and closed on every way out of it. The plugin registers a Notifier under NOTIFIER in its
 *  `register`; the host finds them all with `resolveAll`, calls `subscribe` with the read-only event source before the
 *  run's actors start, and after the run (done, stopped or failed) drains the queues for a bounded time and calls
 *  `close`. Nothing a notifier does can delay or fail a purchase: its handlers run from their own bounded queue
 *  (oldest dropped when full, drops and failures counted and logged), and `subscribe` and `close` are bounded in time.
 *
 *  A plugin that wants the events at another moment (a payment plugin keeping a metric) may resolve RUN_EVENTS, the
 *  same read-only source, from the container it registers on. */
import type { InjectionToken } from 'tsyringe';
import type { RunEventSource } from '../events/run-events.js';

export type {
  RunEvent, RunEventType, RunEventOf, RunEventBase, OrderParty, Amount, SettledBy, TargetTally,
} from '../events/run-event.js';
export { RUN_EVENT_TYPES } from '../events/run-event.js';
export type { RunEventSource, Subscription, SubscribeOptions, SubscriberStats, EventHandler } from '../events/run-events.js';

/** The registration token under which notifier plugins register; the host finds them all with `resolveAll`. */
export const NOTIFIER: InjectionToken<Notifier> = Symbol.for('automint.notifier');

/** The run's events, read-only (subscribe only), registered by the run before plugins register. */
export const RUN_EVENTS: InjectionToken<RunEventSource> = Symbol.for('automint.run-events');

/** A notifier, registered by a plugin under NOTIFIER. */
export interface Notifier {
  /** Short name for logs and stats (the plugin's id, usually). */
  readonly id: string;
  /** Called once when the run starts, before its actors do: subscribe here (`events.subscribe(name, handler, {
   *  types, queueSize })`). A throw, or taking longer than NOTIFIER_CALL_LIMIT_MS, is logged and the run goes on. */
  subscribe(events: RunEventSource): void | Promise<void>;
  /** Called once when the run is over, after its events were drained (for a bounded time): flush, close connections.
   *  Bounded like `subscribe`. */
  close?(): void | Promise<void>;
}

/** Longest the host waits for a notifier's `subscribe` or `close`. */
export const NOTIFIER_CALL_LIMIT_MS = 5_000;

/** The marker by which an error says its account cannot log in until a person acts (no session, a revoked one):
 *  `details.loginNeeded === true` on an AutomintError (or one it wraps). The run then emits `login.needed`. */
export const LOGIN_NEEDED_DETAIL = 'loginNeeded';
