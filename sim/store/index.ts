/** The simulated Stickerdom store: an HTTP server built from a StoreScenario that sells packs for TON orders, confirms
 *  them from the simulated chain's transfers, drains stock with competing buyers, and lets tests steer it. */
import { Catalog } from './catalog.js';
import { systemClock, type Clock } from './clock.js';
import { Competitors } from './competitors.js';
import { TokenIssuer } from './jwt.js';
import { adminRoutes } from './admin.js';
import { apiRoutes } from './api.js';
import { authenticate, loopbackOnly, rateLimitHeaders, refusalsToReplies, settleFirst } from './middleware.js';
import { OrderBook, type StoreOrder } from './orders.js';
import { compose, under, type Middleware } from './pipeline.js';
import { FixedWindowCounter } from './rate-window.js';
import { router } from './router.js';
import { validateScenario, type StoreScenario } from './scenario.js';
import { listen } from './server.js';
import { StoreWallet } from './wallet.js';
import type { ChainTransfer, TransferFeed } from '../chain/transfer.js';

export type { StoreScenario, CollectionScenario, CharacterScenario } from './scenario.js';
export type { StoreOrder, OrderState, OrderPayment, PaymentVerdict } from './orders.js';
export type { StockLine } from './catalog.js';
export type { Middleware, RequestContext, Reply } from './pipeline.js';
export { StoreRefusal, StoreSetupInvalid, NotInScenario, type RefusalCode } from './refusal.js';
export { TOKEN_ISSUER } from './jwt.js';

export interface StoreOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  scenario: StoreScenario;
  /** Where TON payments are seen. */
  payments: TransferFeed;
  /** The store's receiving TON address, friendly or raw. */
  wallet: string;
  /** HS256 secret for tokens; random when omitted. */
  jwtSecret?: Buffer;
  /** Epoch-ms clock; the wall clock when omitted. */
  clock?: Clock;
  /** Middlewares run after auth and before the routes (rate limits, injected faults). */
  extraMiddlewares?: readonly Middleware[];
  /** Told about errors that are not refusals (bugs); they answer 500 `internal_error`. Defaults to stderr. */
  onUnexpectedError?: (error: unknown) => void;
}

export interface SimStore {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  /** A JWT for that user (tests and demo; later `/auth` issues them). */
  issueToken(userId: number, ttlSec?: number): string;
  /** Every order with its state (created|paid|expired) and the transfers recorded on it. */
  orders(): readonly StoreOrder[];
  /** Transfers to the store wallet that named no order. */
  unmatchedTransfers(): readonly ChainTransfer[];
  /** Packs left of one character, whether or not it has dropped. */
  stock(collectionId: number, characterId: number): number;
  /** Moves a collection's drop to `atMs` (epoch ms). */
  scheduleDrop(collectionId: number, atMs: number): void;
  close(): Promise<void>;
}

/** How often expiries and competitors advance without requests; reads also settle first, so this is only liveness. */
const TICK_MS = 100;
/** Advertised in `x-ratelimit-*`; not enforced yet. */
const ADVERTISED_LIMIT = { requests: 120, windowMs: 60_000 };

/** Starts a simulated store and resolves once it is listening. */
export async function startStore(opts: StoreOptions): Promise<SimStore> {
  const scenario = validateScenario(opts.scenario);
  const clock = opts.clock ?? systemClock;
  const wallet = new StoreWallet(opts.wallet);
  const catalog = new Catalog(scenario.collections, clock);
  const tokens = new TokenIssuer(clock, scenario.tokenTtlSec, opts.jwtSecret);
  const orders = new OrderBook(
    catalog,
    wallet,
    { ttlSec: scenario.orderTtlSec, unpaidLimit: scenario.cryptoOrdersLimit, maxCount: scenario.maxCountPerOrder },
    clock,
  );
  const competitors = scenario.competitors ? new Competitors(catalog, scenario.competitors, clock) : null;
  const settle = (): void => {
    orders.expireDue();
    competitors?.tick();
  };

  for (const transfer of opts.payments.transfersTo(wallet.address.toRawString())) orders.receive(transfer);
  const unsubscribe = opts.payments.onTransfer((transfer) => orders.receive(transfer));

  const endpoint = compose(
    [
      rateLimitHeaders(new FixedWindowCounter(ADVERTISED_LIMIT.requests, ADVERTISED_LIMIT.windowMs), clock),
      refusalsToReplies(opts.onUnexpectedError ?? reportToStderr),
      settleFirst(settle),
      under('/admin', loopbackOnly()),
      under('/api/v1', authenticate(tokens, ['/api/v1/auth'])),
      ...(opts.extraMiddlewares ?? []),
    ],
    router([...apiRoutes({ catalog, orders, cryptoOrdersLimit: scenario.cryptoOrdersLimit }), ...adminRoutes({ catalog, orders, tokens })]),
  );

  let listener: Awaited<ReturnType<typeof listen>>;
  try {
    listener = await listen(endpoint, opts.host ?? '127.0.0.1', opts.port ?? 0);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  const timer = setInterval(settle, TICK_MS);
  timer.unref();

  let closing: Promise<void> | null = null;
  return {
    url: listener.url,
    issueToken: (userId, ttlSec) => tokens.issue(userId, ttlSec),
    orders: () => {
      settle();
      return orders.list();
    },
    unmatchedTransfers: () => orders.unmatched(),
    stock: (collectionId, characterId) => {
      settle();
      return catalog.stock(collectionId, characterId);
    },
    scheduleDrop: (collectionId, atMs) => catalog.scheduleDrop(collectionId, atMs),
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        unsubscribe();
        await listener.close();
      })();
      return closing;
    },
  };
}

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`simulated store: unexpected error: ${text}\n`);
}
