/** The TON payment method: WalletV5R1 wallets from the config's mnemonics (derived once), orders through
 *  `POST /shop/buy/crypto`, transfers signed natively and confirmed on chain through toncenter v2. */
import { Address } from '@ton/core';
import { TonClient } from '@ton/ton';
import { inject, injectable } from 'tsyringe';
import type { Logger } from 'pino';
import { formatTon, type Nano, type Units } from '../../core/money.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { CONFIG, LOGGER } from '../../core/plugins/tokens.js';
import type {
  OpenIntent, PaymentAccount, PaymentAttempt, PaymentMethod, PaymentSteps, Settlement, StoreOrder, TargetSpec,
} from '../../core/plugins/payment.js';
import { TON_CONFIG } from './tokens.js';
import type { TonConfig } from './config.js';
import { DestinationGuard } from './destination-guard.js';
import { deriveWalletKeys } from './wallet-keys.js';
import { TonWallet } from './ton-wallet.js';
import { TonPaymentError } from './ton-payment-error.js';
import { CLOCK_SLACK_SEC, confirmTransfer, TonAttempt } from './ton-attempt.js';

@injectable()
export class TonPayment implements PaymentMethod {
  readonly id = 'ton';
  readonly currency = 'TON' as const;
  private readonly client: TonClient;
  private readonly wallets = new Map<string, Promise<TonWallet>>();
  private readonly log: Logger;
  private readonly destinations: DestinationGuard;
  readonly orderPolicy: { toleranceBps: number; expiryMarginMs: number; feeAllowance: Nano };

  constructor(
    @inject(CONFIG) private readonly config: AutomintConfig,
    @inject(TON_CONFIG) private readonly ton: TonConfig,
    @inject(LOGGER) log: Logger,
  ) {
    this.client = new TonClient({ endpoint: ton.endpoint, apiKey: ton.apiKey, timeout: 15_000 });
    this.log = log.child({ plugin: 'ton' });
    // The budget held for an order's fee until the real one is known: the gas reserve bounds what a transfer may cost.
    this.orderPolicy = { toleranceBps: ton.toleranceBps, expiryMarginMs: ton.expiryMarginSec * 1000, feeAllowance: ton.feeAllowance };
    this.destinations = new DestinationGuard(ton.storeWallets, ton.onDestinationChange, this.log);
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
      w = deriveWalletKeys(name, cfg.mnemonic).then((keys) => new TonWallet(name, keys, this.client));
      this.wallets.set(name, w);
    }
    return w;
  }

  async prepare(account: PaymentAccount): Promise<void> {
    const wallet = await this.wallet(account);
    const state = await wallet.refresh();
    this.log.info({ account: account.name, wallet: wallet.name, address: wallet.address.toString({ bounceable: false }),
      balance: formatTon(state.balance), seqno: state.seqno, deployed: state.deployed }, 'ton wallet ready');
  }

  async capacity(account: PaymentAccount): Promise<Units> {
    const balance = await (await this.wallet(account)).balance();
    return balance > this.ton.gasReserve ? balance - this.ton.gasReserve : 0n;
  }

  steps(account: PaymentAccount): PaymentSteps {
    return {
      quote: (target: TargetSpec, signal) => account.store.priceTon(target.collection, target.character, signal),
      createOrder: async (target, count, { signal, onSent }): Promise<StoreOrder> => {
        const o = await account.store.buyTon({ collection: target.collection, character: target.character, count }, { signal, onSent });
        return { orderId: o.orderId, count, currency: 'TON', amount: o.amount, destination: o.destination, expiresAt: o.expiresAt };
      },
      check: async (order) => {
        const destination = parseAddress(order.destination);
        if (!destination) return `destination ${order.destination} is not a TON address`;
        // A TON transfer landing after expiry may be lost, so an order must say when it expires.
        if (order.expiresAt === null) return `order ${order.orderId} has no expiry`;
        const refusal = this.destinations.judge(destination, order.destination, order.orderId);
        if (refusal !== null) return refusal;
        const need = (order.amount + this.ton.gasReserve) as Nano;
        const { ok, balance } = await (await this.wallet(account)).covers(need);
        return ok ? null : `wallet balance ${formatTon(balance)} TON is below ${formatTon(need)} TON (amount + gas reserve)`;
      },
      prepare: async (order, signal): Promise<PaymentAttempt> => {
        const wallet = await this.wallet(account);
        const destination = parseAddress(order.destination);
        if (!destination) throw new TonPaymentError('TON_BAD_DESTINATION', `destination ${order.destination} is not a TON address`, { orderId: order.orderId });
        const release = await wallet.lock.acquire(signal);
        try {
          // The wait for the wallet (with a shared wallet, up to a whole confirmation) may have eaten the margin the
          // host checked: a transfer signed now could land after the order expired.
          const now = Date.now();
          if (order.expiresAt === null || order.expiresAt - now < this.orderPolicy.expiryMarginMs) {
            throw new TonPaymentError('TON_ORDER_EXPIRING',
              order.expiresAt === null
                ? `order ${order.orderId} has no expiry`
                : `order ${order.orderId} expires in ${order.expiresAt - now} ms, less than the ${this.orderPolicy.expiryMarginMs} ms margin, once the wallet was free`,
              { orderId: order.orderId, expiresAt: order.expiresAt, marginMs: this.orderPolicy.expiryMarginMs });
          }
          // The transfer must not outlive the order: a payment landing after expiry may be lost.
          const validUntil = Math.min(Math.floor(now / 1000) + this.ton.validForSec, Math.floor(order.expiresAt / 1000));
          const transfer = await wallet.sign(destination, order.amount as Nano, order.orderId, validUntil);
          return new TonAttempt(wallet, order, destination, transfer, release, this.ton, this.log);
        } catch (e) {
          release();
          throw e;
        }
      },
    };
  }

  async reconcile(intent: OpenIntent, signal: AbortSignal): Promise<Settlement> {
    const p = intent.payload as { walletAddress?: string; seqno?: number; validUntil?: number; boc?: string; comment?: string };
    const destination = parseAddress(intent.destination);
    if (!destination || typeof p.seqno !== 'number' || typeof p.validUntil !== 'number' || !p.boc || !p.walletAddress) {
      return { outcome: 'unknown', reason: 'intent payload is incomplete' };
    }
    const wallet = await this.walletByAddress(p.walletAddress);
    if (!wallet) return { outcome: 'unknown', reason: `no configured wallet has address ${p.walletAddress}` };
    return confirmTransfer(wallet, {
      destination, amount: intent.amount as Nano, comment: p.comment ?? intent.orderId, seqno: p.seqno, validUntil: p.validUntil, boc: p.boc,
      // validUntil is at most validForSec after the signing (less when the order's expiry capped it), so the
      // transfer cannot have executed before validUntil − validForSec, less the clock slack.
      since: p.validUntil - this.ton.validForSec - CLOCK_SLACK_SEC,
    }, this.ton, signal, { resend: true });
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

  async close(): Promise<void> {
    this.wallets.clear();
  }
}

function parseAddress(text: string): Address | null {
  try {
    return Address.parse(text);
  } catch {
    return null;
  }
}
