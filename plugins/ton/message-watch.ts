/** Confirmation of one signed external message (one transfer or a batch of them) on chain, and what it means for
 *  each order it pays. Once the wallet's seqno has moved past the message's seqno, the transaction that used that
 *  seqno decides (see message-search.ts): ours executed, or another message took the seqno and ours never will. With
 *  the seqno unmoved, the message never will execute once the chain's own clock is past its valid_until. No local
 *  clock decides anything. One watch serves every member of a batch, so a batch of 255 polls toncenter as one
 *  transfer does. */
import type { Address, Transaction } from '@ton/core';
import type { Nano } from '../../core/money.js';
import type { Settlement } from '../../core/plugins/payment.js';
import type { TonConfig } from './config.js';
import { memberOutcome } from './batch-transaction.js';
import type { TonWallet } from './ton-wallet.js';

/** What the chain says about one signed message. */
export type MessageOutcome =
  | { readonly kind: 'executed'; readonly tx: Transaction }
  /** It never executed and never will: expired unsent, or another message used its seqno. */
  | { readonly kind: 'expired'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The message watched for. */
export interface WatchedMessage {
  readonly seqno: number;
  readonly validUntil: number;
  readonly boc: string;
  /** Hash of the external message cell (hex); absent in intents recorded before it was kept. */
  readonly bocHash?: string;
  /** The order ids its transfers carry as comments, in signing order. */
  readonly comments: readonly string[];
}

/** How far the chain's clock must be past valid_until before "not paid" is certain: the block that carries the
 *  message may be built before valid_until yet become visible in the state a little later (shard blocks reach the
 *  masterchain one or two blocks on). */
const CHAIN_SETTLE_SEC = 10;

/** How long a moved seqno may go without its transaction being listed before the outcome is called unknown. */
const LISTING_GRACE_MS = 10_000;

/**
 * Waits until the wallet seqno passes the message's seqno, then finds the transaction that used that seqno. Once the
 * chain's own time (of the block the seqno was read at, never the local clock) is past `validUntil` with the seqno
 * unchanged, the message can never execute: expired, for certain. With `resend`, the message is broadcast again
 * once while the seqno still waits for it and it is valid (the seqno makes that safe): reconciliation after a
 * restart passes it only when every order the message pays has its intent in the ledger.
 */
export async function watchMessage(
  wallet: TonWallet, m: WatchedMessage, config: TonConfig, signal: AbortSignal, opts: { resend?: boolean } = {},
): Promise<MessageOutcome> {
  // Durations on the monotonic clock: a step of the wall clock must not end a watch early.
  const deadline = performance.now() + config.confirmTimeoutSec * 1000;
  let resent = !opts.resend;
  /** When the seqno was first seen moved: an indexer may list the transaction a little after the state changes. */
  let movedAt: number | null = null;
  let unlisted = '';
  while (!signal.aborted && performance.now() < deadline) {
    // A failed read says nothing; try again at the next tick.
    const state = await wallet.chainState().catch(() => null);
    if (state && state.seqno > m.seqno) {
      const found = await wallet.findMessage(m).catch(() => null);
      if (found?.kind === 'ours') return { kind: 'executed', tx: found.tx };
      if (found?.kind === 'overtaken') {
        return { kind: 'expired', reason: `another message used seqno ${m.seqno} (transaction ${found.tx.hash().toString('hex')}): ours can never execute` };
      }
      movedAt ??= performance.now();
      if (found?.kind === 'not-listed') unlisted = found.reason;
      if (found !== null && performance.now() - movedAt > LISTING_GRACE_MS) {
        return { kind: 'unknown', reason: `seqno moved past ${m.seqno} but ${unlisted}` };
      }
    } else if (state && state.seqno === m.seqno && (state.deployed || m.seqno === 0) && state.utime > m.validUntil + CHAIN_SETTLE_SEC) {
      // Only a read of the deployed wallet at our seqno proves it unmoved: an "uninitialized" answer about a wallet that
      // has sent before (a liteserver out of sync) says nothing.
      return { kind: 'expired', reason: `transfer expired at ${m.validUntil} with seqno still ${state.seqno} at chain time ${state.utime}` };
    } else if (!resent && state && state.seqno === m.seqno && wallet.clock.nowSec() < m.validUntil) {
      resent = true;
      await wallet.broadcast(m.boc).catch(() => undefined);
    }
    await sleep(config.confirmPollMs, signal);
  }
  if (signal.aborted) return { kind: 'unknown', reason: 'confirmation interrupted' };
  return { kind: 'unknown', reason: unlisted === '' ? `not confirmed within ${config.confirmTimeoutSec} s` : `seqno moved past ${m.seqno} but ${unlisted}` };
}

/** One member of a watched message: its index in `comments` and the transfer it signed. */
export interface MessageMember {
  readonly index: number;
  readonly destination: Address;
  readonly amount: Nano;
  readonly comment: string;
}

/** What the message's outcome means for one of the orders it pays. */
export function settleMember(outcome: MessageOutcome, comments: readonly string[], member: MessageMember): Settlement {
  if (outcome.kind === 'expired') return { outcome: 'not-paid', reason: outcome.reason };
  if (outcome.kind === 'unknown') return { outcome: 'unknown', reason: outcome.reason };
  const txHash = outcome.tx.hash().toString('hex');
  const mine = memberOutcome(outcome.tx, comments, member.index, member);
  if (mine.kind === 'paid') return { outcome: 'paid', txHash, fee: mine.fee };
  if (mine.kind === 'mismatch') return { outcome: 'unknown', reason: `${mine.reason} (transaction ${txHash})` };
  // The seqno was spent on our message and its action phase left this transfer out (e.g. the balance ran short):
  // the value never left the wallet.
  return { outcome: 'not-paid', reason: `our message executed in transaction ${txHash} without the transfer for order ${member.comment}` };
}

/** A single transfer to confirm (the message carries this order alone, or `comments` names the whole batch). */
export interface PendingTransfer extends Omit<WatchedMessage, 'comments'> {
  readonly destination: Address;
  readonly amount: Nano;
  readonly comment: string;
  /** Every order id of the message, in signing order; just `comment` when absent. */
  readonly comments?: readonly string[];
}

/** Watches the message of one transfer and settles it (for a batch member, prefer one SharedWatch for all). */
export async function confirmTransfer(
  wallet: TonWallet, t: PendingTransfer, config: TonConfig, signal: AbortSignal, opts: { resend?: boolean } = {},
): Promise<Settlement> {
  const comments = t.comments ?? [t.comment];
  const outcome = await watchMessage(wallet, { ...t, comments }, config, signal, opts);
  return settleMember(outcome, comments, { index: Math.max(0, comments.indexOf(t.comment)), destination: t.destination, amount: t.amount, comment: t.comment });
}

/**
 * One watch of a message shared by every caller: it starts with the first, ends early only when every caller has
 * left (each with its own signal), and a certain outcome (executed, expired) is kept for later callers; an unknown
 * one is not, so the next caller watches again.
 */
export class SharedWatch {
  private running: { readonly outcome: Promise<MessageOutcome>; readonly stop: AbortController; done: boolean } | null = null;
  private final: MessageOutcome | null = null;
  private waiting = 0;

  constructor(private readonly watch: (signal: AbortSignal) => Promise<MessageOutcome>) {}

  /** The message's outcome, or unknown ('confirmation interrupted') when `signal` aborts first. */
  async outcome(signal: AbortSignal): Promise<MessageOutcome> {
    if (this.final) return this.final;
    if (!this.running) {
      const stop = new AbortController();
      const run = { stop, done: false, outcome: this.watch(stop.signal) };
      this.running = run;
      void run.outcome.then((o) => {
        run.done = true;
        if (o.kind !== 'unknown') this.final = o;
        if (this.running === run) this.running = null;
      }, () => {
        run.done = true;
        if (this.running === run) this.running = null;
      });
    }
    const run = this.running;
    this.waiting += 1;
    try {
      return await untilAborted(run.outcome, signal);
    } finally {
      this.waiting -= 1;
      if (this.waiting === 0 && !run.done) {
        run.stop.abort();
        if (this.running === run) this.running = null;
      }
    }
  }
}

function untilAborted(outcome: Promise<MessageOutcome>, signal: AbortSignal): Promise<MessageOutcome> {
  const interrupted: MessageOutcome = { kind: 'unknown', reason: 'confirmation interrupted' };
  if (signal.aborted) return Promise.resolve(interrupted);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(interrupted);
    signal.addEventListener('abort', onAbort, { once: true });
    outcome.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Waits `ms`, or not at all once `signal` is aborted: a stop that came during a read must not wait a whole poll. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
