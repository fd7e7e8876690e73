import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WalletLock } from '../../../plugins/ton/wallet-lock.js';

/** A lock request whose grant the test can observe without awaiting it. */
function request(lock: WalletLock, signal?: AbortSignal) {
  const state: { release: (() => void) | null; error: unknown } = { release: null, error: null };
  const settled = lock.acquire(signal).then(
    (release) => {
      state.release = release;
    },
    (e: unknown) => {
      state.error = e;
    },
  );
  return Object.assign(state, { settled });
}

/** Lets every already-resolved promise chain run (a grant that can happen now has happened after this). */
async function settle(): Promise<void> {
  await nextTurn();
}

describe('wallet lock', () => {
  it('grants the lock to one holder at a time', async () => {
    const lock = new WalletLock();
    const a = request(lock);
    const b = request(lock);
    await settle();
    expect(a.release).not.toBeNull();
    expect(b.release).toBeNull();

    a.release!();
    await b.settled;
    expect(b.release).not.toBeNull();
  });

  it('never lets two critical sections overlap', async () => {
    const lock = new WalletLock();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await lock.acquire();
        inside++;
        most = Math.max(most, inside);
        await settle();
        inside--;
        release();
      }),
    );
    expect(most).toBe(1);
  });

  it('serves waiters in the order they asked', async () => {
    const lock = new WalletLock();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const release = await lock.acquire();
        order.push(i);
        // Hand over on a later turn so a waiter that jumped the queue would show.
        await settle();
        release();
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('passes the turn on past a waiter that gave up, once the holder releases', async () => {
    const lock = new WalletLock();
    const abort = new AbortController();
    const holder = request(lock);
    const quitter = request(lock, abort.signal);
    const next = request(lock);
    const last = request(lock);
    await settle();

    abort.abort(new Error('payer stopped'));
    await quitter.settled;
    expect((quitter.error as Error).message).toBe('payer stopped');
    expect(quitter.release).toBeNull();

    // Giving up does not jump the holder.
    await settle();
    expect(next.release).toBeNull();

    holder.release!();
    await next.settled;
    expect(next.release).not.toBeNull();
    expect(last.release).toBeNull();

    next.release!();
    await last.settled;
    expect(last.release).not.toBeNull();
  });

  it('refuses at once with an already aborted signal and does not block later waiters', async () => {
    const lock = new WalletLock();
    const reason = new Error('already stopped');
    const quitter = request(lock, AbortSignal.abort(reason));
    const next = request(lock);
    await Promise.all([quitter.settled, next.settled]);
    expect(quitter.error).toBe(reason);
    expect(next.release).not.toBeNull();
  });

  it('keeps the lock with a holder whose signal aborts after the grant', async () => {
    const lock = new WalletLock();
    const abort = new AbortController();
    const holder = request(lock, abort.signal);
    await holder.settled;
    const next = request(lock);
    abort.abort();
    await settle();
    expect(next.release).toBeNull();

    holder.release!();
    await next.settled;
    expect(next.release).not.toBeNull();
  });

  it('ignores a second release by the same holder', async () => {
    const lock = new WalletLock();
    const first = request(lock);
    const second = request(lock);
    const third = request(lock);
    await first.settled;
    first.release!();
    await second.settled;

    first.release!();
    await settle();
    expect(third.release).toBeNull();

    second.release!();
    await third.settled;
    expect(third.release).not.toBeNull();
  });
});
