/** Bounding a GramJS call in time. GramJS waits forever for an answer (and for a connection that never comes back),
 *  so every call the plugin makes races a deadline, the caller's signal and a connection-level failure. The call
 *  itself cannot be withdrawn: a call that loses the race may still be executed, which the caller is told. */

export interface Bounds {
  /** No deadline when absent (waiting for a person). */
  readonly timeoutMs?: number;
  /** The caller's signal: giving up early. */
  readonly signal?: AbortSignal;
  /** Aborted when the connection can no longer serve anyone; its `reason` is the error thrown. */
  readonly failure?: AbortSignal;
  onTimeout(): Error;
  onAbort(): Error;
}

/** `work`'s outcome, unless the deadline passes, the caller aborts or the connection fails first. */
export function bounded<T>(work: Promise<T>, bounds: Bounds): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const { signal, failure } = bounds;
    const onAbort = (): void => finish(() => reject(bounds.onAbort()));
    const onFailure = (): void => finish(() => reject(failure?.reason));
    const timer = bounds.timeoutMs === undefined ? undefined : setTimeout(() => finish(() => reject(bounds.onTimeout())), bounds.timeoutMs);
    function finish(settle: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      failure?.removeEventListener('abort', onFailure);
      settle();
    }
    // A late rejection of a call that lost the race is expected and must not surface as unhandled.
    work.then(
      (value) => finish(() => resolve(value)),
      (e: unknown) => finish(() => reject(e)),
    );
    if (failure?.aborted) return onFailure();
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    failure?.addEventListener('abort', onFailure, { once: true });
  });
}
