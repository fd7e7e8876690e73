/** A bounded wait that stays bounded: a signal that aborts when its time is up or when the caller's signal aborts,
 *  whichever comes first. It replaces `AbortSignal.any([signal, AbortSignal.timeout(ms)])`, which Node 20 can lose
 *  after a garbage collection: `AbortSignal.any` holds its sources weakly and `AbortSignal.timeout` keeps no strong
 *  reference to its own signal, so once the caller drops the timeout signal the collector may take it, and the combined
 *  signal never aborts. Here the timer's callback holds the controller, and the event loop holds the timer until it
 *  fires or is cleared, so the deadline lives exactly as long as it is pending.
 *
 *  Cheap enough for every store request: one controller, one timer, one listener on the caller's signal, all released
 *  by `clear()`. Chosen over cockatiel's TimeoutPolicy (same kept-timer idea) because that one aborts without a reason
 *  (the caller's STOP reason and "it was the timeout" are both lost) and wraps the work in a callback, where the store
 *  client needs a signal spanning a request and the reading of its body. */

/** One pending deadline. Call `clear()` when the work ends, in a `finally`. */
export interface Deadline {
  /** Aborts at the deadline (reason: a `TimeoutError` DOMException, or the one given) or with the caller's reason. */
  readonly signal: AbortSignal;
  /** True once the deadline itself fired (not the caller's signal). */
  readonly expired: boolean;
  /** Stops the timer and lets go of the caller's signal; the signal stays as it is. Safe to call more than once. */
  clear(): void;
}

export interface DeadlineOptions {
  /** A signal that ends the wait early; its reason becomes the deadline's. */
  readonly signal?: AbortSignal;
  /** What the signal aborts with at the deadline. Default: a `TimeoutError` DOMException, as `AbortSignal.timeout`
   *  gives, so code that recognises that name keeps working. */
  readonly reason?: () => unknown;
}

/** A deadline `ms` from now. The timer keeps the process alive while it is pending (a wait on something that ignores
 *  its signal must still end at the deadline, not with the process), so always `clear()` it. */
export function deadline(ms: number, opts: DeadlineOptions = {}): Deadline {
  const controller = new AbortController();
  const parent = opts.signal;
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    parent?.removeEventListener('abort', onParent);
    controller.abort(opts.reason ? opts.reason() : new DOMException(`the operation timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  function onParent(): void {
    clearTimeout(timer);
    controller.abort(parent!.reason);
  }
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** Runs `work` with a deadline's signal and clears the deadline when it settles, however it settles. */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal, d: Deadline) => Promise<T>, opts: DeadlineOptions = {}): Promise<T> {
  const d = deadline(ms, opts);
  try {
    return await work(d.signal, d);
  } finally {
    d.clear();
  }
}
