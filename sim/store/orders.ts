/** The store's order book, for both currencies: orders are created with stock reserved and an expiry, and released
 *  when they expire unpaid. A TON order is confirmed only by a transfer to the store wallet whose text comment is the
 *  order id and whose amount is exactly the total, in time; every transfer that names one is kept on it with a
 *  verdict, so tests can see mismatches, late and duplicate payments. A Stars order is confirmed when Telegram reports
 *  its invoice paid (see invoice-desk.ts); every report is kept on it the same way. */
import { randomBytes } from 'node:crypto';
import type { Nano, Stars } from '../../core/money.js';
import type { ChainTransfer } from '../chain/transfer.js';
import type { InvoicePaymentVerdict } from '../stars-invoices.js';
import type { Catalog, CharacterView } from './catalog.js';
import type { Clock } from './clock.js';
import type {
  OrderCurrency,
  OrderPayment,
  OrderState,
  PaymentVerdict,
  StarsCharge,
  StarsChargeVerdict,
  StarsOrder,
  StoreOrder,
  TonOrder,
} from './order.js';
import { StoreRefusal } from './refusal.js';
import type { StoreWallet } from './wallet.js';

export type * from './order.js';

/** Expiry and unpaid-order limit of one currency's orders. */
export interface CurrencyRules {
  /** Seconds from creation to expiry. */
  ttlSec: number;
  /** Unpaid orders of this currency one user may hold at once (each currency counts its own). */
  unpaidLimit: number;
}

/** The rules an order book enforces. */
export interface OrderRules {
  /** Largest count per order. */
  maxCount: number;
  TON: CurrencyRules;
  XTR: CurrencyRules;
}

/** A payment report from Telegram for a Stars order's invoice. */
export interface StarsPaymentReport {
  readonly chargeId: string;
  readonly payerUserId: number;
  /** What the invoice asked, in `currency`'s smallest unit. */
  readonly amount: bigint;
  readonly currency: string;
}

interface TonRecord extends Omit<TonOrder, 'state' | 'paidBy' | 'payments'> {
  state: OrderState;
  paidBy: OrderPayment | null;
  payments: OrderPayment[];
}

interface StarsRecord extends Omit<StarsOrder, 'state' | 'paidBy' | 'payments'> {
  state: OrderState;
  paidBy: StarsCharge | null;
  payments: StarsCharge[];
}

type OrderRecord = TonRecord | StarsRecord;

/** What creating an order settled before the currency's own fields are added. */
interface Taken {
  readonly character: CharacterView;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Every order the store has taken, and the payments that paid (or failed to pay) them. */
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

  /** Takes a TON order: checks count and the user's unpaid TON orders, reserves stock, sets price and expiry. */
  createTon(userId: number, collectionId: number, characterId: number, count: number): TonOrder {
    const { character, createdAt, expiresAt } = this.take('TON', userId, collectionId, characterId, count);
    return this.add({
      ...orderCommon(userId, collectionId, characterId, count, createdAt, expiresAt),
      currency: 'TON',
      pricePerPack: character.priceTon,
      totalAmount: (character.priceTon * BigInt(count)) as Nano,
      wallet: this.wallet.friendly,
      paidBy: null,
      payments: [],
    }) as TonOrder;
  }

