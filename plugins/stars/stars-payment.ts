/** The Stars payment method and the Telegram store login: one persistent Telegram connection per account (opened
 *  while arming from the account's 0600 session file, never per payment), Stars orders paid with
 *  `payments.sendStarsForm`, unknown outcomes settled from the Stars history by invoice slug, and fresh initData for
 *  the store's `POST /api/v1/auth`. */
import { existsSync } from 'node:fs';
import { inject, injectable } from 'tsyringe';
import type { Logger } from 'pino';
import type { Stars, Units } from '../../core/money.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { CONFIG, LOGGER } from '../../core/plugins/tokens.js';
import type { OpenIntent, PaymentAccount, PaymentMethod, PaymentSteps, Settlement } from '../../core/plugins/payment.js';
import type { WebAppLogin } from '../../core/plugins/web-app-login.js';
import type { StarsConfig } from './config.js';
import { requestInitData } from './init-data.js';
import { readSession, sessionPath } from './session-file.js';
import { interpretSend, lookUp, sendForm, type StarsPayload } from './stars-attempt.js';
import { StarsSteps, starsBalance } from './stars-steps.js';
import { TelegramConnection } from './telegram-connection.js';
import { TelegramNotConfigured, TelegramSessionMissing } from './telegram-error.js';
import { STARS_CONFIG } from './tokens.js';

@injectable()
export class StarsPayment implements PaymentMethod, WebAppLogin {
  readonly id = 'stars';
  readonly currency = 'XTR' as const;
  readonly orderPolicy: { toleranceBps: number; expiryMarginMs: number; feeAllowance: Stars; maxPerOrder: number };
  private readonly connections = new Map<string, Promise<TelegramConnection>>();
  private readonly log: Logger;

  constructor(
    @inject(CONFIG) private readonly config: AutomintConfig,
    @inject(STARS_CONFIG) private readonly stars: StarsConfig,
    @inject(LOGGER) log: Logger,
  ) {
    this.log = log.child({ plugin: 'stars' });
    // Stars prices are exact and a payment is instant: no tolerance, no expiry margin, no network fee.
    this.orderPolicy = { toleranceBps: 0, expiryMarginMs: 0, feeAllowance: 0n as Stars, maxPerOrder: stars.packsPerOrder };
  }

  /** The account's connection, opened once and shared by every use; a failed open is forgotten so the next use retries. */
  connection(account: string, signal?: AbortSignal): Promise<TelegramConnection> {
    let c = this.connections.get(account);
    if (!c) {
      c = this.open(account, signal);
      this.connections.set(account, c);
      c.catch(() => this.connections.delete(account));
    }
    return c;
  }

  private async open(account: string, signal?: AbortSignal): Promise<TelegramConnection> {
    const missing = this.missingApp();
    if (missing.length > 0) throw new TelegramNotConfigured(missing);
    const session = await readSession(sessionPath(this.config.dataDir, account), this.log);
    if (session === null) throw new TelegramSessionMissing(account);
    const conn = await TelegramConnection.open({ account, session, config: this.stars, log: this.log, signal });
    this.log.info({ account, userId: conn.userId.toString() }, 'telegram connected');
    return conn;
  }

  private missingApp(): string[] {
    return [...(this.stars.apiId === undefined ? ['plugins.stars.apiId'] : []), ...(this.stars.apiHash === undefined ? ['plugins.stars.apiHash'] : [])];
  }

  async unavailableFor(account: string): Promise<string | null> {
    const missing = this.missingApp();
    if (missing.length > 0) return `set ${missing.join(' and ')} (from my.telegram.org)`;
    if (!existsSync(sessionPath(this.config.dataDir, account))) return `no Telegram session: run \`automint login --account ${account}\``;
    return null;
  }

  async initData(account: string, signal: AbortSignal): Promise<string> {
    const conn = await this.connection(account, signal);
    return requestInitData(conn, { bot: this.stars.bot, webAppUrls: this.stars.webAppUrls, platform: this.stars.platform, signal });
  }

  async prepare(account: PaymentAccount, signal: AbortSignal): Promise<void> {
    const conn = await this.connection(account.name, signal);
    const balance = await starsBalance(conn, signal);
    this.log.info({ account: account.name, balance: balance.toString() }, 'stars ready');
  }

  async capacity(account: PaymentAccount, signal: AbortSignal): Promise<Units> {
    const balance = await starsBalance(await this.connection(account.name, signal), signal);
    return balance > this.stars.starsReserve ? balance - this.stars.starsReserve : 0n;
  }

  steps(account: PaymentAccount): PaymentSteps {
    return new StarsSteps(account, () => this.connection(account.name), this.stars, this.log.child({ account: account.name }));
  }

  /** Settles a payment whose outcome is unknown: the Stars history by slug first; when it holds nothing, the same form
   *  is sent again — a form pays at most once (FORM_ID_EXPIRED), so this finishes what may have been cut off without
   *  any risk of paying twice. */
  async reconcile(intent: OpenIntent, signal: AbortSignal): Promise<Settlement> {
    const p = intent.payload as Partial<StarsPayload>;
    if (typeof p.slug !== 'string' || typeof p.formId !== 'string' || typeof p.account !== 'string' || !/^-?\d+$/.test(p.formId)) {
      return { outcome: 'unknown', reason: 'intent payload is incomplete' };
    }
    const payload: StarsPayload = { slug: p.slug, formId: p.formId, account: p.account, botId: String(p.botId ?? '') };
    const conn = await this.connection(payload.account, signal);
    const seen = await lookUp(conn, payload, { outcome: 'look-up', reason: 'reconciling', formSpent: false }, signal);
    if (seen.outcome === 'paid') return seen;
    const verdict = interpretSend(await sendForm(conn, payload, signal), payload);
    if (verdict.outcome !== 'look-up') return verdict;
    return lookUp(conn, payload, verdict, signal);
  }

  async close(): Promise<void> {
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(open.map((c) => c.then((conn) => conn.close(), () => undefined)));
  }
}
