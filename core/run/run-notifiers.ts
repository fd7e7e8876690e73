/** The notifier plugins of one run: each is told to subscribe when the run starts and closed when it ends, whatever
 *  way it ends, after the run's events have been drained for a bounded time. Why bounded everywhere: a notifier is a
 *  bystander; one that hangs in `subscribe` or `close` (a Bot API that never answers) must not hold a drop or keep a
 *  finished run from exiting. Its failures are logged and the run goes on. */
import type { Logger } from 'pino';
import { NOTIFIER_CALL_LIMIT_MS, type Notifier } from '../plugins/notifier.js';
import { CLOSE_DRAIN_MS, type RunEvents, type SubscriberStats } from '../events/run-events.js';

/** The run's notifiers, subscribed. */
export interface RunNotifiers {
  /** Drains the run's events (at most `drainMs`), stops every subscriber and closes each notifier (each bounded).
   *  Never rejects; a second call does nothing. */
  close(drainMs?: number): Promise<SubscriberStats[]>;
}

/** Calls each notifier's `subscribe` with the read-only side of `events`, each bounded by `limitMs`. */
export async function startNotifiers(
  notifiers: readonly Notifier[], events: RunEvents, log: Logger, limitMs = NOTIFIER_CALL_LIMIT_MS,
): Promise<RunNotifiers> {
  const source = events.source();
  await Promise.all(notifiers.map((n) => bounded(n.id, 'subscribe', () => n.subscribe(source), log, limitMs)));
  if (notifiers.length > 0) log.info({ notifiers: notifiers.map((n) => n.id) }, 'notifiers subscribed to the run\'s events');
  let closed: Promise<SubscriberStats[]> | null = null;
  return {
    close: (drainMs = CLOSE_DRAIN_MS) => (closed ??= (async () => {
      const stats = await events.close(drainMs);
      await Promise.all(notifiers.map((n) => (n.close === undefined ? Promise.resolve() : bounded(n.id, 'close', () => n.close!(), log, limitMs))));
      return stats;
    })()),
  };
}

/** Runs one notifier call, waiting for it at most `limitMs`; a throw or a late answer is logged. */
async function bounded(id: string, call: 'subscribe' | 'close', run: () => void | Promise<void>, log: Logger, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), limitMs)));
  try {
    const done = Promise.resolve().then(run).then(() => 'done' as const);
    // Whatever it ends with after we stopped waiting is not our concern, but must not be an unhandled rejection.
    done.catch(() => undefined);
    if ((await Promise.race([done, late])) === 'late') {
      log.warn({ notifier: id, limitMs }, `notifier ${call} did not finish in time; the run goes on`);
    }
  } catch (e) {
    log.warn({ notifier: id, err: e }, `notifier ${call} failed; the run goes on`);
  } finally {
    clearTimeout(timer);
  }
}