  /** Takes a Stars order for the invoice `invoiceSlug`: the same checks as a TON order, against Stars limits. */
  createStars(userId: number, collectionId: number, characterId: number, count: number, invoiceSlug: string): StarsOrder {
    const { character, createdAt, expiresAt } = this.take('XTR', userId, collectionId, characterId, count);
    return this.add({
      ...orderCommon(userId, collectionId, characterId, count, createdAt, expiresAt),
      currency: 'XTR',
      pricePerPack: character.priceStars,
      totalAmount: (character.priceStars * BigInt(count)) as Stars,
      invoiceSlug,
      paidBy: null,
      payments: [],
    }) as StarsOrder;
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

  /** Applies one transfer from the chain; transfers to other addresses are ignored, each transaction counts once.
   *  A transfer that names no TON order (none, or a Stars order's id) is money the store kept unmatched. */
  receive(transfer: ChainTransfer): void {
    if (!this.wallet.receives(transfer.to)) return;
    const key = `${transfer.lt}:${transfer.txHash}`;
    if (this.seenTx.has(key)) return;
    this.seenTx.add(key);
    const order = transfer.comment === null ? undefined : this.orders.get(transfer.comment);
    if (order?.currency !== 'TON') {
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
      order.paidBy = payment;
      this.close(order);
    }
  }

  /** Applies Telegram's report that the invoice of Stars order `orderId` was paid: `paid` (the order is paid and
   *  Telegram may take the stars), `already-paid`, `expired` (released), or `unknown` (no such Stars order). */
  payStars(orderId: string, report: StarsPaymentReport): InvoicePaymentVerdict {
    this.expireDue();
    const order = this.orders.get(orderId);
    if (order?.currency !== 'XTR') return 'unknown';
    let verdict: StarsChargeVerdict;
    if (order.state === 'paid') verdict = 'already-paid';
    else if (order.state === 'expired') verdict = 'expired';
    else verdict = report.amount === order.totalAmount && report.currency === 'XTR' ? 'paid' : 'mismatch';
    const charge: StarsCharge = { ...report, at: this.clock(), verdict };
    order.payments.push(charge);
    if (verdict === 'already-paid' || verdict === 'expired') return verdict;
    order.paidBy = charge;
    this.close(order);
    return 'paid';
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

  /** Transfers to the store wallet that named no TON order (no comment, or an unknown one): money the store kept. */
  unmatched(): readonly ChainTransfer[] {
    return [...this.strays];
  }

  /** The checks every new order passes, in the store's order, then the stock reservation and the expiry. */
  private take(currency: OrderCurrency, userId: number, collectionId: number, characterId: number, count: number): Taken {
    if (!Number.isInteger(count) || count < 1 || count > this.rules.maxCount) {
      throw new StoreRefusal('invalid_count', `count must be 1..${this.rules.maxCount}`, { count });
    }
    this.expireDue();
    this.catalog.character(collectionId, characterId); // not published / unknown character come before the limits
    const { ttlSec, unpaidLimit } = this.rules[currency];
    const unpaid = [...this.open].filter((id) => {
      const o = this.orders.get(id);
      return o?.userId === userId && o.currency === currency;
    }).length;
    if (unpaid >= unpaidLimit) {
      throw new StoreRefusal('too_many_unpaid_orders', `user holds ${unpaid} unpaid ${currency} orders`, {
        userId,
        currency,
        unpaid,
        limit: unpaidLimit,
      });
    }
    const character = this.catalog.reserve(collectionId, characterId, count);
    const createdAt = this.clock();
    return { character, createdAt, expiresAt: Math.ceil((createdAt + ttlSec * 1000) / 1000) };
  }

  private add(order: OrderRecord): StoreOrder {
    this.orders.set(order.id, order);
    this.open.add(order.id);
    return snapshot(order);
  }

  /** A paid order holds its stock for good and leaves the open set. */
  private close(order: OrderRecord): void {
    order.state = 'paid';
    this.open.delete(order.id);
  }

  private judge(order: TonRecord, transfer: ChainTransfer): PaymentVerdict {
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

function orderCommon(userId: number, collectionId: number, characterId: number, count: number, createdAt: number, expiresAt: number) {
  return {
    id: randomBytes(12).toString('hex'),
    userId,
    collectionId,
    characterId,
    count,
    createdAt,
    expiresAt,
    state: 'created' as OrderState,
  };
}

function snapshot(order: OrderRecord): StoreOrder {
  return { ...order, payments: [...order.payments] } as StoreOrder;
}
