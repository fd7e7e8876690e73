/** The orders waiting on one wallet, paid together: one external message in flight at a time (two never race for a
 *  seqno), and while it is, the next orders gather into the forming batch. Group commit: an order on a free wallet
 *  is signed at once, unless orders of this wallet are on their way (their create-order request is out, or answered
 *  and not yet joined: see `expect`); then the batch waits for them, at most `batchWindowMs` after its first order
 *  joined. Orders arriving while a message is in flight join the next one, signed the moment the wallet is free.
 *  A batch holds up to `maxBatch` orders and carries one transfer per order (exact amount, the store's address, the
 *  order id as comment) under one seqno and one valid_until. Orders that no longer qualify when it closes
 *  (expiring, not covered) are dropped from it before signing. */
import type { Address } from '@ton/core';
import type { Logger } from 'pino';
import type { Nano } from '../../core/money.js';
import type { StoreOrder } from '../../core/plugins/payment.js';
import type { TonConfig } from './config.js';
import { TonAttempt } from './ton-attempt.js';
import { TonPaymentError } from './ton-payment-error.js';
import type { TonWallet } from './ton-wallet.js';
import { TransferBatch } from './transfer-batch.js';

/** An order waiting in the forming batch. */
interface Waiting {
  readonly order: StoreOrder;
  readonly destination: Address;
  readonly signal: AbortSignal;
  readonly resolve: (attempt: TonAttempt) => void;
  readonly reject: (e: unknown) => void;
  readonly onAbort: () => void;
}

/** An order on its way to this wallet: its create-order request is out (orderId null) or answered. */
interface Expected {
  orderId: string | null;
  answeredAt: number;
}

/** How long an answered order that has not joined is still waited for: verification takes milliseconds, so one that
 *  has not joined by then was refused (and never will). */
const ANSWERED_TTL_MS = 1_000;

/** An order announced to the batcher: say when the store answered it, or that it never will join. */
export interface OrderOnItsWay {
  answered(orderId: string): void;
  release(): void;
}

export class WalletBatcher {
  private forming: Waiting[] = [];
  private readonly expected = new Set<Expected>();
  /** Orders taken out of the forming batch and being checked and signed right now. */
  private closing: readonly Waiting[] = [];
  /** When the oldest order of the forming batch joined (epoch ms). */
  private formingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  /** True while a batch is being signed or is in flight. */
  private busy = false;
  private inFlight: TransferBatch | null = null;

  constructor(readonly wallet: TonWallet, private readonly config: TonConfig, private readonly log: Logger) {}

  /** An order of this wallet is being created at the store (called before its request goes out): a batch forming
   *  meanwhile waits for it (at most the window) instead of leaving without it. */
  expect(): OrderOnItsWay {
    const entry: Expected = { orderId: null, answeredAt: 0 };
    this.expected.add(entry);
    return {
      answered: (orderId) => {
        entry.orderId = orderId;
        entry.answeredAt = performance.now();
      },
      release: () => {
        if (this.expected.delete(entry)) this.schedule();
      },
    };
  }

