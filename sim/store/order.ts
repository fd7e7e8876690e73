/** What an order is at the simulated store, in either currency: a TON order paid by an on-chain transfer whose
 *  comment is its id, or a Stars order paid through the Telegram invoice the store issued for it. Both hold stock
 *  from creation until paid (kept) or expired (released). */
import type { Nano, Stars } from '../../core/money.js';

export type OrderState = 'created' | 'paid' | 'expired';

/**
 * What the store made of one transfer that named a TON order:
 * - `paid`: it paid the order;
 * - `mismatch`: amount was not exactly `totalAmount` (more or less);
 * - `late`: right amount, but its block came after `expiresAt`;
 * - `duplicate`: the order was already paid;
 * - `bounced`: the receiving transaction failed, so no money stayed with the store;
 * - `unhonoured`: paid in time, but the order had already been released and its stock sold meanwhile.
 */
export type PaymentVerdict = 'paid' | 'mismatch' | 'late' | 'duplicate' | 'bounced' | 'unhonoured';

/** One transfer recorded against a TON order. */
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

/**
 * What the store made of one report from Telegram that a Stars order's invoice was paid:
 * - `paid`: it paid the order (Telegram took the stars);
 * - `mismatch`: it paid the order, but for an amount or currency other than the order's (only a tampered invoice, a
 *   hostile-store fault, gets there): Telegram took the stars, so a bot that pays one has paid the wrong price;
 * - `already-paid`, `expired`: refused, nothing taken.
 */
export type StarsChargeVerdict = 'paid' | 'mismatch' | 'already-paid' | 'expired';

/** One Stars payment report recorded against a Stars order. */
export interface StarsCharge {
  /** Telegram's charge id. */
  readonly chargeId: string;
  readonly payerUserId: number;
  /** In `currency`'s smallest unit (whole stars for XTR): the invoice's amount. */
  readonly amount: bigint;
  readonly currency: string;
  /** Epoch ms the store heard of it. */
  readonly at: number;
  readonly verdict: StarsChargeVerdict;
}

interface OrderCommon {
  readonly id: string;
  readonly userId: number;
  readonly collectionId: number;
  readonly characterId: number;
  readonly count: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Unix seconds; a payment after it does not count. */
  readonly expiresAt: number;
  readonly state: OrderState;
}

/** A TON order as the store keeps it. */
export interface TonOrder extends OrderCommon {
  readonly currency: 'TON';
  readonly pricePerPack: Nano;
  readonly totalAmount: Nano;
  /** The store wallet, friendly non-bounceable. */
  readonly wallet: string;
  /** The transfer that paid it, once paid. */
  readonly paidBy: OrderPayment | null;
  /** Every transfer that named this order, oldest first. */
  readonly payments: readonly OrderPayment[];
}

/** A Stars order as the store keeps it. */
export interface StarsOrder extends OrderCommon {
  readonly currency: 'XTR';
  readonly pricePerPack: Stars;
  readonly totalAmount: Stars;
  /** Slug of the invoice issued for it (`https://t.me/$<slug>`). */
  readonly invoiceSlug: string;
  /** The charge that paid it (its `chargeId` is Telegram's), once paid. */
  readonly paidBy: StarsCharge | null;
  /** Every payment report for its invoice, oldest first. */
  readonly payments: readonly StarsCharge[];
}

export type StoreOrder = TonOrder | StarsOrder;
export type OrderCurrency = StoreOrder['currency'];
