/** TON orders: created with stock reserved and an expiry, confirmed only by a transfer to the store wallet whose text
 *  comment is the order id and whose amount is exactly the total, in time; released when they expire unpaid. Every
 *  transfer that names an order is kept on it with a verdict, so tests can see mismatches, late and duplicate payments. */
import { randomBytes } from 'node:crypto';
import type { Nano } from '../../core/money.js';
import type { ChainTransfer } from '../chain/transfer.js';
import type { Catalog } from './catalog.js';
import type { Clock } from './clock.js';
import { StoreRefusal } from './refusal.js';
import type { StoreWallet } from './wallet.js';

export type OrderState = 'created' | 'paid' | 'expired';

/**
 * What the store made of one transfer that named an order:
 * - `paid`: it paid the order;
 * - `mismatch`: amount was not exactly `totalAmount` (more or less);
 * - `late`: right amount, but its block came after `expiresAt`;
 * - `duplicate`: the order was already paid;
 * - `bounced`: the receiving transaction failed, so no money stayed with the store;
 * - `unhonoured`: paid in time, but the order had already been released and its stock sold meanwhile.
 */
export type PaymentVerdict = 'paid' | 'mismatch' | 'late' | 'duplicate' | 'bounced' | 'unhonoured';

/** One transfer recorded against an order. */
export interface OrderPayment {
  readonly txHash: string;
  readonly lt: bigint;
  /** Unix seconds of the block. */
  readonly utime: number;
  /** Sender, as the chain reported it. */
  readonly from: string;
  /** Nanotons. */
  readonly amount: bigint;
  readonly verdict: PaymentVerdict;
}

/** A TON order as the store keeps it. */
export interface StoreOrder {
  readonly id: string;
  readonly userId: number;
  readonly collectionId: number;
  readonly characterId: number;
  readonly count: number;
  readonly currency: 'TON';
  readonly pricePerPack: Nano;
  readonly totalAmount: Nano;
  /** The store wallet, friendly non-bounceable. */
  readonly wallet: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Unix seconds; a payment whose block time is later does not count. */
  readonly expiresAt: number;
  readonly state: OrderState;
  /** The transfer that paid it, once paid. */
  readonly paidBy: OrderPayment | null;
  /** Every transfer that named this order, oldest first. */
  readonly payments: readonly OrderPayment[];
}

/** The rules an order book enforces. */
export interface OrderRules {
  /** Seconds from creation to expiry. */
  ttlSec: number;
  /** Unpaid orders one user may hold at once. */
  unpaidLimit: number;
  /** Largest count per order. */
  maxCount: number;
}

interface OrderRecord extends Omit<StoreOrder, 'state' | 'paidBy' | 'payments'> {
  state: OrderState;
  paidBy: OrderPayment | null;
  payments: OrderPayment[];
}

/** Every TON order the store has taken, and the transfers that paid (or failed to pay) them. */
export class OrderBook {
  private readonly orders = new Map<string, OrderRecord>();
  /** Ids of orders still `created`, so expiry and limits do not scan the whole history. */
  private readonly open = new Set<string>();
  private readonly seenTx = new Set<string>();
  private readonly strays: ChainTransfer[] = [];

  constructor(
    private readonly catalog: Catalog,
    private readonly wallet: StoreWallet,
    private readonly rules: OrderRules,
    private readonly clock: Clock,
  ) {}

  /** Takes an order: checks count and the user's unpaid orders, reserves stock, sets the price and expiry. */
  create(userId: number, collectionId: number, characterId: number, count: number): StoreOrder {
    if (!Number.isInteger(count) || count < 1 || count > this.rules.maxCount) {
      throw new StoreRefusal('invalid_count', `count must be 1..${this.rules.maxCount}`, { count });
    }
    this.expireDue();
    this.catalog.character(collectionId, characterId); // not published / unknown character come before the limits
    const unpaid = [...this.open].filter((id) => this.orders.get(id)?.userId === userId).length;
    if (unpaid >= this.rules.unpaidLimit) {
      throw new StoreRefusal('too_many_unpaid_orders', `user holds ${unpaid} unpaid orders`, {
        userId,
        unpaid,
        limit: this.rules.unpaidLimit,
      });
    }
    const character = this.catalog.reserve(collectionId, characterId, count);
    const now = this.clock();
    const order: OrderRecord = {
      id: randomBytes(12).toString('hex'),
      userId,
      collectionId,
      characterId,
      count,
      currency: 'TON',
      pricePerPack: character.priceTon,
      totalAmount: (character.priceTon * BigInt(count)) as Nano,
      wallet: this.wallet.friendly,
      createdAt: now,
      expiresAt: Math.ceil((now + this.rules.ttlSec * 1000) / 1000),
      state: 'created',
      paidBy: null,
      payments: [],
    };
    this.orders.set(order.id, order);
    this.open.add(order.id);
    return snapshot(order);
  }

  /** Marks every unpaid order past its expiry as expired and gives its stock back; returns how many expired. */
  expireDue(): number {
    const now = this.clock();
    let expired = 0;
    for (const id of this.open) {
      const order = this.orders.get(id)!;
      if (now > order.expiresAt * 1000) {
        order.state = 'expired';
        this.open.delete(id);
        this.catalog.release(order.collectionId, order.characterId, order.count);
        expired += 1;
      }
    }
    return expired;
  }

  /** Applies one transfer from the chain; transfers to other addresses are ignored, each transaction counts once. */
  receive(transfer: ChainTransfer): void {
    if (!this.wallet.receives(transfer.to)) return;
    const key = `${transfer.lt}:${transfer.txHash}`;
    if (this.seenTx.has(key)) return;
    this.seenTx.add(key);
    const order = transfer.comment === null ? undefined : this.orders.get(transfer.comment);
    if (!order) {
      this.strays.push(transfer);
      return;
    }
    const verdict = this.judge(order, transfer);
    const payment: OrderPayment = {
      txHash: transfer.txHash,
      lt: transfer.lt,
      utime: transfer.utime,
      from: transfer.from,
      amount: transfer.amount,
      verdict,
    };
    order.payments.push(payment);
    if (verdict === 'paid') {
      order.state = 'paid';
      order.paidBy = payment;
      this.open.delete(order.id);
    }
  }

  /** Every order, oldest first, as it stands now (expiry applied). */
  list(): StoreOrder[] {
    this.expireDue();
    return [...this.orders.values()].map(snapshot);
  }

  /** One order by id, or undefined. */
  get(orderId: string): StoreOrder | undefined {
    this.expireDue();
    const order = this.orders.get(orderId);
    return order && snapshot(order);
  }

  /** Transfers to the store wallet that named no order (no comment, or an unknown one): money the store kept. */
  unmatched(): readonly ChainTransfer[] {
    return [...this.strays];
  }

  private judge(order: OrderRecord, transfer: ChainTransfer): PaymentVerdict {
    if (!transfer.success) return 'bounced';
    if (order.state === 'paid') return 'duplicate';
    if (transfer.amount !== order.totalAmount) return 'mismatch';
    if (transfer.utime > order.expiresAt) return 'late';
    if (order.state === 'expired') {
      // Paid in time but seen after the store released the stock (block latency): honour it if the packs are still there.
      if (this.catalog.stock(order.collectionId, order.characterId) < order.count) return 'unhonoured';
      this.catalog.drain(order.collectionId, order.characterId, order.count);
    }
    return 'paid';
  }
}

function snapshot(order: OrderRecord): StoreOrder {
  return { ...order, payments: [...order.payments] };
}
