/** The simulated world as a plugin's tests use it: a TON chain, the Stickerdom store and Telegram on loopback ports,
 *  buyers with store tokens, funded wallets, Telegram sessions and Stars, and the few levers a payment test pulls
 *  (put a collection on sale, overprice the next order, drain a balance, count what the store was paid). The world
 *  itself (sim/world.ts) stays inside the host: this is the narrow, documented face of it. */
import { startWorld, type World, type WorldBuyer } from '../../sim/world.js';
import { DEMO_SCENARIO } from '../../sim/scenarios.js';
import type { InvoiceDesk } from '../../sim/stars-invoices.js';
import type { StoreOrder as SimStoreOrder } from '../../sim/store/index.js';
import type { PaymentAccount, TargetSpec } from '../../core/plugins/payment.js';
import type { Nano } from '../../core/money.js';
import { onSaleNow } from './on-sale-now.js';
import { worldAccount } from './plugin-on-world.js';

export interface TestWorldOptions {
  /** Buyers to mint: the demo's `alice` and `bob` first, then `buyer3`…; default 2. */
  readonly buyers?: number;
  /** Milliseconds between TON blocks; default 200 (a transfer confirms in about a second). */
  readonly blockIntervalMs?: number;
  /** Every collection on sale from the start with no competing buyers (default); false: the demo's drop, 3 s after
   *  the start, drained by competitors. */
  readonly onSale?: boolean;
}

/** A buyer of the world. Every field but `name`, `userId` and `address` is a secret of the simulated world. */
export interface TestBuyer {
  readonly name: string;
  /** Telegram user id (the store knows the buyer by it). */
  readonly userId: number;
  /** A store JWT (what `accounts[].storeToken` takes). */
  readonly token: string;
  /** 24 words of a WalletV5R1 funded with 100 TON (what `wallets[].mnemonic` takes). */
  readonly mnemonic: string;
  /** That wallet's address, user-friendly. */
  readonly address: string;
  /** A logged-in Telegram session (GramJS StringSession), holding 2000 Stars at the start. */
  readonly session: string;
}

export interface TestWorld {
  /** The store's base URL (`store.baseUrl`). */
  readonly storeUrl: string;
  /** The chain's toncenter v2 endpoint (`plugins.ton.endpoint`). */
  readonly tonEndpoint: string;
  /** The Telegram server, as `plugins.stars.server` takes it. */
  readonly telegramServer: { readonly host: string; readonly port: number; readonly publicKey: string };
  readonly buyers: readonly TestBuyer[];
  /** Collection 1 of the world has characters 1 (120 packs, 2.5 TON or 250 Stars each) and 2 (40 packs, 5 TON or
   *  500 Stars). */
  target(collection?: number, character?: number): TargetSpec;
  /** The account of `buyer` (default the first) as a payment method receives it: its store client calls the store
   *  directly, with the buyer's token (no limiter). Closed with the world. */
  account(buyer?: TestBuyer): PaymentAccount;
  /** Moves a collection's drop to `atMs` (epoch ms; default now: on sale at once). */
  putOnSale(collection: number, atMs?: number): void;
  /** The store's Stars invoices, as a third party that pays them sees them: `find(slug)` (amount in whole stars,
   *  currency, the order id as payload, expiresAt in epoch ms) and `pay(slug, payerUserId, chargeId)` (the store
   *  confirms the order: `paid`, or `already-paid`, `expired`, `unknown`). How the simulated Telegram pays them, and
   *  how a plugin's own payment service (a voucher issuer, say) can in a test. */
  readonly invoices: InvoiceDesk;
  /** Every order the store took, TON and Stars, with its state and each payment recorded on it. */
  storeOrders(): readonly SimStoreOrder[];
  /** Payments that moved money into the order, by the store's records: a TON order by its id (paid, and paid again),
   *  a Stars order by its id or its invoice slug (paid, and paid at a wrong amount). */
  storePayments(orderIdOrSlug: string): number;
  /** The store's next order in `currency` asks twice the price (a TON order's total; a Stars invoice's amount). */
  overpriceNextOrder(currency: 'TON' | 'XTR'): void;
  /** Sets a buyer's Telegram Stars balance. */
  setStars(buyer: TestBuyer, stars: bigint): void;
  /** Sets a buyer's wallet balance, in nanotons. */
  setTonBalance(buyer: TestBuyer, nano: Nano | bigint): Promise<void>;
  /** Stops chain, store and Telegram, and closes the accounts' connections. */
  close(): Promise<void>;
}

