/** When the store's connections are warmed (warm-sockets.ts): around each target's `dropAt`, from WARM_LEAD_MS before
 *  it until WARM_TAIL_MS after (a drop that comes late), topped up every WARM_EVERY_MS with sockets that stay fresh
 *  until the next top-up (a warm socket is trusted only a few seconds). Only the store's configured base URL is
 *  warmed, not its mirrors. A run without `dropAt` does not warm: it cannot tell when the drop comes, and its polls
 *  keep one connection open. */
import type { Logger } from 'pino';
import type { WarmSockets } from '../store/warm-sockets.js';

export const WARM_LEAD_MS = 10_000;
export const WARM_TAIL_MS = 10_000;
export const WARM_EVERY_MS = 3_000;

/** True while some drop is close enough for warm sockets to be worth holding. */
export function warmingAt(dropAts: readonly number[], now: number): boolean {
  return dropAts.some((at) => now >= at - WARM_LEAD_MS && now <= at + WARM_TAIL_MS);
}

/** A run's warm-ups of the store's connections; `stop` ends them and closes the sockets no request took. */
export interface WarmUps {
  stop(): void;
}

/** Warms `count` connections to `origin` around each of `dropAts` (epoch ms), for as long as the run lasts. */
export function startWarmUps(opts: {
  sockets: WarmSockets; origin: string; count: number; dropAts: readonly number[]; log: Logger; now?: () => number;
}): WarmUps {
  const { sockets, origin, count, dropAts, log } = opts;
  const now = opts.now ?? Date.now;
  if (count <= 0 || dropAts.length === 0) return { stop: () => sockets.close() };
  let said = false;
  let busy = false;
  const tick = (): void => {
    // A top-up still connecting is not doubled by the next tick.
    if (busy || !warmingAt(dropAts, now())) return;
    busy = true;
    // Each top-up keeps sockets that last until the next one, so the drop always finds some fresh.
    sockets.warm(origin, count, WARM_EVERY_MS).then((ready) => {
      if (said) return;
      said = true;
      log.info({ ready, wanted: count }, 'store connections opened for the drop');
    }, (err: unknown) => log.debug({ err }, 'store connections could not be opened ahead')).finally(() => {
      busy = false;
    });
  };
  const timer = setInterval(tick, WARM_EVERY_MS);
  timer.unref();
  tick();
  return {
    stop: () => {
      clearInterval(timer);
      if (said) log.info({ warm: sockets.used.warm, opened: sockets.used.cold }, 'store connections: taken warm, opened by requests');
      sockets.close();
    },
  };
}
