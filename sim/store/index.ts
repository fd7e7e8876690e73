/** The simulated Stickerdom store: an HTTP server built from a StoreScenario that logs users in from Telegram initData,
 *  sells packs for TON orders (confirmed from the simulated chain's transfers) and Stars orders (confirmed when the
 *  simulated Telegram pays their invoice at `invoices`), drains stock with competing buyers, and lets tests steer it.
 *  It can be as hostile as the worst real one: enforced rate limits with bans, ETags, and faults injected at start or
 *  run time, down to twisted Stars invoices and refused logins. */
import { randomBytes, randomInt } from 'node:crypto';
import { Catalog } from './catalog.js';
import { sleepUntil, systemClock, type Clock } from './clock.js';
import { Competitors } from './competitors.js';
import { conditionalGets } from './etags.js';
import { injectFaults } from './fault-injection.js';
import type { FaultPlan } from './fault-plan.js';
import { Faults, type FaultState } from './faults.js';
import { TokenIssuer } from './jwt.js';
import { adminRoutes } from './admin.js';
import { apiRoutes, CACHEABLE_READS } from './api.js';
import { StoreInvoiceDesk, type StoreInvoices } from './invoice-desk.js';
import { DEFAULT_INIT_DATA_MAX_AGE_SEC, InitDataLogin, type TelegramBot } from './login.js';
import { authenticate, loopbackOnly, refusalsToReplies, settleFirst } from './middleware.js';
import { OrderBook, type StoreOrder } from './orders.js';
import { compose, under, type Middleware } from './pipeline.js';
import { RateLimits } from './rate-limits.js';
import { RivalBots } from './rival-bots.js';
import { routeNamer, router } from './router.js';
import { validateScenario, type StoreScenario } from './scenario.js';
import { listen } from './server.js';
import { starsBuyRoutes } from './stars-buy.js';
import { orderCounts, type StoreStats } from './stats.js';
import { countTraffic, TrafficStats, type RequestRecord } from './traffic.js';
import { StoreWallet } from './wallet.js';
import type { ChainTransfer, TransferFeed } from '../chain/transfer.js';

export type { StoreScenario, CollectionScenario, CharacterScenario } from './scenario.js';
export type {
  StoreOrder,
  TonOrder,
  StarsOrder,
  OrderCurrency,
  OrderState,
  OrderPayment,
  PaymentVerdict,
  StarsCharge,
  StarsChargeVerdict,
} from './orders.js';
export type { StoreInvoices } from './invoice-desk.js';
export type { TelegramBot, LoginCounts, LoginRefusalReason } from './login.js';
export { MAX_INIT_DATA_BYTES } from './login.js';
export { invoiceLink } from './stars-buy.js';
export type { StockLine } from './catalog.js';
export type { Middleware, RequestContext, Reply } from './pipeline.js';
export { StoreRefusal, StoreSetupInvalid, NotInScenario, type RefusalCode } from './refusal.js';
export { TOKEN_ISSUER } from './jwt.js';
export type { RateLimitPolicy, WindowLimit, BanRule, ResetStyle } from './rate-policy.js';
export { FaultPlanInvalid, type FaultPlan, type FaultTrigger } from './fault-plan.js';
export type { FaultState, FaultName, StarsFault } from './faults.js';
export type { StoreStats, OrderCounts } from './stats.js';
export type { RequestRecord } from './traffic.js';
export type { TrafficCounts, TrafficSnapshot } from './traffic.js';
export { DEFAULT_RATE_LIMITS, enforcedPolicy, type EnforcedPolicy } from './rate-policy.js';

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
  /** The bot that signs initData for `/api/v1/auth` and issues Stars invoices; `sticker_bot` with a random token
   *  when omitted (read it back from `SimStore.telegramBot` to sign initData). */
  telegramBot?: TelegramBot;
  /** Epoch-ms clock; the wall clock when omitted. */
  clock?: Clock;
  /** Middlewares run after auth and the rate limits, before ETags and the routes (tests' own faults). */
  extraMiddlewares?: readonly Middleware[];
  /** Told about errors that are not refusals (bugs); they answer 500 `internal_error`. Defaults to stderr. */
  onUnexpectedError?: (error: unknown) => void;
}

export interface SimStore {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  /** The bot whose token the store checks initData with; `token` is a secret of the simulated world. */
  readonly telegramBot: TelegramBot;
  /** Stars invoices: the simulated Telegram finds them and reports payments here. The extension point for any other
   *  party that pays a Stars invoice on a buyer's behalf (the rival bots; in a plugin's tests, its own payment
   *  service, reached through the test kit's `TestWorld.invoices`): `find` the invoice, `pay` it, and the store
   *  confirms the order exactly as when Telegram does. */
  readonly invoices: StoreInvoices;
  /** A JWT for that user, as `/api/v1/auth` would issue it (tests and demo). */
  issueToken(userId: number, ttlSec?: number): string;
  /** Every order, TON and Stars, with its state (created|paid|expired) and the payments recorded on it. */
  orders(): readonly StoreOrder[];
  /** Transfers to the store wallet that named no order. */
  unmatchedTransfers(): readonly ChainTransfer[];
  /** Packs left of one character, whether or not it has dropped. */
  stock(collectionId: number, characterId: number): number;
  /** Moves a collection's drop to `atMs` (epoch ms). */
  scheduleDrop(collectionId: number, atMs: number): void;
  /** Requests answered outside `/admin` (429s, by status and by route), logins, and orders per currency. */
  stats(): StoreStats;
  /** The requests answered outside `/admin`, one by one and oldest first: when each came and was answered, whose token
   *  it carried, its status and any Retry-After (the latest REQUEST_LOG_LIMIT). */
  requests(): readonly RequestRecord[];
  /** Replaces the faults in force (null clears them); throws FaultPlanInvalid for a plan that cannot be applied. */
  setFaults(plan: FaultPlan | null): void;
  /** The faults in force, bursts left and faults injected since they were set. */
  faultState(): FaultState;
  close(): Promise<void>;
}

