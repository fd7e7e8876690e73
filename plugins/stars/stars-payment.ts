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
import { accountProxy } from '../../core/store/proxy.js';
import type { OpenIntent, PaymentAccount, PaymentMethod, PaymentSteps, Settlement } from '../../core/plugins/payment.js';
import type { WebAppLogin } from '../../core/plugins/web-app-login.js';
import { missingApiKeys, type StarsConfig } from './config.js';
import { requestInitData } from './init-data.js';
import { readSession, sessionPath } from './session-file.js';
import { interpretSend, lookUp, sendForm, type StarsPayload } from './stars-attempt.js';
import { StarsSteps, starsBalance } from './stars-steps.js';
import { AccountStars } from './account-stars.js';
import { TelegramConnection } from './telegram-connection.js';
import { TelegramNotConfigured, TelegramRpcFailed, TelegramSessionMissing } from './telegram-error.js';
import { STARS_CONFIG } from './tokens.js';

/** How long after preparing a form reconciliation may still send it: about a store order's life, so a payment cut off
 *  by a crash is finished, but a form from an old run is never paid out of the blue. */
export const RESEND_WINDOW_MS = 5 * 60_000;

@injectable()
export class StarsPayment implements PaymentMethod, WebAppLogin {
  readonly id = 'stars';
  readonly currency = 'XTR' as const;
  readonly orderPolicy: { toleranceBps: number; expiryMarginMs: number; feeAllowance: Stars; maxPerOrder: number };
  private readonly connections = new Map<string, Promise<TelegramConnection>>();
  private readonly accountStars = new AccountStars();
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
    const proxy = accountProxy(this.config.accounts, account);
    // GramJS has no HTTP proxy client: such an account's Telegram connection goes direct, and the user is told.
    if (proxy !== undefined && proxy.kind !== 'socks5') {
      this.log.warn({ account, proxy: proxy.shown }, 'telegram cannot use an HTTP proxy: this account connects to Telegram directly (use socks5:// to hide it)');
    }
    const conn = await TelegramConnection.open({ account, session, config: this.stars, log: this.log, signal, ...(proxy === undefined ? {} : { proxy }) });
    this.log.info({ account, userId: conn.userId.toString() }, 'telegram connected');
    return conn;
  }

  private missingApp(): string[] {
    return missingApiKeys(this.stars).map((k) => `plugins.stars.${k}`);
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
    // Resolved now so the first order of the drop does not wait for it.
    await conn.resolveBot(this.stars.bot, signal);
    const balance = await starsBalance(conn, signal);
    this.log.info({ account: account.name, balance: balance.toString() }, 'stars ready');
  }

  async capacity(account: PaymentAccount, signal: AbortSignal): Promise<Units> {
    const balance = await starsBalance(await this.connection(account.name, signal), signal);
    return balance > this.stars.starsReserve ? balance - this.stars.starsReserve : 0n;
  }

  steps(account: PaymentAccount): PaymentSteps {
    return new StarsSteps(account, () => this.connection(account.name), this.stars, this.log.child({ account: account.name }), this.accountStars);
  }

  /** Settles a payment whose outcome is unknown, by its invoice slug. Found in the bot chat or the Stars history:
   *  paid. Not found, and the form still young (RESEND_WINDOW_MS): the same form is sent again, which finishes a
   *  payment cut off before it left — a form pays at most once, so it cannot pay twice; when the answer to that send
   *  is lost and the payment is not found right after, it stays unknown (Telegram may still carry the send out).
   *  Not found and older: it did not happen (no request of a dead process can still arrive), unless the look-up
   *  itself failed (unknown). */
  async reconcile(intent: OpenIntent, signal: AbortSignal): Promise<Settlement> {
    const p = intent.payload as Partial<StarsPayload>;
    if (typeof p.slug !== 'string' || typeof p.formId !== 'string' || typeof p.account !== 'string' || !/^-?\d+$/.test(p.formId)) {
      return { outcome: 'unknown', reason: 'intent payload is incomplete' };
    }
    const payload: StarsPayload = { slug: p.slug, formId: p.formId, account: p.account, botId: String(p.botId ?? ''), preparedAt: Number(p.preparedAt ?? 0) };
    const conn = await this.connection(payload.account, signal);
    const bot = await conn.resolveBot(this.stars.bot, signal);
    const notFound = `no payment of invoice ${payload.slug} in the bot chat or the Stars history`;
    const first = await lookUp(conn, bot, payload, 'reconciling', { outcome: 'not-paid', reason: notFound }, signal);
    if (first.outcome !== 'not-paid') return first;
    if (Date.now() - payload.preparedAt > RESEND_WINDOW_MS) return { outcome: 'not-paid', reason: `${notFound}, and the form is too old to send again` };
    const sent = await sendForm(conn, payload, signal, this.stars.maxFloodWaitSec);
    const verdict = interpretSend(sent, payload);
    if (verdict.outcome !== 'look-up') return verdict;
    // Telegram's own answer to this one transmission (a used or expired form) and still no payment: it did not pay.
    // A lost answer proves nothing: the form sent just now may still be carried out, so not found yet is unknown.
    const answered = sent.error instanceof TelegramRpcFailed && !sent.reconnected;
    return lookUp(conn, bot, payload, verdict.reason, answered
      ? { outcome: 'not-paid', reason: `${verdict.reason}; ${notFound}` }
      : { outcome: 'unknown', reason: `${verdict.reason}; ${notFound} yet` }, signal);
  }

  async close(): Promise<void> {
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(open.map((c) => c.then((conn) => conn.close(), () => undefined)));
  }
}