  /** Joins the forming batch; resolves with the order's attempt once the batch is signed. */
  join(order: StoreOrder, destination: Address, signal: AbortSignal): Promise<TonAttempt> {
    for (const e of this.expected) if (e.orderId === order.orderId) this.expected.delete(e);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.forming.indexOf(waiting);
        if (at < 0) return;
        this.forming.splice(at, 1);
        reject(signal.reason);
        if (this.forming.length === 0) clearTimeout(this.timer);
      };
      const waiting: Waiting = { order, destination, signal, resolve, reject, onAbort };
      if (this.forming.length === 0) this.formingSince = performance.now();
      this.forming.push(waiting);
      signal.addEventListener('abort', onAbort, { once: true });
      this.schedule();
    });
  }

  /** True while no message of this wallet is being signed or is in flight. */
  idle(): boolean {
    return !this.busy;
  }

  /** What the wallet must still cover for orders already taken: those forming and those signed and not settled. */
  committed(): Nano {
    const forming = [...this.forming, ...this.closing].reduce((sum, w) => sum + w.order.amount, 0n);
    return (forming + (this.inFlight?.pendingAmount() ?? 0n)) as Nano;
  }

  /** Closes the forming batch once the wallet is free: at once when it is full or no other order is on its way, else
   *  when the last one has joined or at the end of the window. */
  private schedule(): void {
    clearTimeout(this.timer);
    if (this.busy || this.forming.length === 0) return;
    const waitFor = this.forming.length < this.config.maxBatch && this.onItsWay() > 0;
    const wait = waitFor ? this.formingSince + this.config.batchWindowMs - performance.now() : 0;
    if (wait <= 0) {
      void this.close();
      return;
    }
    this.timer = setTimeout(() => this.schedule(), wait);
  }

  /** Orders on their way that may still join: requests out, or answered within ANSWERED_TTL_MS. */
  private onItsWay(): number {
    const now = performance.now();
    let n = 0;
    for (const e of this.expected) {
      if (e.orderId !== null && now - e.answeredAt > ANSWERED_TTL_MS) this.expected.delete(e);
      else n += 1;
    }
    return n;
  }

  private async close(): Promise<void> {
    this.busy = true;
    const taken = this.forming.splice(0, this.config.maxBatch);
    this.closing = taken;
    // Whatever is left has waited a whole batch already: it closes as soon as the wallet is free again.
    for (const w of taken) w.signal.removeEventListener('abort', w.onAbort);
    let batch: TransferBatch | null = null;
    try {
      const stillWanted = taken.filter((w) => !w.signal.aborted);
      for (const w of taken) if (w.signal.aborted) w.reject(w.signal.reason);
      // The expiry margins below and the valid_until are judged by the chain's time: read it first if stale.
      try {
        await this.wallet.readyToSign();
      } catch (e) {
        for (const w of stillWanted) w.reject(e);
        return;
      }
      const qualified = await this.qualifying(stillWanted);
      // A payer stopped while the balance was read would never record its intent: leave it out of the message.
      const members = qualified.filter((w) => !w.signal.aborted);
      for (const w of qualified) if (w.signal.aborted) w.reject(w.signal.reason);
      if (members.length === 0) return;
      // One valid_until for all, by the chain's clock (which the wallet contract checks it against): no transfer may
      // outlive its order, nor be valid longer than validForSec.
      const validUntil = Math.min(this.wallet.clock.nowSec() + this.config.validForSec, ...members.map((w) => Math.floor(w.order.expiresAt! / 1000)));
      let signed;
      try {
        signed = await this.wallet.signBatch(members.map((w) => ({ to: w.destination, amount: w.order.amount as Nano, comment: w.order.orderId })), validUntil);
      } catch (e) {
        for (const w of members) w.reject(e);
        return;
      }
      batch = new TransferBatch(this.wallet, members.map((w) => ({ order: w.order, destination: w.destination })), signed, this.config, this.log, () => {
        this.inFlight = null;
        this.busy = false;
        this.schedule();
      });
      this.inFlight = batch;
      if (members.length > 1) this.log.debug({ wallet: this.wallet.name, seqno: signed.seqno, batch: members.length }, 'ton batch signed');
      members.forEach((w, i) => {
        // Stopped while signing: it will never be recorded, so the message is never sent; the others learn it now.
        if (w.signal.aborted) {
          w.reject(w.signal.reason);
          batch!.release(i);
        } else {
          w.resolve(new TonAttempt(batch!, i));
        }
      });
    } catch (e) {
      // Not expected (every step above handles its own failures); no order may be left waiting on it.
      for (const w of taken) w.reject(e);
      this.log.error({ wallet: this.wallet.name, err: e }, 'ton batch could not be closed');
    } finally {
      this.closing = [];
      if (batch === null) {
        this.busy = false;
        this.schedule();
      }
    }
  }

  /**
   * The orders that may still be signed: each must have at least the expiry margin left now (the wait for the wallet
   * may have eaten it), and together they must fit the balance above the gas reserve (the last ones are dropped
   * until they do). The others' prepare rejects with TON_ORDER_EXPIRING or TON_BALANCE_LOW.
   */
  private async qualifying(taken: readonly Waiting[]): Promise<Waiting[]> {
    const marginMs = this.config.expiryMarginSec * 1000;
    // The store's expiry is judged by the chain's clock, the best this machine has of the true time.
    const now = this.wallet.clock.nowMs();
    const live: Waiting[] = [];
    for (const w of taken) {
      const { order } = w;
      if (order.expiresAt !== null && order.expiresAt - now >= marginMs) {
        live.push(w);
        continue;
      }
      w.reject(new TonPaymentError('TON_ORDER_EXPIRING',
        order.expiresAt === null
          ? `order ${order.orderId} has no expiry`
          : `order ${order.orderId} expires in ${order.expiresAt - now} ms, less than the ${marginMs} ms margin, once the wallet was free`,
        { orderId: order.orderId, expiresAt: order.expiresAt, marginMs }));
    }
    if (live.length === 0) return live;
    let total = live.reduce((sum, w) => sum + w.order.amount, 0n);
    let cover: { balance: Nano };
    try {
      cover = await this.wallet.covers((total + this.config.gasReserve) as Nano);
    } catch (e) {
      for (const w of live) w.reject(e);
      return [];
    }
    while (live.length > 0 && total + this.config.gasReserve > cover.balance) {
      const dropped = live.pop()!;
      total -= dropped.order.amount;
      dropped.reject(new TonPaymentError('TON_BALANCE_LOW',
        `wallet ${this.wallet.name} cannot cover order ${dropped.order.orderId} with the orders signed before it in the same message`,
        { orderId: dropped.order.orderId, wallet: this.wallet.name }));
    }
    return live;
  }
}