/** How often expiries and competitors advance without requests; reads also settle first, so this is only liveness. */
const TICK_MS = 100;
/** Seed of the fault generator when the scenario names none. */
const DEFAULT_SEED = 1;
/** Stars order (and invoice) lifetime when the scenario names none, seconds. */
const DEFAULT_STARS_ORDER_TTL_SEC = 600;

/** Starts a simulated store and resolves once it is listening. */
export async function startStore(opts: StoreOptions): Promise<SimStore> {
  const scenario = validateScenario(opts.scenario);
  const clock = opts.clock ?? systemClock;
  const wallet = new StoreWallet(opts.wallet);
  const catalog = new Catalog(scenario.collections, clock);
  const tokens = new TokenIssuer(clock, scenario.tokenTtlSec, opts.jwtSecret);
  const bot = opts.telegramBot ?? randomBot();
  const orders = new OrderBook(
    catalog,
    wallet,
    {
      maxCount: scenario.maxCountPerOrder,
      TON: { ttlSec: scenario.orderTtlSec, unpaidLimit: scenario.cryptoOrdersLimit },
      XTR: {
        ttlSec: scenario.starsOrderTtlSec ?? DEFAULT_STARS_ORDER_TTL_SEC,
        unpaidLimit: scenario.starsOrdersLimit ?? scenario.cryptoOrdersLimit,
      },
    },
    clock,
  );
  const invoices = new StoreInvoiceDesk(orders, catalog, bot.username);
  const competitors = scenario.competitors ? new Competitors(catalog, scenario.competitors, clock) : null;
  const settle = (): void => {
    orders.expireDue();
    competitors?.tick();
  };

  for (const transfer of opts.payments.transfersTo(wallet.address.toRawString())) orders.receive(transfer);
  const unsubscribe = opts.payments.onTransfer((transfer) => orders.receive(transfer));

  const faults = new Faults(scenario.faults ?? null, scenario.seed ?? DEFAULT_SEED);
  const traffic = new TrafficStats();
  const limits = new RateLimits(scenario.rateLimits, clock);
  const login = new InitDataLogin({
    bot,
    tokens,
    clock,
    faults,
    maxAgeSec: scenario.initDataMaxAgeSec ?? DEFAULT_INIT_DATA_MAX_AGE_SEC,
  });
  const stats = (): StoreStats => ({ ...traffic.snapshot(), bans: limits.bansIssued(), auth: login.counts(), orders: orderCounts(orders.list()) });
  const shutdown = new AbortController();
  const routes = [
    ...login.routes(),
    ...apiRoutes({ catalog, orders, cryptoOrdersLimit: scenario.cryptoOrdersLimit, tonTwists: () => faults.tonTwists() }),
    ...starsBuyRoutes({ invoices, faults }),
    ...adminRoutes({ catalog, orders, tokens, faults, invoices, stats }),
  ];

  // Outside in: counts see every answer; faults act like a proxy in front of the store; the limits' headers wrap
  // every API reply, the per-IP window is charged before the token is checked and the per-token one after.
  const endpoint = compose(
    [
      countTraffic(traffic, routeNamer(routes), clock),
      injectFaults(faults, sleepUntil(shutdown.signal)),
      under('/api', limits.headers()),
      refusalsToReplies(opts.onUnexpectedError ?? reportToStderr),
      settleFirst(settle),
      under('/admin', loopbackOnly()),
      under('/api', limits.perIp()),
      under('/api/v1', authenticate(tokens, ['/api/v1/auth'])),
      under('/api', limits.perToken()),
      ...(opts.extraMiddlewares ?? []),
      conditionalGets(CACHEABLE_READS),
    ],
    router(routes),
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
  // Rivals are started once the store listens: they reach it over its own socket, like every other client.
  const rivals = scenario.rivals
    ? RivalBots.start({
        baseUrl: listener.url, plan: scenario.rivals, maxCountPerOrder: scenario.maxCountPerOrder,
        issueToken: (userId) => tokens.issue(userId), invoices, onError: opts.onUnexpectedError ?? reportToStderr,
      })
    : null;

  let closing: Promise<void> | null = null;
  return {
    url: listener.url,
    telegramBot: bot,
    invoices: {
      find: (slug) => invoices.find(slug),
      pay: (slug, payerUserId, chargeId) => {
        settle();
        return invoices.pay(slug, payerUserId, chargeId);
      },
      list: () => invoices.list(),
    },
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
    stats: () => {
      settle();
      return stats();
    },
    requests: () => traffic.requests(),
    setFaults: (plan) => faults.set(plan),
    faultState: () => faults.state(),
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        rivals?.stop();
        shutdown.abort();
        unsubscribe();
        await listener.close();
      })();
      return closing;
    },
  };
}

/** A bot for a store started without one: its token signs nothing outside this store. */
function randomBot(): TelegramBot {
  return { username: 'sticker_bot', token: `${randomInt(1_000_000, 2_000_000_000)}:${randomBytes(26).toString('base64url')}` };
}

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`simulated store: unexpected error: ${text}\n`);
}
