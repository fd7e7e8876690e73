/** One TON payment of one order: signed under the wallet lock at prepare time, recorded by the host, broadcast,
 *  then confirmed by the wallet seqno moving AND the outgoing transfer with the order's comment being found. */
import { Address } from '@ton/core';
import type { Logger } from 'pino';
import type { Nano } from '../../core/money.js';
import type { PaymentAttempt, Settlement, StoreOrder } from '../../core/plugins/payment.js';
import type { TonConfig } from './config.js';
import type { SignedTransfer, TonWallet } from './ton-wallet.js';

/** The ledger payload of a TON intent (no secret: the signed message is public once broadcast). */
export type TonIntentPayload = {
  readonly walletAddress: string;
  readonly seqno: number;
  readonly validUntil: number;
  readonly boc: string;
  readonly bocHash: string;
  readonly comment: string;
};

export class TonAttempt implements PaymentAttempt {
  readonly idempotencyKey: string;
  readonly payload: TonIntentPayload;
  private released = false;

  constructor(
    private readonly wallet: TonWallet,
    private readonly order: StoreOrder,
    private readonly destination: Address,
    private readonly transfer: SignedTransfer,
    private readonly release: () => void,
    private readonly config: TonConfig,
    private readonly log: Logger,
  ) {
    // One seqno of one wallet carries one order: the key names both, so a replayed step hits the same row.
    this.idempotencyKey = `ton:${wallet.address.toRawString()}:${transfer.seqno}`;
    this.payload = {
      walletAddress: wallet.address.toString({ bounceable: false }), seqno: transfer.seqno, validUntil: transfer.validUntil,
      boc: transfer.boc, bocHash: transfer.bocHash, comment: order.orderId,
    };
  }

  async send(): Promise<void> {
    await this.wallet.broadcast(this.transfer.boc);
  }

  async confirm(signal: AbortSignal): Promise<Settlement> {
    const settlement = await confirmTransfer(this.wallet, {
      destination: this.destination, amount: this.order.amount as Nano, comment: this.order.orderId,
      seqno: this.transfer.seqno, validUntil: this.transfer.validUntil, boc: this.transfer.boc,
      since: this.transfer.signedAt - CLOCK_SLACK_SEC,
    }, this.config, signal);
    if (settlement.outcome === 'paid') {
      this.wallet.advance(this.transfer.seqno);
      this.wallet.spent(this.order.amount + settlement.fee);
    } else {
      this.wallet.invalidate();
    }
    this.log.debug({ orderId: this.order.orderId, outcome: settlement.outcome }, 'ton confirmation');
    return settlement;
  }

  dispose(): void {
    if (!this.released) {
      this.released = true;
      this.release();
    }
  }
}

/** What confirmation looks for. */
export interface PendingTransfer {
  readonly destination: Address;
  readonly amount: Nano;
  readonly comment: string;
  readonly seqno: number;
  readonly validUntil: number;
  readonly boc: string;
  /** Unix seconds before which no transaction can be this transfer: the search for it stops there. */
  readonly since: number;
}

/** How far the local clock (which dated the signing) may be ahead of the chain's clock (which dates transactions). */
export const CLOCK_SLACK_SEC = 60;

/** How far the chain's clock must be past valid_until before "not paid" is certain: the block that carries the
 *  message may be built before valid_until yet become visible in the state a little later (shard blocks reach the
 *  masterchain one or two blocks on). */
const CHAIN_SETTLE_SEC = 10;

/** How long a moved seqno may go without its transaction being listed before the outcome is called unknown. */
const LISTING_GRACE_MS = 10_000;

/**
 * Waits until the wallet seqno passes the transfer's seqno, then finds the transfer itself. Once the chain's own
 * time (of the block the seqno was read at, never the local clock) is past `validUntil` with the seqno unchanged,
 * the message can never execute: not paid, for certain. Used for live payments and for reconciliation after a
 * restart (which may re-send the same message while it is still valid: the seqno makes that safe).
 */
export async function confirmTransfer(
  wallet: TonWallet, t: PendingTransfer, config: TonConfig, signal: AbortSignal, opts: { resend?: boolean } = {},
): Promise<Settlement> {
  const deadline = Date.now() + config.confirmTimeoutSec * 1000;
  let resent = !opts.resend;
  /** When the seqno was first seen moved: an indexer may list the transaction a little after the state changes. */
  let movedAt: number | null = null;
  while (!signal.aborted && Date.now() < deadline) {
    // A failed read says nothing; try again at the next tick.
    const state = await wallet.chainState().catch(() => null);
    if (state && state.seqno > t.seqno) {
      const found = await wallet.findOutgoing(t.destination, t.amount, t.comment, t.since).catch(() => undefined);
      if (found) return { outcome: 'paid', txHash: found.txHash, fee: found.fee };
      movedAt ??= Date.now();
      if (found === null && Date.now() - movedAt > LISTING_GRACE_MS) {
        return { outcome: 'unknown', reason: `seqno moved past ${t.seqno} but no transfer with comment ${t.comment} was found` };
      }
    } else if (state && state.utime > t.validUntil + CHAIN_SETTLE_SEC) {
      return { outcome: 'not-paid', reason: `transfer expired at ${t.validUntil} with seqno still ${state.seqno} at chain time ${state.utime}` };
    } else if (!resent && state && state.seqno === t.seqno && Math.floor(Date.now() / 1000) < t.validUntil) {
      resent = true;
      await wallet.broadcast(t.boc).catch(() => undefined);
    }
    await sleep(config.confirmPollMs, signal);
  }
  return { outcome: 'unknown', reason: signal.aborted ? 'confirmation interrupted' : `not confirmed within ${config.confirmTimeoutSec} s` };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
