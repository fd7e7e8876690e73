/** A simulated world whose buyers all pay from ONE TON wallet (several accounts on one wallet), with the TON plugin
 *  registered the way a run registers it (config, logger and a real ledger in the container), and the host's steps
 *  around an attempt (record the intent, send, confirm, settle) as payer-steps.ts runs them. */
import pino from 'pino';
import { container } from 'tsyringe';
import { Agent } from 'undici';
import { expect } from 'vitest';
import { AutomintConfigSchema, pluginBlocks } from '../../../core/config/schema.js';
import { openLedger } from '../../../core/ledger/database.js';
import type { Ledger } from '../../../core/ledger/ledger.js';
import { discoverPlugins, registerPlugins } from '../../../core/plugins/host.js';
import type { OpenIntent, PaymentAccount, PaymentAttempt, PaymentMethod, Settlement, StoreOrder } from '../../../core/plugins/payment.js';
import { CONFIG, LEDGER, LOGGER } from '../../../core/plugins/tokens.js';
import { StoreClient } from '../../../core/store/store-client.js';
import { DEMO_SCENARIO, type WorldScenario } from '../../../sim/scenarios.js';
import { startWorld, type World } from '../../../sim/world.js';
import { onSaleNow } from '../../support/on-sale-now.js';

/** Every call goes at once to the world's store: the limiter is not what these tests are about. */
const OPEN_GATE = { acquire: async () => ({ settle: () => undefined, release: () => undefined }) };
export const TARGET = { key: '1:1', collection: 1, character: 1 } as const;

/** The demo drop on sale now, with `buyers` accounts; the first one's wallet (funded with `fundTon`) pays for all. */
export function sharedWalletScenario(buyers: number, fundTon: string): WorldScenario {
  const base = onSaleNow(DEMO_SCENARIO);
  return {
    ...base,
    buyers: Array.from({ length: buyers }, (_, i) => ({ name: `buyer${i}`, fundTon: i === 0 ? fundTon : '1' })),
    store: (now) => ({ ...base.store(now), cryptoOrdersLimit: 50 }),
  };
}

/** One run of the TON plugin on the world: every account names the shared wallet. */
export interface SharedWalletRun {
  readonly method: PaymentMethod;
  readonly accounts: readonly PaymentAccount[];
  close(): Promise<void>;
}

export class SharedWalletWorld {
  private constructor(readonly world: World, readonly ledger: Ledger, private readonly dispatcher: Agent) {}

  static async start(buyers: number, fundTon: string, blockIntervalMs: number): Promise<SharedWalletWorld> {
    const world = await startWorld({ scenario: sharedWalletScenario(buyers, fundTon), blockIntervalMs });
    return new SharedWalletWorld(world, await openLedger(':memory:'), new Agent({ keepAliveTimeout: 10_000 }));
  }

  /** The wallet every account pays from (raw form). */
  get walletAddress(): string {
    return this.world.buyers[0]!.address.toRawString();
  }

  /** A fresh plugin instance (as after a restart) with these keys in its `plugins.ton` block. */
  async run(ton: Record<string, unknown>): Promise<SharedWalletRun> {
    const { world } = this;
    const config = AutomintConfigSchema.parse({
      accounts: world.buyers.map((b) => ({ name: b.name, wallet: 'shared' })),
      wallets: [{ name: 'shared', method: 'ton', mnemonic: world.buyers[0]!.mnemonic }],
      targets: [{ collection: TARGET.collection, character: TARGET.character, packs: 1, methods: ['ton'] }],
      plugins: { ton: { endpoint: world.chain.endpoint, ...ton } },
    });
    const scope = container.createChildContainer();
    scope.register(CONFIG, { useValue: config });
    scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
    scope.register(LEDGER, { useValue: this.ledger });
    const { payments } = await registerPlugins(scope, await discoverPlugins([]), pluginBlocks(config), new Set(['ton']));
    const method = payments.find((p) => p.id === 'ton')!;
    const accounts = world.buyers.map((buyer) => ({
      name: buyer.name, wallet: 'shared',
      store: new StoreClient({
        account: buyer.name, token: async () => buyer.token, gate: OPEN_GATE,
        endpoints: { resolve: async () => world.store.url, report: () => undefined },
        dispatcher: this.dispatcher, userAgent: 'automint-test', timeoutMs: 10_000,
      }),
    }));
    return { method, accounts, close: () => method.close() };
  }

