/** Forced garbage collection inside a vitest worker: the same `gc()` that `node --expose-gc` gives, switched on at run
 *  time (V8 reads the flag when the function is first looked up in a fresh context), so one test file can collect
 *  without starting every worker with the flag. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** `global.gc`, exposed if the process was started without `--expose-gc`. */
export function exposedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Collects garbage over and over, a turn of the event loop between collections, until `pending` settles; then gives
 *  `pending`'s outcome back. What a bounded wait must survive: a collection at any moment while it is pending. */
export async function collectingUntil<T>(pending: Promise<T>, everyMs = 5): Promise<T> {
  const gc = exposedGc();
  let settled = false;
  const done = pending.finally(() => {
    settled = true;
  });
  done.catch(() => undefined);
  while (!settled) {
    gc();
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return done;
}
