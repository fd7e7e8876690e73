/** One in-flight external message per wallet: the next transfer is built only after the previous one settled, so
 *  two transfers never race for the same seqno. Waiters are served in arrival order. */
export class WalletLock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with a release function once the wallet is free; the caller must call it exactly once. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const before = this.tail;
    this.tail = before.then(() => held);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        // Still pass the turn on when it comes, or every later waiter would hang.
        void before.then(release);
        reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      void before.then(() => {
        if (signal?.aborted) return;
        signal?.removeEventListener('abort', onAbort);
        let done = false;
        resolve(() => {
          if (!done) {
            done = true;
            release();
          }
        });
      });
    });
  }
}
