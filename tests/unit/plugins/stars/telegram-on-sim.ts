/** The simulated Telegram alone (no chain, no store), for fast tests of the Stars plugin's decisions over real
 *  sockets: one user logged in through a real TelegramConnection, and a desk of Stars invoices the test issues itself
 *  (the InvoiceDesk is the simulation's own seam between store and Telegram), so any invoice a store could issue —
 *  another currency, another amount — can be served as a payment form and paid. */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Api } from 'telegram';
import bigInt from 'big-integer';
import { starsConfigSchema, type StarsConfig } from '../../../../plugins/stars/config.js';
import { TelegramConnection, type ResolvedBot } from '../../../../plugins/stars/telegram-connection.js';
import type { InvoiceDesk, InvoicePaymentVerdict, StarsInvoice } from '../../../../sim/stars-invoices.js';
import { startTelegram, type SimTelegram } from '../../../../sim/telegram/index.js';

export const BOT_USERNAME = 'sticker_bot';
export const USER_ID = 1001;
/** Enough Stars for every payment a test makes. */
export const FUNDS = 1_000_000n;

/** Invoices issued by the test, paid at most once each. */
class TestDesk implements InvoiceDesk {
  private readonly invoices = new Map<string, StarsInvoice>();
  private readonly paid = new Set<string>();

  find(slug: string): StarsInvoice | null {
    return this.invoices.get(slug) ?? null;
  }

  pay(slug: string): InvoicePaymentVerdict {
    if (!this.invoices.has(slug)) return 'unknown';
    if (this.paid.has(slug)) return 'already-paid';
    this.paid.add(slug);
    return 'paid';
  }

  issue(amount: bigint, currency: string): string {
    const slug = randomBytes(12).toString('base64url');
    this.invoices.set(slug, {
      slug, botUsername: BOT_USERNAME, title: 'Blue Cat', description: 'one pack', amount, currency,
      payload: `order-${slug}`, buyerUserId: USER_ID, expiresAt: Date.now() + 3_600_000,
    });
    return slug;
  }
}

export interface TelegramOnSim {
  readonly telegram: SimTelegram;
  readonly config: StarsConfig;
  /** The user's connection, opened once. */
  readonly conn: TelegramConnection;
  readonly bot: ResolvedBot;
  /** A new Stars invoice of `amount` (default 250) in `currency` (default XTR); its slug. */
  invoice(amount?: bigint, currency?: string): string;
  /** A fresh payment form for `slug`, as payments.getPaymentForm answers it. */
  form(slug: string): Promise<Api.payments.PaymentFormStars>;
  /** Pays `slug` with a fresh form over the user's connection; the service message id of the payment. */
  pay(slug: string): Promise<number>;
  /** Another connection of the same user (a restarted process), closed with the rest. */
  open(config?: Partial<StarsConfig>): Promise<TelegramConnection>;
  close(): Promise<void>;
}

/** Starts the simulated Telegram with one user (`opts.requireVerification`: Telegram asks them to verify payments in
 *  an app) and opens their connection. `connectTimeoutSec` bounds every call (default 5). */
export async function telegramOnSim(opts: { requireVerification?: boolean; connectTimeoutSec?: number; maxFloodWaitSec?: number } = {}): Promise<TelegramOnSim> {
  const desk = new TestDesk();
  const telegram = await startTelegram({
    users: [{ userId: USER_ID, phone: '+15550001001', firstName: 'Bob', stars: FUNDS, ...(opts.requireVerification ? { requireVerification: true } : {}) }],
    storeBot: { userId: 7_000_001, username: BOT_USERNAME, token: `7000001:${randomBytes(27).toString('base64url')}`, webAppUrls: ['https://stickerdom.store/'] },
    invoices: desk,
  });
  const session = telegram.issueSession(USER_ID);
  const configOf = (extra: Partial<StarsConfig> = {}): StarsConfig => ({
    ...starsConfigSchema.parse({
      apiId: 1, apiHash: '0123456789abcdef0123456789abcdef', bot: BOT_USERNAME,
      server: { host: telegram.host, port: telegram.port, publicKey: telegram.publicKeyPem },
      connectTimeoutSec: opts.connectTimeoutSec ?? 5,
      ...(opts.maxFloodWaitSec === undefined ? {} : { maxFloodWaitSec: opts.maxFloodWaitSec }),
    }),
    ...extra,
  });
  const config = configOf();
  const log = pino({ level: 'silent' });
  const opened: TelegramConnection[] = [];
  const open = async (extra?: Partial<StarsConfig>): Promise<TelegramConnection> => {
    const conn = await TelegramConnection.open({ account: 'bob', session, config: configOf(extra), log });
    opened.push(conn);
    return conn;
  };
  try {
    const conn = await open();
    const bot = await conn.resolveBot(BOT_USERNAME);
    const form = async (slug: string): Promise<Api.payments.PaymentFormStars> => {
      const answer = await conn.invoke(new Api.payments.GetPaymentForm({ invoice: new Api.InputInvoiceSlug({ slug }) }));
      if (!(answer instanceof Api.payments.PaymentFormStars)) throw new Error(`not a Stars form: ${answer.className}`);
      return answer;
    };
    return {
      telegram, config, conn, bot, open, form,
      invoice: (amount = 250n, currency = 'XTR') => desk.issue(amount, currency),
      pay: async (slug) => {
        const { formId } = await form(slug);
        const result = await conn.invoke(new Api.payments.SendStarsForm({ formId: bigInt(formId.toString()), invoice: new Api.InputInvoiceSlug({ slug }) }));
        const paid = telegram.payments().find((p) => p.slug === slug);
        if (!(result instanceof Api.payments.PaymentResult) || paid === undefined) throw new Error(`invoice ${slug} was not paid`);
        return paid.msgId;
      },
      close: async () => {
        for (const c of opened) await c.close();
        await telegram.close();
      },
    };
  } catch (e) {
    for (const c of opened) await c.close();
    await telegram.close();
    throw e;
  }
}
