/** What a run tells whoever listens (notifier plugins, a live view, metrics): one discriminated union of facts that
 *  already happened, each stamped with when (`at`, epoch ms) and the run's trace (`traceId`), so a notification can be
 *  matched with the run's spans and log lines. The shapes are a contract with plugins built elsewhere: fields are
 *  only ever added, never renamed or retyped.
 *
 *  Rules every event follows:
 *  - Plain JSON data (no bigint, no class instances, no functions): a subscriber may `JSON.stringify` it as is.
 *  - Amounts are whole numbers of the currency's smallest unit, as decimal digit strings (bigint-safe), in fields
 *    ending in `Units` beside their `currency`: TON in nanotons (`"2500000000"` is 2.5 TON), XTR in whole Stars.
 *  - Ids only: account names, target keys (`collection:character`), payment method ids, order ids, pool names.
 *    Never a secret: no initData, store token, mnemonic, Telegram session, proxy password or signed message.
 *  - Reasons are the words the log and the summary use (`CODE: message` where a typed error said it). */
import type { Currency } from '../money.js';

/** What every event carries. */
export interface RunEventBase {
  /** Epoch ms when the bus took the event. */
  readonly at: number;
  /** The trace id (32 hex digits) of the span active where the event was emitted, else the run's root span's; undefined
   *  when the run is not traced. */
  readonly traceId: string | undefined;
}

/** Who an order or payment belongs to. */
export interface OrderParty {
  /** `purchase:<collection>:<character>:<account>`. */
  readonly purchaseId: string;
  readonly account: string;
  /** `collection:character`. */
  readonly target: string;
  /** The payment method's id (`ton`, `stars`, …). */
  readonly method: string;
}

/** An amount in the smallest unit of its currency, as digits. */
export interface Amount {
  readonly amountUnits: string;
  readonly currency: Currency;
}

/** The run began buying: its actors are starting. */
export interface RunStarted extends RunEventBase {
  readonly type: 'run.started';
  /** `run`, `demo`, … */
  readonly command: string;
  readonly dryRun: boolean;
  /** The configured targets' keys (snipe matches arrive later as `snipe.matched`). */
  readonly targets: readonly string[];
  readonly accounts: readonly string[];
  /** Payment methods enabled for the run. */
  readonly methods: readonly string[];
  /** Snipe filters look for new collections during the run. */
  readonly snipe: boolean;
}

/** The run is over (every exit path: done, stopped, or failed before or while buying). The last event of a run. */
export interface RunStopped extends RunEventBase {
  readonly type: 'run.stopped';
  /** `complete`, `short`, `stopped`, `blind` (the verdict, run-verdict.ts), or `failed` when the run threw. */
  readonly outcome: 'complete' | 'short' | 'stopped' | 'blind' | 'failed';
  /** Why it was stopped (a signal, a full disk), when it was. */
  readonly stopReason: string | null;
  /** The error's code when the run failed (`NO_STORE_LOGIN`, `CAMPAIGN_CHANGED`, …). */
  readonly errorCode?: string;
}

/** What one target got, as the summary counts it (this run and earlier runs on the ledger). */
export interface TargetTally {
  readonly target: string;
  readonly packs: number;
  readonly paid: number;
  readonly short: number;
}

/** The run's summary in numbers, just before `run.stopped`. */
export interface RunSummaryEvent extends RunEventBase {
  readonly type: 'run.summary';
  readonly verdict: 'complete' | 'short' | 'stopped' | 'blind';
  readonly dryRun: boolean;
  /** Packs in paid orders. */
  readonly packs: number;
  /** Paid orders per payment method. */
  readonly paidOrders: Readonly<Record<string, number>>;
  /** Money spent (fees apart), per currency, smallest unit. */
  readonly spentUnits: Readonly<Record<Currency, string>>;
  readonly feesUnits: Readonly<Record<Currency, string>>;
  /** Payments whose outcome is not settled (reconciled at the next start). */
  readonly unknown: number;
  readonly targets: readonly TargetTally[];
  readonly stopReason: string | null;
}

/** A collection answered for the first time in this run: a target's watcher saw it published, or snipe mode's
 *  listing watcher found a new one (through the listing or by probing the next ids). */
export interface CollectionPublished extends RunEventBase {
  readonly type: 'collection.published';
  readonly collection: number;
  readonly source: 'watcher' | 'listing' | 'probe';
  /** The store's title (at most 500 characters: the reader replaces longer ones). */
  readonly title: string;
}

/** A snipe filter took a character of a new collection: it is armed as a target. */
export interface SnipeMatched extends RunEventBase {
  readonly type: 'snipe.matched';
  readonly target: string;
  readonly collection: number;
  readonly character: number;
  /** `filter 1` (snipe-filter.ts names filters by position). */
  readonly filter: string;
  /** Why it matched, in words. */
  readonly why: string;
  readonly dryRun: boolean;
}

/** A poll showed the target on sale: the first sight, and each time the count left changed (not every poll). */
export interface StockSeen extends RunEventBase {
  readonly type: 'stock.seen';
  readonly target: string;
  readonly left: number;
}

/** The target's character is sold out (each time a poll finds it so after having seen it otherwise). */
export interface SoldOut extends RunEventBase {
  readonly type: 'sold-out';
  readonly target: string;
}

