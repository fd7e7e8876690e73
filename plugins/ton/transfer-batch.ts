/** One signed external message of a wallet paying one or more orders (its members), from signing until every member
 *  has let go of it. It is broadcast only once EVERY member has asked to send: the host asks only after recording
 *  the member's intent, so a message never moves money for an order the ledger does not know. A member that lets go
 *  without asking (its recording failed, it was stopped) means the message is never broadcast; every member's
 *  confirmation then ends not-paid once the chain's clock is past valid_until, or once another message took its seqno.
 *  A failed broadcast is tried again while the message is valid. One watch of the chain serves all. */
import type { Address } from '@ton/core';
import type { Logger } from 'pino';
import type { Nano } from '../../core/money.js';
import type { Settlement, StoreOrder } from '../../core/plugins/payment.js';
import type { TonConfig } from './config.js';
import { broadcastWhileValid } from './broadcast.js';
import { settleMember, SharedWatch, watchMessage } from './message-watch.js';
import { TonPaymentError } from './ton-payment-error.js';
import type { SignedTransfer, TonWallet } from './ton-wallet.js';

/** One order of the batch and where its money goes. */
export interface BatchMember {
  readonly order: StoreOrder;
  readonly destination: Address;
}

type Stage = 'gathering' | 'broadcast' | 'abandoned';

export class TransferBatch {
  /** The order ids in signing order (each transfer's comment). */
  readonly orderIds: readonly string[];
  private stage: Stage = 'gathering';
  private readonly arrived = new Set<number>();
  private readonly released = new Set<number>();
  /** Members whose outcome is not settled yet: their amounts are still to leave the wallet. */
  private readonly unsettled = new Set<number>();
  private readonly broadcasts: { resolve: () => void; reject: (e: unknown) => void; promise: Promise<void> };
  private readonly watch: SharedWatch;
  /** True once a confirmation saw the message's fate and told the wallet (advance or invalidate). */
  private observed = false;
  private idle = false;
  /** Stops what the batch does on its own (broadcast retries, its watch of an abandoned message) once every member
   *  has let go. */
  private readonly stopOwnWatch = new AbortController();
  private readonly expiry: NodeJS.Timeout;

  constructor(
    readonly wallet: TonWallet,
    readonly members: readonly BatchMember[],
    readonly signed: SignedTransfer,
    private readonly config: TonConfig,
    private readonly log: Logger,
    /** Called once every member has let go: the wallet may carry its next message. */
    private readonly onIdle: () => void,
  ) {
    this.orderIds = members.map((m) => m.order.orderId);
    members.forEach((_, i) => this.unsettled.add(i));
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    // Members that stopped waiting never see the outcome; it must not surface as an unhandled rejection.
    promise.catch(() => undefined);
    this.broadcasts = { resolve, reject, promise };
    this.watch = new SharedWatch((signal) => watchMessage(wallet, {
      seqno: signed.seqno, validUntil: signed.validUntil, boc: signed.boc, bocHash: signed.bocHash, comments: this.orderIds,
    }, config, signal));
    // Past valid_until (by the chain's clock) the message can no longer execute: members still missing will never be
    // waited for again.
    this.expiry = setTimeout(() => this.abandon(`not every order of the batch was recorded before it expired at ${signed.validUntil}`),
      Math.max(0, signed.validUntil * 1000 - wallet.clock.nowMs()));
    this.expiry.unref();
  }

  /** How many orders the message pays. */
  get size(): number {
    return this.members.length;
  }

  /** The amounts of members not settled yet: money that may still leave the wallet. */
  pendingAmount(): Nano {
    let sum = 0n;
    for (const i of this.unsettled) sum += this.members[i]!.order.amount;
    return sum as Nano;
  }