/** The simulated world behind each TestWorld, for the kit's own loaders. */
const simWorlds = new WeakMap<TestWorld, World>();

/** The simulated world `world` wraps, and its buyer `buyer` as the world made it. */
export function simWorldOf(world: TestWorld, buyer?: TestBuyer): { sim: World; simBuyer: WorldBuyer } {
  const sim = simWorlds.get(world);
  if (sim === undefined) throw new Error('not a world started by startTestWorld');
  const name = (buyer ?? world.buyers[0]!).name;
  const simBuyer = sim.buyers.find((b) => b.name === name);
  if (simBuyer === undefined) throw new Error(`no buyer "${name}" in this world`);
  return { sim, simBuyer };
}

/** Starts a simulated world for a plugin's tests (a few seconds: the chain's wallets are real contracts). */
export async function startTestWorld(opts: TestWorldOptions = {}): Promise<TestWorld> {
  const sim = await startWorld({
    scenario: opts.onSale === false ? DEMO_SCENARIO : onSaleNow(DEMO_SCENARIO),
    blockIntervalMs: opts.blockIntervalMs ?? 200,
    ...(opts.buyers === undefined ? {} : { buyers: opts.buyers }),
  });
  const accounts: { close(): Promise<void> }[] = [];
  const simBuyer = (b: TestBuyer): WorldBuyer => sim.buyers.find((s) => s.name === b.name)!;
  const world: TestWorld = {
    storeUrl: sim.store.url,
    tonEndpoint: sim.chain.endpoint,
    telegramServer: { host: sim.telegram.host, port: sim.telegram.port, publicKey: sim.telegram.publicKeyPem },
    buyers: sim.buyers.map((b) => ({
      name: b.name, userId: b.userId, token: b.token, mnemonic: b.mnemonic, address: b.address.toString(), session: b.session,
    })),
    target: (collection = 1, character = 1) => ({ key: `${collection}:${character}`, collection, character }),
    account: (buyer) => {
      const opened = worldAccount(sim, simBuyer(buyer ?? world.buyers[0]!));
      accounts.push(opened);
      return opened.account;
    },
    putOnSale: (collection, atMs = Date.now() - 1) => sim.store.scheduleDrop(collection, atMs),
    invoices: { find: (slug) => sim.store.invoices.find(slug), pay: (slug, payer, chargeId) => sim.store.invoices.pay(slug, payer, chargeId) },
    storeOrders: () => sim.store.orders(),
    storePayments: (ref) => {
      const order = sim.store.orders().find((o) => o.id === ref || (o.currency === 'XTR' && o.invoiceSlug === ref));
      if (order === undefined) return 0;
      const moved: readonly string[] = order.currency === 'TON' ? ['paid', 'duplicate'] : ['paid', 'mismatch'];
      return order.payments.filter((p) => moved.includes(p.verdict)).length;
    },
    overpriceNextOrder: (currency) => sim.store.setFaults(currency === 'TON' ? { tonOverprice: { burst: 1 } } : { starsOverprice: { burst: 1 } }),
    setStars: (buyer, stars) => sim.telegram.setStars(buyer.userId, stars),
    setTonBalance: async (buyer, nano) => {
      (await sim.chain.blockchain.getContract(simBuyer(buyer).address)).balance = nano;
    },
    close: async () => {
      for (const a of accounts.splice(0)) await a.close().catch(() => undefined);
      await sim.close();
    },
  };
  simWorlds.set(world, sim);
  return world;
}