  /** Store orders (one pack each) for the first `n` accounts, created at once and recorded in the ledger. */
  async orders(run: SharedWalletRun, n: number, signal: AbortSignal): Promise<StoreOrder[]> {
    return Promise.all(run.accounts.slice(0, n).map(async (account) => {
      const order = await run.method.steps(account).createOrder(TARGET, 1, { signal, onSent: () => undefined });
      expect(await run.method.steps(account).check(order, signal)).toBeNull();
      const purchaseId = `${TARGET.key}:${account.name}`;
      await this.ledger.purchases.ensure({ id: purchaseId, collection: TARGET.collection, character: TARGET.character, account: account.name, packsWanted: 100 });
      await this.ledger.orders.insert({
        orderId: order.orderId, purchaseId, method: 'ton', account: account.name, collection: TARGET.collection, character: TARGET.character,
        count: order.count, currency: order.currency, amount: order.amount, destination: order.destination, expiresAt: order.expiresAt ?? 0,
      });
      return order;
    }));
  }

  /** The host's record step: the intent goes into the ledger before any money moves. */
  async record(order: StoreOrder, attempt: PaymentAttempt): Promise<void> {
    await this.ledger.recordIntent({
      idempotencyKey: attempt.idempotencyKey, orderId: order.orderId, method: 'ton', currency: order.currency,
      amount: order.amount, destination: order.destination, payload: { ...attempt.payload },
    });
  }

  /** The host's steps after prepare: record, send (a failure is not "not paid"), confirm, dispose, settle. */
  async pay(order: StoreOrder, attempt: PaymentAttempt, signal: AbortSignal): Promise<Settlement> {
    let settlement: Settlement;
    try {
      await this.record(order, attempt);
      await attempt.send(signal).catch(() => undefined);
      settlement = await attempt.confirm(signal);
    } finally {
      attempt.dispose();
    }
    await this.settle(attempt.idempotencyKey, order, settlement);
    return settlement;
  }

  /** Settles an intent in the ledger as the host does after confirm or reconcile. */
  async settle(idempotencyKey: string, order: StoreOrder, s: Settlement): Promise<void> {
    const base = { idempotencyKey, orderId: order.orderId, reservationId: null };
    if (s.outcome === 'paid') await this.ledger.settle({ ...base, outcome: 'paid', txHash: s.txHash, fee: s.fee, spent: order.amount + s.fee });
    else await this.ledger.settle({ ...base, outcome: s.outcome, reason: s.reason });
  }

  /** The intent as reconciliation gets it from the ledger. */
  async openIntent(idempotencyKey: string): Promise<OpenIntent> {
    const row = await this.ledger.intents.get(idempotencyKey);
    if (!row) return expect.fail(`no intent ${idempotencyKey} in the ledger`);
    return { idempotencyKey, orderId: row.orderId, amount: row.amount, destination: row.destination, payload: row.payload };
  }

  /** What the ledger says the given orders cost the wallet: amount + fee of each confirmed intent. */
  async ledgerSpent(orderIds: readonly string[]): Promise<bigint> {
    let sum = 0n;
    for (const id of orderIds) {
      for (const intent of await this.ledger.intents.forOrder(id)) {
        if (intent.state === 'confirmed') sum += intent.amount + (intent.fee ?? 0n);
      }
    }
    return sum;
  }

  /** The store's own count of payments it accepted for this order. */
  storePayments(orderId: string): number {
    const order = this.world.store.orders().find((o) => o.id === orderId);
    return order ? order.payments.filter((p) => p.verdict === 'paid' || p.verdict === 'duplicate').length : 0;
  }

  /** External messages the chain has applied so far. */
  externals(): number {
    return this.world.chain.stats().externalsApplied;
  }

  walletBalance(): Promise<bigint> {
    return this.world.chain.balance(this.walletAddress);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
    await this.ledger.close();
    await this.world.close();
  }
}
