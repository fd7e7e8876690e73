/** Broadcasting a signed message until toncenter takes it, for as long as the message can still execute. Sending the
 *  same message again is harmless (the wallet's seqno lets it execute at most once), so a 5xx, a 429, a reset or a
 *  timeout is no reason to give up a drop: only a node that evaluated the message and refused it ("cannot apply
 *  external message to current state": the seqno moved, the message expired) is an answer, and retrying it changes
 *  nothing. Whatever happens here, whether the money moved is for confirmation to find out on chain. */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { ChainClock } from './chain-clock.js';
import { TonPaymentError } from './ton-payment-error.js';

/** The first retry comes soon (a drop is a race), later ones back off to a steady pace. */
const BACKOFF = { initialDelay: 100, maxDelay: 2_000 };

/** The failure of one send that another send may not have. */
export function isTransientBroadcastFailure(e: unknown): boolean {
  if (!(e instanceof TonPaymentError) || e.code !== 'TON_RPC_FAILED') return false;
  const { status, toncenterError } = e.details as { status?: number; toncenterError?: string };
  if (typeof toncenterError === 'string' && /cannot apply external message/i.test(toncenterError)) return false;
  return status === undefined || status === 429 || status >= 500;
}

/** Calls `send` until it succeeds, the failure is not transient, the chain's clock reaches `validUntil` (unix
 *  seconds) or `signal` aborts; rejects with the last failure. */
export async function broadcastWhileValid(
  send: () => Promise<void>, validUntil: number, clock: ChainClock, signal?: AbortSignal,
): Promise<void> {
  const policy = retry(handleWhen((e) => isTransientBroadcastFailure(e) && clock.nowSec() < validUntil), {
    maxAttempts: Number.MAX_SAFE_INTEGER,
    backoff: new ExponentialBackoff(BACKOFF),
  });
  await policy.execute(() => send(), signal);
}
