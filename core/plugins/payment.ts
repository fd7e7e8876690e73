/** What a payment plugin provides to the host: the method-specific steps of the payer statechart. The statechart
 *  itself (reserve → order → verify → prepare → record → send → confirm) lives in core and is the same for every
 *  method, so a new method (Stars, a third-party one) changes nothing in core. */
import type { Currency, Units } from '../money.js';
import type { StoreApi } from '../store/store-api.js';
import type { ShopSettings } from '../store/responses.js';

/** The registration token under which payment plugins register; the host finds them all with `resolveAll`. */
export const PAYMENT_METHOD = Symbol.for('automint.payment-method');

/** One target as a payer sees it. */
export interface TargetSpec {
  /** Stable id `collection:character`. */
  readonly key: string;
  readonly collection: number;
  readonly character: number;
}

/** An order the store created, in the plugin-neutral form the core verifies and records. */
export interface StoreOrder {
  readonly orderId: string;
  readonly count: number;
  readonly currency: Currency;
  /** What must be paid, in the currency's smallest unit. */
  readonly amount: Units;
  /** Where it goes (a TON address, an invoice slug…), as the plugin understands it. */
  readonly destination: string;
  /** Epoch ms after which paying is pointless or harmful; null when the store gave none. */
  readonly expiresAt: number | null;
  /** Set when the plugin already knows this order must not be paid (an invoice without a slug, a form in another
   *  currency…): the host records the order with this reason and pays nothing. */
  readonly refusal?: string;
  /** A stable code for `refusal` (e.g. STARS_NO_SLUG), kept with it in the ledger; METHOD_REFUSED when absent. */
  readonly refusalCode?: string;
}

/** How a payment ended, as far as the plugin can tell. `unknown` means money may have moved: reconcile, never retry. */
export type Settlement =
  | { readonly outcome: 'paid'; readonly txHash: string; readonly fee: Units }
  | {
      readonly outcome: 'not-paid';
      readonly reason: string;
      /** This method cannot pay for the account again in this run (e.g. Telegram asks the user to verify the payment
       *  in an app): its payer stops instead of ordering again, and the reason tells the user what to do. */
      readonly final?: boolean;
    }
  | { readonly outcome: 'unknown'; readonly reason: string };

/** One prepared payment of one order: built, not yet sent. Its payload goes into the ledger before `send`. */
export interface PaymentAttempt {
  /** Unique per attempt; the ledger refuses a second intent with the same key. */
  readonly idempotencyKey: string;
  /** What the ledger keeps to reconcile later (TON: seqno, valid_until, signed message). Never a secret. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Moves the money. A throw means the outcome is unknown, not that nothing happened. */
  send(signal: AbortSignal): Promise<void>;
  /** Waits for the outcome. */
  confirm(signal: AbortSignal): Promise<Settlement>;
  /** Frees what the attempt held (e.g. the wallet for its next message). Always called once. */
  dispose(): void;
}

/** The method-specific steps for one account. */
export interface PaymentSteps {
  /** Price of one pack now, in the smallest unit. */
  quote(target: TargetSpec, signal: AbortSignal): Promise<Units>;
  /** Creates an order at the store. Never retried blindly by the host. */
  createOrder(target: TargetSpec, count: number, opts: { signal: AbortSignal; onSent: () => void }): Promise<StoreOrder>;
  /** Method-specific refusal (e.g. wallet balance too low), or null to go on. The host checks price, budget, expiry. */
  check(order: StoreOrder, signal: AbortSignal): Promise<string | null>;
  /** Builds (and signs) the payment of an order. */
  prepare(order: StoreOrder, signal: AbortSignal): Promise<PaymentAttempt>;
}

/** What a payment plugin knows about an account when asked for its steps. */
export interface PaymentAccount {
  readonly name: string;
  /** The wallet name configured for the account, if any. */
  readonly wallet: string | undefined;
  /** The account's store client: what a plugin may call on it, and in which units, is store-api.ts. */
  readonly store: StoreApi;
}

/** A non-final intent as the ledger holds it, for reconciliation. */
export interface OpenIntent {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly amount: Units;
  readonly destination: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** A payment method, registered by a plugin under PAYMENT_METHOD. */
export interface PaymentMethod {
  readonly id: string;
  readonly currency: Currency;
  /** How this method's orders are checked and budgeted: allowed excess over quote × count (basis points), the
   *  shortest remaining life an order may have to be worth paying (a TON transfer needs blocks; a Stars payment does
   *  not), and the budget held per order on top of its amount for the network fee (the actual fee is consumed). */
  readonly orderPolicy: {
    readonly toleranceBps: number;
    readonly expiryMarginMs: number;
    readonly feeAllowance: Units;
    /** Most packs this method puts in one order, when fewer than the store allows. */
    readonly maxPerOrder?: number;
    /** How many unpaid orders of this method the store lets an account hold, read from its shop settings, when the
     *  store says (TON: `crypto_orders_limit`); ghost orders that fill it stop the account's payer. */
    readonly unpaidOrdersLimit?: (settings: ShopSettings) => number;
  };
  /** Prewarm for an account (keys, balances, seqno, connections) while arming; throws a typed error when unusable. */
  prepare(account: PaymentAccount, signal: AbortSignal): Promise<void>;
  /** Spendable balance after reserves, in the smallest unit. */
  capacity(account: PaymentAccount, signal: AbortSignal): Promise<Units>;
  /** The steps the payer statechart runs for this account. */
  steps(account: PaymentAccount): PaymentSteps;
  /** Settles an intent whose outcome is not known, keyed by our own ids (order id comment, form id). */
  reconcile(intent: OpenIntent, signal: AbortSignal): Promise<Settlement>;
  /** Where the method judges time by another party's clock (the chain's): that clock minus this machine's, in ms, as
   *  last measured (after `prepare`); null before any measurement. Optional: `doctor` reports it when present. */
  clockOffsetMs?(): number | null;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
