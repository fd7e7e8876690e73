/** The TON payment method: WalletV5R1 wallets from the config's mnemonics (derived once), orders through
 *  `POST /shop/buy/crypto`, transfers signed natively, the orders waiting on one wallet paid together by one external
 *  message (see wallet-batcher.ts), and confirmed on chain through toncenter v2. */
import { Address } from '@ton/core';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { inject, injectable } from 'tsyringe';
import type { Logger } from 'pino';
import { formatTon, type Nano, type Units } from '../../core/money.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { CONFIG, LOCAL_CLOCK, LOGGER } from '../../core/plugins/tokens.js';
import type { ShopSettings } from '../../core/store/responses.js';
import type {
  OpenIntent, PaymentAccount, PaymentAttempt, PaymentMethod, PaymentSteps, Settlement, StoreOrder, TargetSpec,
} from '../../core/plugins/payment.js';
import { TON_CONFIG, TON_INTENT_RECORDS } from './tokens.js';
import type { TonConfig } from './config.js';
import { DestinationGuard } from './destination-guard.js';
import { deriveWalletKeys } from './wallet-keys.js';
import { TonWallet } from './ton-wallet.js';
import { TonPaymentError } from './ton-payment-error.js';
import { settleMember, SharedWatch, watchMessage } from './message-watch.js';
import { ChainClock } from './chain-clock.js';
import { connectToncenter, type Toncenter } from './toncenter.js';
import { WalletBatcher } from './wallet-batcher.js';
import { everyOrderRecorded, type IntentRecords } from './intent-records.js';

/** How many of the store wallets earlier runs paid are looked at while arming. */
const RECALLED_DESTINATIONS = 3;
/** Longest an account's arming waits for the clock read and the look at earlier store wallets. */
const ARMING_WARM_UP_MS = 3_000;
/** How often the chain's time is read while the run lasts: well inside the 30 s a reading stays fresh for signing. */
export const CLOCK_KEEP_FRESH_MS = 20_000;

@injectable()
export class TonPayment implements PaymentMethod {
  readonly id = 'ton';
  readonly currency = 'TON' as const;
  private readonly toncenter: Toncenter;
  private readonly wallets = new Map<string, Promise<TonWallet>>();
  private readonly batchers = new Map<TonWallet, WalletBatcher>();
  /** Reconciliations of one message share one watch of the chain (every member of a batch is reconciled at once). */
  private readonly reconciling = new Map<string, Promise<SharedWatch>>();
  private readonly log: Logger;
  private readonly destinations: DestinationGuard;
  /** One chain, one clock: every wallet's reads feed it. */
  readonly clock: ChainClock;
  readonly orderPolicy: { toleranceBps: number; expiryMarginMs: number; feeAllowance: Nano; unpaidOrdersLimit: (settings: ShopSettings) => number };
  /** The look at earlier runs' store wallets, once per run. */
  private recalled: Promise<void> | undefined;
  private clockTimer: NodeJS.Timeout | undefined;

