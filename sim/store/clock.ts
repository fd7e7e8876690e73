/** Where the simulated store reads the time (epoch milliseconds) and how it waits. Injected so tests can hold time
 *  still or move it. */
import { setMaxListeners } from 'node:events';

export type Clock = () => number;

/** The machine's wall clock. */
export const systemClock: Clock = () => Date.now();

/** Waits `ms` of real time (injected faults); resolves early when the store shuts down. */
export type Sleep = (ms: number) => Promise<void>;

/** A Sleep on timers that all end, resolved, as soon as `signal` aborts, so closing the store never waits on them. */
export function sleepUntil(signal: AbortSignal): Sleep {
  // Every slowed request listens for the abort; a busy store holds many at once, which is no leak.
  setMaxListeners(0, signal);
  return (ms) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
}