/** The store created an order and the ledger recorded it. */
export interface OrderCreated extends RunEventBase, OrderParty, Amount {
  readonly type: 'order.created';
  readonly orderId: string;
  readonly packs: number;
}

/** An order was refused: by the store (it created none; `code` is the store's error code, `orderId` absent), or by
 *  the bot before any money moved (`code` is the typed reason: AMOUNT_ABOVE_QUOTE, EXPIRES_TOO_SOON,
 *  METHOD_REFUSED, a plugin's own such as STARS_NO_SLUG, or NOT_VERIFIABLE when no price could be read to check it). */
export interface OrderRefusedEvent extends RunEventBase, OrderParty {
  readonly type: 'order.refused';
  readonly by: 'store' | 'bot';
  readonly code: string;
  readonly reason: string;
  readonly orderId?: string;
}

/** The payment of an order left (its intent is in the ledger); its outcome follows as paid, not-paid or unknown. */
export interface PaymentSent extends RunEventBase, OrderParty, Amount {
  readonly type: 'payment.sent';
  readonly orderId: string;
}

/** Who settled a payment: the payer confirming its own, or reconciliation (in the run, for unknown ones). */
export type SettledBy = 'payer' | 'reconciliation';

export interface PaymentPaid extends RunEventBase, OrderParty, Amount {
  readonly type: 'payment.paid';
  readonly orderId: string;
  readonly packs: number;
  /** The network fee, when the method has one and it is known. */
  readonly feeUnits?: string;
  /** The chain transaction or the Telegram payment, as the plugin names it. Public, never a secret. */
  readonly txHash?: string;
  readonly by: SettledBy;
}

export interface PaymentNotPaid extends RunEventBase, OrderParty, Amount {
  readonly type: 'payment.not-paid';
  readonly orderId: string;
  readonly reason: string;
  /** This method cannot pay for the account again in this run (e.g. Telegram wants the payment verified in an app). */
  readonly final: boolean;
  readonly by: SettledBy;
}

/** Money may have moved and nobody can tell yet: the run (or the next start) reconciles it. */
export interface PaymentUnknown extends RunEventBase, OrderParty, Amount {
  readonly type: 'payment.unknown';
  readonly orderId: string;
  readonly reason: string;
}

/** A budget left no room for even one more pack with what is already spent: payers of its scope stop. */
export interface BudgetReached extends RunEventBase {
  readonly type: 'budget.reached';
  readonly currency: Currency;
  /** Which budget: the overall one, an account's (`accounts[].budget`) or a target's (`targets[].budget`). */
  readonly scope: 'total' | 'account' | 'target';
  /** The account or target the scope names (absent for `total`). */
  readonly name?: string;
  readonly committedUnits: string;
  readonly limitUnits: string;
}

/** Every wanted pack of the target is paid. */
export interface TargetReached extends RunEventBase {
  readonly type: 'target.reached';
  readonly target: string;
  readonly packs: number;
}

/** The store answered a pool's call with 429 and the pool holds its calls until `until` (capped at the profile's
 *  longest wait): a ban, or a rate-limit window the store enforces. One event per hold, not per 429. */
export interface StoreBanned extends RunEventBase {
  readonly type: 'store.banned';
  /** `account:<name>`, `ip:direct`, `ip:<proxy>` (password masked), `auth:direct`. */
  readonly pool: string;
  readonly until: number;
}

/** A pool's circuit breaker opened after calls failed in a row (429s without a usable Retry-After, no answer): its
 *  calls are refused until `reopensAt`, when one test call goes out. */
export interface BreakerOpened extends RunEventBase {
  readonly type: 'breaker.opened';
  readonly pool: string;
  readonly reopensAt: number;
}

/** An account cannot log in until a person acts (no Telegram session, a revoked one, an expired pasted token):
 *  `reason` says what to do (`run automint login --account alice`). */
export interface LoginNeeded extends RunEventBase {
  readonly type: 'login.needed';
  readonly account: string;
  readonly code: string;
  readonly reason: string;
}

/** Every event a run emits. */
export type RunEvent =
  | RunStarted
  | RunStopped
  | RunSummaryEvent
  | CollectionPublished
  | SnipeMatched
  | StockSeen
  | SoldOut
  | OrderCreated
  | OrderRefusedEvent
  | PaymentSent
  | PaymentPaid
  | PaymentNotPaid
  | PaymentUnknown
  | BudgetReached
  | TargetReached
  | StoreBanned
  | BreakerOpened
  | LoginNeeded;

export type RunEventType = RunEvent['type'];

/** Every type, in the order a run usually meets them (for docs, filters and tests). */
export const RUN_EVENT_TYPES = [
  'run.started', 'collection.published', 'snipe.matched', 'stock.seen', 'order.created', 'order.refused',
  'payment.sent', 'payment.paid', 'payment.not-paid', 'payment.unknown', 'budget.reached', 'target.reached', 'sold-out',
  'store.banned', 'breaker.opened', 'login.needed', 'run.summary', 'run.stopped',
] as const satisfies readonly RunEventType[];

/** The event of type `T`. */
export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/** An event as emitted: the bus stamps `at` and `traceId`. */
export type RunEventDraft = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at' | 'traceId'> : never) : never;

/** Compile-time check that RUN_EVENT_TYPES names every type. */
type Unlisted = Exclude<RunEventType, (typeof RUN_EVENT_TYPES)[number]>;
const everyTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTypeListed;