  /**
   * Member `index` was recorded and asks to send: resolves once the message is broadcast (after every member asked),
   * rejects when it never will be or the broadcast failed (the outcome is then for confirmation to find out). A
   * member asking again after the broadcast sends the same message again, which the seqno makes harmless.
   */
  async send(index: number, signal: AbortSignal): Promise<void> {
    if (this.stage === 'broadcast' && this.arrived.has(index)) {
      await this.wallet.broadcast(this.signed.boc);
      return;
    }
    this.arrived.add(index);
    if (this.stage === 'gathering' && this.arrived.size === this.size) void this.broadcast();
    await untilAborted(this.broadcasts.promise, signal);
  }

  /** Waits for the message's outcome and settles member `index` (its share of the fee when paid). */
  async confirm(index: number, signal: AbortSignal): Promise<Settlement> {
    const member = this.members[index]!;
    const outcome = await this.watch.outcome(signal);
    const settlement = settleMember(outcome, this.orderIds, {
      index, destination: member.destination, amount: member.order.amount as Nano, comment: member.order.orderId,
    });
    if (outcome.kind === 'executed') {
      this.wallet.advance(this.signed.seqno);
    } else {
      this.wallet.invalidate();
    }
    this.observed = true;
    if (this.unsettled.delete(index) && settlement.outcome === 'paid') this.wallet.spent(member.order.amount + settlement.fee);
    this.log.debug({ orderId: member.order.orderId, seqno: this.signed.seqno, batch: this.size, outcome: settlement.outcome }, 'ton confirmation');
    return settlement;
  }

  /** Member `index` lets go of the message; without having asked to send, the message is never broadcast. */
  release(index: number): void {
    if (this.released.has(index)) return;
    this.released.add(index);
    this.unsettled.delete(index);
    if (!this.arrived.has(index)) this.abandon(`order ${this.members[index]!.order.orderId} of the batch was never recorded`);
    if (this.released.size === this.size) this.becomeIdle();
  }

  /** The wallet may carry its next message. */
  private becomeIdle(): void {
    if (this.idle) return;
    this.idle = true;
    clearTimeout(this.expiry);
    this.stopOwnWatch.abort();
    // Nobody saw the message's fate: the next message must read the seqno from the chain.
    if (!this.observed) this.wallet.invalidate();
    this.onIdle();
  }

  private abandon(reason: string): void {
    if (this.stage !== 'gathering') return;
    this.stage = 'abandoned';
    this.log.warn({ seqno: this.signed.seqno, batch: this.size, orderIds: this.orderIds, reason }, 'ton batch not broadcast');
    this.broadcasts.reject(new TonPaymentError('TON_BATCH_NOT_SENT', `the transfer at seqno ${this.signed.seqno} was not broadcast: ${reason}`, {
      seqno: this.signed.seqno, orderIds: this.orderIds, reason,
    }));
    // A member that was lost (stopped between prepare and record) never lets go: once the chain shows the message's
    // fate, the wallet need not wait for that member any longer. Expired (or overtaken), its seqno is free again;
    // executed (another process sent it: reconciliation in a restarted run), the wallet moves past it. An unknown
    // outcome (toncenter out for the whole watch) is watched again, or the wallet would stay busy for the run.
    void (async () => {
      while (!this.stopOwnWatch.signal.aborted) {
        const o = await this.watch.outcome(this.stopOwnWatch.signal);
        if (o.kind === 'unknown') continue;
        if (o.kind === 'executed') this.wallet.advance(this.signed.seqno);
        else this.wallet.invalidate();
        this.observed = true;
        this.becomeIdle();
        return;
      }
    })();
  }

  private async broadcast(): Promise<void> {
    this.stage = 'broadcast';
    clearTimeout(this.expiry);
    try {
      // A failed send is tried again while the message is valid: one 503 must not lose a drop.
      await broadcastWhileValid(() => this.wallet.broadcast(this.signed.boc), this.signed.validUntil, this.wallet.clock, this.stopOwnWatch.signal);
      this.broadcasts.resolve();
    } catch (e) {
      this.broadcasts.reject(e);
    }
  }
}

function untilAborted(done: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    done.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
