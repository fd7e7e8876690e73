/** The watcher: polls one target's collection (`404` = not published yet; then `status` and `left`) and tells every
 *  purchase of that target what it saw: STOCK after each poll that shows the character on sale, SOLD_OUT when it is
 *  gone. Keeps polling while stock falls, so purchases keep buying. Talks to: purchases (by systemId), the store. */
import { fromCallback } from 'xstate';
import type { Logger } from 'pino';
import type { StoreClient } from '../store/store-client.js';
import { StoreRateLimited } from '../store/store-error.js';
import type { TargetSpec } from '../plugins/payment.js';
import type { RunMetrics } from './run-metrics.js';

export interface WatcherInput {
  readonly target: TargetSpec;
  /** The client of one of the target's accounts (polls spend that account's pool at poll priority). */
  readonly store: StoreClient;
  /** systemIds of the purchases to tell. */
  readonly purchases: readonly string[];
  readonly pollIntervalMs: number;
  readonly metrics: RunMetrics;
  readonly log: Logger;
}

/** What the watcher sends to purchases (see PurchaseEvent). */
export type WatcherReport = { type: 'STOCK'; left: number; observedAt: number } | { type: 'SOLD_OUT' };

export type WatcherEvent =
  /** From a purchase whose order was refused for stock: look again now instead of at the next tick. */
  { type: 'POLL_NOW' };

export const watcherLogic = fromCallback<WatcherEvent, WatcherInput>(({ input, system, receive }) => {
  const abort = new AbortController();
  let wake: (() => void) | null = null;
  receive(() => wake?.());
  let published = false;
  let soldOut = false;
  const tell = (report: WatcherReport): void => {
    for (const id of input.purchases) system.get(id)?.send(report);
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        wake = null;
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wake = done;
      abort.signal.addEventListener('abort', done, { once: true });
    });

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const started = Date.now();
      let waitMs = input.pollIntervalMs;
      try {
        const view = await input.store.collection(input.target.collection, { signal: abort.signal });
        const observedAt = performance.now();
        if (view.published) {
          if (!published) input.log.info({ collection: view.id, title: view.title, status: view.status }, 'collection published');
          published = true;
          const character = view.characters.find((c) => c.id === input.target.character);
          if (!character) {
            input.log.warn({ character: input.target.character }, 'character not in the collection');
          } else if (view.status === 'active' && character.left > 0) {
            input.metrics.firstStockSeenAt ??= observedAt;
            soldOut = false;
            tell({ type: 'STOCK', left: character.left, observedAt });
          } else if (character.left === 0 && !soldOut) {
            soldOut = true;
            input.log.info({ character: character.id }, 'sold out');
            tell({ type: 'SOLD_OUT' });
          }
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        if (e instanceof StoreRateLimited) waitMs = Math.max(waitMs, e.retryAt - Date.now());
        input.log.warn({ err: e }, 'poll failed');
      }
      await sleep(Math.max(0, waitMs - (Date.now() - started)));
    }
  };
  void loop();
  return () => abort.abort();
});