  constructor(
    @inject(CONFIG) private readonly config: AutomintConfig,
    @inject(TON_CONFIG) private readonly ton: TonConfig,
    @inject(LOGGER) log: Logger,
    @inject(TON_INTENT_RECORDS) private readonly records: IntentRecords,
    @inject(LOCAL_CLOCK, { isOptional: true }) localClock?: () => number,
  ) {
    this.toncenter = connectToncenter({ endpoint: ton.endpoint, apiKey: ton.apiKey });
    this.log = log.child({ plugin: 'ton' });
    this.clock = new ChainClock(localClock ?? Date.now, (offsetMs) => this.log.warn({ offsetMs },
      `this machine's clock is ${formatOffset(offsetMs)} the TON chain's: transfers are signed and judged by the chain's time, ` +
      'but set the clock right (NTP) — other parties (the store) may judge by it'));
    // The budget held for an order's fee until the real one is known: the gas reserve bounds what a transfer may cost.
    // The store's shop settings say how many unpaid TON orders an account may hold (seen at 1).
    this.orderPolicy = {
      toleranceBps: ton.toleranceBps, expiryMarginMs: ton.expiryMarginSec * 1000, feeAllowance: ton.feeAllowance,
      unpaidOrdersLimit: (settings) => settings.cryptoOrdersLimit,
    };
    // A failed look-up (a 429 from a keyless toncenter at the drop) is tried three times in all before the order's check
    // fails for now (and is retried by the host): an unverified destination is never paid.
    const lookUp = retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 1_000 }) });
    this.destinations = new DestinationGuard(ton.storeWallets, ton.onDestinationChange, this.log, ton.requireActiveDestination
      ? (address) => lookUp.execute(() => this.toncenter.client.getContractState(address)).then((s) => s.state === 'active', () => null)
      : null);
  }

  /** The account's wallet, keys derived on first use and shared by every account that names it. */
  private wallet(account: PaymentAccount): Promise<TonWallet> {
    const name = account.wallet;
    if (!name) {
      return Promise.reject(new TonPaymentError('TON_NO_WALLET', `account ${account.name} has no wallet; set accounts[].wallet to pay in TON`, { account: account.name }));
    }
    return this.walletByName(name) ?? Promise.reject(new TonPaymentError('TON_NO_WALLET', `no TON wallet named ${name}`, { account: account.name, wallet: name }));
  }

  /** The configured TON wallet called `name`, keys derived once; null when the config has none by that name. */
  private walletByName(name: string): Promise<TonWallet> | null {
    let w = this.wallets.get(name);
    if (!w) {
      const cfg = this.config.wallets.find((x) => x.name === name && x.method === 'ton');
      if (!cfg) return null;
      w = deriveWalletKeys(name, cfg.mnemonic).then((keys) => new TonWallet(name, keys, this.toncenter, this.clock));
      this.wallets.set(name, w);
    }
    return w;
  }

  /** The wallet's batcher: every account paying from the wallet joins the same batches. */
  private batcher(wallet: TonWallet): WalletBatcher {
    let b = this.batchers.get(wallet);
    if (!b) {
      b = new WalletBatcher(wallet, this.ton, this.log);
      this.batchers.set(wallet, b);
    }
    return b;
  }

  /** Arms an account: its wallet read (seqno, balance, the chain's clock), its signer warmed, the store wallets earlier
   *  runs paid looked at once per run, and the chain's clock kept fresh until the run ends — so that the drop's first
   *  order is signed and sent with no round trip to the chain. */
  async prepare(account: PaymentAccount): Promise<void> {
    const wallet = await this.wallet(account);
    const state = await wallet.refresh();
    await wallet.warmSigner();
    // Worth waiting for, not worth holding the run's arming for: a slow toncenter leaves them to finish on their own
    // (an order naming a wallet still being looked at shares that look-up).
    const warming = Promise.all([this.keepClockFresh(wallet), this.recalled ??= this.recallDestinations()]);
    await Promise.race([warming, new Promise((resolve) => setTimeout(resolve, ARMING_WARM_UP_MS).unref())]);
    this.log.info({ account: account.name, wallet: wallet.name, address: wallet.address.toString({ bounceable: false }),
      balance: formatTon(state.balance), seqno: state.seqno, deployed: state.deployed, clockOffsetMs: this.clock.offsetMs }, 'ton wallet ready');
  }

  /** The store wallets paid by earlier runs (the ledger's confirmed TON payments, the latest few), looked at on chain
   *  now rather than when the drop's first order names one. */
  private async recallDestinations(): Promise<void> {
    let paid: readonly string[];
    try {
      paid = (await this.records.intents?.confirmedDestinations(this.id, RECALLED_DESTINATIONS)) ?? [];
    } catch (e) {
      this.log.warn({ err: e }, 'ton store wallets paid before could not be read from the ledger: the first order looks its destination up');
      return;
    }
    const active = await this.destinations.recall(paid);
    if (active > 0) this.log.info({ active }, 'ton store wallets paid before are active on chain: orders naming them pay without a look-up');
  }

  /** Reads the chain's time now and every CLOCK_KEEP_FRESH_MS (one call for the whole run) on the connections the
   *  send uses, so that a drop long after arming finds a fresh reading, dates its first message without reading the
   *  chain first, and sends it on a connection already open. */
  private async keepClockFresh(wallet: TonWallet): Promise<void> {
    if (this.clockTimer !== undefined) return;
    const read = (): Promise<void> => this.toncenter.sender.warm(wallet.address.toString())
      .then((utime) => utime !== null && this.clock.observe(utime), () => undefined).then(() => undefined);
    this.clockTimer = setInterval(() => void read(), CLOCK_KEEP_FRESH_MS);
    this.clockTimer.unref();
    // The send's own connection, opened now rather than by the drop's first message.
    await read();
  }

  async capacity(account: PaymentAccount): Promise<Units> {
    const balance = await (await this.wallet(account)).balance();
    return balance > this.ton.gasReserve ? balance - this.ton.gasReserve : 0n;
  }

  steps(account: PaymentAccount): PaymentSteps {
    return {
      quote: (target: TargetSpec, signal) => account.store.priceTon(target.collection, target.character, signal),
      createOrder: async (target, count, { signal, onSent }): Promise<StoreOrder> => {
        const wallet = await this.wallet(account);
        const batcher = this.batcher(wallet);
        // A wallet armed long ago reads its seqno and balance now, while the order's request is out.
        wallet.readSoon(() => batcher.idle());
        // The wallet's forming batch waits for this order rather than leave without it (group commit).
        const onItsWay = batcher.expect();
        let o;
        try {
          o = await account.store.buyTon({ collection: target.collection, character: target.character, count }, { signal, onSent });
        } catch (e) {
          onItsWay.release();
          throw e;
        }
        onItsWay.answered(o.orderId);
        // The store's own count when it states one: a store that changed it is caught by the host's check.
        return { orderId: o.orderId, count: o.count ?? count, currency: 'TON', amount: o.amount, destination: o.destination, expiresAt: o.expiresAt };
      },
      check: async (order) => {
        const destination = parseAddress(order.destination);
        if (!destination) return `destination ${order.destination} is not a TON address`;
        // A TON transfer landing after expiry may be lost, so an order must say when it expires.
        if (order.expiresAt === null) return `order ${order.orderId} has no expiry`;
        const refusal = await this.destinations.judge(destination, order.destination, order.orderId);
        if (refusal !== null) return refusal;
        const wallet = await this.wallet(account);
        // Orders already taken on this wallet (forming or in flight) leave it before this one does.
        const committed = this.batcher(wallet).committed();
        const need = (order.amount + committed + this.ton.gasReserve) as Nano;
        const { ok, balance } = await wallet.covers(need);
        if (ok) return null;
        return committed === 0n
          ? `wallet balance ${formatTon(balance)} TON is below ${formatTon(need)} TON (amount + gas reserve)`
          : `wallet balance ${formatTon(balance)} TON is below ${formatTon(need)} TON (amount + ${formatTon(committed)} TON of orders already being paid + gas reserve)`;
      },
      prepare: async (order, signal): Promise<PaymentAttempt> => {
        const wallet = await this.wallet(account);
        const destination = parseAddress(order.destination);
        if (!destination) throw new TonPaymentError('TON_BAD_DESTINATION', `destination ${order.destination} is not a TON address`, { orderId: order.orderId });
        // Joins the wallet's forming batch; the margin and the balance are checked again when it closes, since
        // the wait for the wallet (with a shared wallet, up to a whole confirmation) may have eaten them.
        return this.batcher(wallet).join(order, destination, signal);
      },
    };
  }

  async reconcile(intent: OpenIntent, signal: AbortSignal): Promise<Settlement> {
    const p = intent.payload as {
      walletAddress?: string; seqno?: number; validUntil?: number; boc?: string; bocHash?: string; comment?: string;
      batch?: { orderIds?: unknown };
    };
    const destination = parseAddress(intent.destination);
    if (!destination || typeof p.seqno !== 'number' || typeof p.validUntil !== 'number' || !p.boc || !p.walletAddress) {
      return { outcome: 'unknown', reason: 'intent payload is incomplete' };
    }
    const comment = p.comment ?? intent.orderId;
    // Intents recorded before batching name no batch: their message paid this order alone.
    const orderIds = p.batch === undefined ? [comment] : p.batch.orderIds;
    if (!Array.isArray(orderIds) || !orderIds.every((id): id is string => typeof id === 'string') || !orderIds.includes(comment)) {
      return { outcome: 'unknown', reason: 'intent payload names no batch with this order' };
    }
    const wallet = await this.walletByAddress(p.walletAddress);
    if (!wallet) return { outcome: 'unknown', reason: `no configured wallet has address ${p.walletAddress}` };
    const walletRaw = wallet.address.toRawString();
    const message = {
      seqno: p.seqno, validUntil: p.validUntil, boc: p.boc, comments: orderIds,
      ...(typeof p.bocHash === 'string' ? { bocHash: p.bocHash } : {}),
    };
    // Every member of a batch is reconciled at once: one ledger check and one watch of the chain serve them all.
    const key = `${walletRaw}:${p.seqno}:${p.boc}`;
    let watching = this.reconciling.get(key);
    if (!watching) {
      // Sending the message again would pay every order in it: only when the ledger knows them all; else only watch.
      watching = everyOrderRecorded(this.records.intents, intent, { walletRaw, seqno: p.seqno, boc: p.boc, orderIds })
        .then((resend) => new SharedWatch((s) => watchMessage(wallet, message, this.ton, s, { resend })));
      watching.catch(() => this.reconciling.delete(key));
      this.reconciling.set(key, watching);
    }
    const watch = await watching;
    return settleMember(await watch.outcome(signal), orderIds, { index: orderIds.indexOf(comment), destination, amount: intent.amount as Nano, comment });
  }

  /** The configured TON wallet with this address (any form), or null. */
  private async walletByAddress(address: string): Promise<TonWallet | null> {
    const target = parseAddress(address);
    if (!target) return null;
    for (const cfg of this.config.wallets.filter((w) => w.method === 'ton')) {
      const w = await this.walletByName(cfg.name);
      if (w?.address.equals(target)) return w;
    }
    return null;
  }

  clockOffsetMs(): number | null {
    return this.clock.offsetMs;
  }

  async close(): Promise<void> {
    clearInterval(this.clockTimer);
    this.clockTimer = undefined;
    this.wallets.clear();
    this.batchers.clear();
    this.reconciling.clear();
    await this.toncenter.sender.close();
  }
}

/** "12.3 s ahead of" / "4.0 s behind" (offset = chain − local). */
export function formatOffset(offsetMs: number): string {
  return `${(Math.abs(offsetMs) / 1000).toFixed(1)} s ${offsetMs < 0 ? 'ahead of' : 'behind'}`;
}

function parseAddress(text: string): Address | null {
  try {
    return Address.parse(text);
  } catch {
    return null;
  }
}
