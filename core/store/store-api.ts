/** What a payment plugin may call on an account's store client (`PaymentAccount.store`): the Stickerdom API for one
 *  account, as an interface rather than the StoreClient class, so a plugin depends on this contract and not on how the
 *  host builds its client. Every call already carries the account's token (logging in again when the store refuses
 *  it), waits its turn at the run's limiter, goes to the configured base URL or a mirror, and is bounded in time;
 *  failures are typed (store-error.ts: STORE_REJECTED, STORE_HTTP, STORE_AUTH*, STORE_TOKEN_*, STORE_MALFORMED,
 *  STORE_TIMEOUT, STORE_CONNECTION, STORE_ABORTED, STORE_PROXY_FAILED, STORE_RATE_LIMITED). Amounts are integers in
 *  the currency's smallest unit (nanotons for TON, whole stars for XTR); moments are epoch milliseconds. */
import type { Nano } from '../money.js';
import type { CollectionView } from './collection-answer.js';
import type { CollectionListing } from './collections-answer.js';
import type { Priority } from './request-gate.js';
import type { ShopSettings, StarsInvoiceAnswer, TonOrder } from './responses.js';

/** The packs one order asks for. */
export interface BuyRequest {
  readonly collection: number;
  readonly character: number;
  /** Packs in the order, 1 to the store's maximum per order. */
  readonly count: number;
}

/** Options of a call that creates an order. */
export interface BuyOptions {
  /** Aborting gives up waiting (STORE_ABORTED); a request already sent may still have created the order. */
  readonly signal?: AbortSignal;
  /** Called the instant the request leaves for the store (what latency is measured from). */
  readonly onSent?: () => void;
}

export interface StoreApi {
  /** The account's name, as in `accounts[].name`: its limiter pool and the `account` field of its log lines. */
  readonly account: string;

  /** Gets the account's store token ready (a login when it has none). Rejects with STORE_TOKEN_* when there is none to
   *  be had; `isPermanent(e)` says when only a person can fix that. */
  warmUp(signal?: AbortSignal): Promise<void>;

  /** `GET /api/v1/shop/settings`: whether crypto payments are on and how many unpaid TON orders an account may hold
   *  (`cryptoOrdersLimit`, 1 when the store does not say). Cached by the run for 60 s. */
  settings(signal?: AbortSignal): Promise<ShopSettings>;

  /** `GET /api/v1/collection/{id}`: `{published: false}` while the store answers 404, else the collection with its
   *  characters (`left` packs in stock, `priceStars` whole stars per pack; either null when the store's value is not
   *  readable). `priority` defaults to `poll`; a plugin quoting a price asks `read`. */
  collection(collectionId: number, opts?: { signal?: AbortSignal; priority?: Priority }): Promise<CollectionView>;

  /** `GET /api/v1/collections`: the collections the store lists now (ids, and title and status when readable). */
  collections(opts?: { signal?: AbortSignal; priority?: Priority }): Promise<CollectionListing>;

  /** `GET /api/v1/shop/price/crypto`: the price of one pack in nanotons (1 TON = 10^9). Cached by the run for 30 s. */
  priceTon(collection: number, character: number, signal?: AbortSignal): Promise<Nano>;

  /** `POST /api/v1/shop/buy/crypto?currency=TON`: creates a TON order. The answer: `orderId` (the comment the payment
   *  must carry), `amount` in nanotons, `destination` (the store's wallet), `expiresAt` in epoch ms (whatever unit the
   *  store sent), and `count` when the store said it. Never repeated after a failure that may have created the order
   *  (STORE_TIMEOUT / STORE_CONNECTION with `details.maybeApplied`): the host records such an order as maybe-created. */
  buyTon(req: BuyRequest, opts?: BuyOptions): Promise<TonOrder>;

  /** `POST /api/v1/shop/buy`: creates a Stars (XTR) order and answers its Telegram invoice link (`invoiceLink`,
   *  e.g. `https://t.me/$<slug>`); its amount and expiry are on the invoice, not in this answer. Never repeated after a
   *  failure that may have created the order, like `buyTon`. */
  buyStars(req: BuyRequest, opts?: BuyOptions): Promise<StarsInvoiceAnswer>;
}
