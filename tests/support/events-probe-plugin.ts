/** A notifier plugin for tests, loaded by path (`plugins.paths`) as a third party's would be: it registers a Notifier
 *  whose `subscribe` makes three subscribers on the run's events: one recording every event, one throwing on every
 *  event, and one taking 10 s over each. The test reads what they saw through a global keyed by a symbol (the plugin
 *  module is imported by the host, not by the test). */
import { z } from 'zod';
import { definePlugin } from '../../core/plugins/manifest.js';
import { NOTIFIER, type Notifier, type RunEvent, type Subscription } from '../../core/plugins/notifier.js';

/** What the probe's subscribers saw, for the test. */
export interface EventsProbe {
  readonly recorded: RunEvent[];
  readonly subscriptions: Subscription[];
  /** Handler calls the blocking subscriber started, and the notifier's close. */
  blockerCalls: number;
  closed: boolean;
}

export const EVENTS_PROBE = Symbol.for('automint.test.events-probe');

/** The probe of this process (made on first use). */
export function eventsProbe(): EventsProbe {
  const g = globalThis as { [EVENTS_PROBE]?: EventsProbe };
  return (g[EVENTS_PROBE] ??= { recorded: [], subscriptions: [], blockerCalls: 0, closed: false });
}

/** How long the blocking subscriber takes over each event. */
export const BLOCK_MS = 10_000;

export default definePlugin({
  kind: 'notifier',
  id: 'events-probe',
  description: 'test notifier: records, throws on and blocks on every run event',
  hostVersion: '^1',
  configSchema: z.object({}).strict(),
  register(container) {
    const probe = eventsProbe();
    const notifier: Notifier = {
      id: 'events-probe',
      subscribe(events) {
        probe.subscriptions.push(
          events.subscribe('recorder', (e) => void probe.recorded.push(e), { queueSize: 10_000 }),
          events.subscribe('thrower', () => {
            throw new Error('notifier down');
          }),
          events.subscribe('blocker', async () => {
            probe.blockerCalls += 1;
            await new Promise((resolve) => setTimeout(resolve, BLOCK_MS).unref());
          }, { queueSize: 8 }),
        );
      },
      close() {
        probe.closed = true;
      },
    };
    container.register(NOTIFIER, { useValue: notifier });
  },
});
