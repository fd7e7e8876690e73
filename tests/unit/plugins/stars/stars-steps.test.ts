/** The Stars payer's steps for one account against the simulated Telegram alone over real sockets: quoting, ordering
 *  (store → invoice link → slug → payment form), the checks that refuse an order before any star moves, the balance
 *  check and the one attempt per form. The store is a small double issuing the invoices the test asks for (any
 *  amount, currency or link, as a hostile store could); Telegram answers the sim cannot give (a form of another kind
 *  or from another bot) come from a connection that overrides that one answer. */
import bigInt from 'big-integer';
import pino from 'pino';
import { Api } from 'telegram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stars } from '../../../../core/money.js';
import type { PaymentAccount, StoreOrder, TargetSpec } from '../../../../core/plugins/payment.js';
import type { CollectionView } from '../../../../core/store/collection-answer.js';
import type { StoreClient } from '../../../../core/store/store-client.js';
import { AccountStars, StarsPaymentsBlocked } from '../../../../plugins/stars/account-stars.js';
import { StarsPriceUnknown, StarsSteps, starsBalance } from '../../../../plugins/stars/stars-steps.js';
import type { TelegramConnection } from '../../../../plugins/stars/telegram-connection.js';
import { TelegramAborted, TelegramRpcFailed } from '../../../../plugins/stars/telegram-error.js';
import { USER_ID, telegramOnSim, type TelegramOnSim } from './telegram-on-sim.js';

const TARGET: TargetSpec = { key: '1:1', collection: 1, character: 1 };
const PRICE = 250n;
const ACCOUNT = 'bob';

/** A collection with character 1 priced at `price` Stars (null: no Stars price). */
function collection(price: bigint | null, characterId = 1): CollectionView {
  return {
    published: true, id: 1, title: 'Demo', status: 'active', notes: [],
    characters: [{ id: characterId, name: 'Blue Cat', left: 100, priceStars: price as Stars | null, supply: 120, problems: [] }],
  };
}

/** The store's side: a collection view and, per buy, the invoice link the test chose (default: a fresh invoice of
 *  PRICE × count Stars on the simulated Telegram). */
class StoreDouble {
  view: CollectionView = collection(PRICE);
  readonly buys: { collection: number; character: number; count: number }[] = [];
  nextLink: ((count: number) => string) | undefined;

  constructor(private readonly tg: TelegramOnSim) {}

  readonly reads: { collection: number; priority: string | undefined; signal: AbortSignal | undefined }[] = [];

  async collection(collectionId: number, opts: { signal?: AbortSignal; priority?: string } = {}): Promise<CollectionView> {
    this.reads.push({ collection: collectionId, priority: opts.priority, signal: opts.signal });
    return this.view;
  }

  async buyStars(req: { collection: number; character: number; count: number }, opts: { onSent?: () => void } = {}): Promise<{ invoiceLink: string }> {
    opts.onSent?.();
    this.buys.push(req);
    const link = this.nextLink ?? ((count: number) => `https://t.me/$${this.tg.invoice(PRICE * BigInt(count))}`);
    this.nextLink = undefined;
    return { invoiceLink: link(req.count) };
  }
}

/** `conn` with its answer to one kind of request replaced (an answer the simulated Telegram cannot give). */
function answering<R extends Api.AnyRequest>(conn: TelegramConnection, kind: abstract new (...args: never[]) => R, answer: (request: R) => unknown): TelegramConnection {
  const twisted = Object.create(conn) as TelegramConnection;
  Object.defineProperty(twisted, 'invoke', {
    value: async (request: Api.AnyRequest, opts?: { signal?: AbortSignal }) => (request instanceof kind ? answer(request) : conn.invoke(request, opts)),
  });
  return twisted;
}

describe('the Stars payer steps', () => {
  let tg: TelegramOnSim;
  let store: StoreDouble;
  let accountStars: AccountStars;
  let conn: TelegramConnection;
  let controller: AbortController;

  beforeAll(async () => {
    tg = await telegramOnSim();
  });
  afterAll(async () => {
    await tg?.close();
  });
  beforeEach(() => {
    store = new StoreDouble(tg);
    accountStars = new AccountStars();
    conn = tg.conn;
    controller = new AbortController();
    tg.telegram.setStars(USER_ID, 1_000_000n);
  });

  const stepsWith = (config: { starsReserve?: bigint } = {}): StarsSteps => {
    const account: PaymentAccount = { name: ACCOUNT, wallet: undefined, store: store as unknown as StoreClient };
    return new StarsSteps(account, async () => conn, { ...tg.config, ...config } as typeof tg.config, pino({ level: 'silent' }), accountStars);
  };
  const order = (steps: StarsSteps, count = 1) => steps.createOrder(TARGET, count, { signal: controller.signal, onSent: () => undefined });

  describe('quote', () => {
    it('is the Stars price of the character, read from its collection at read priority', async () => {
      expect(await stepsWith().quote({ key: '4:1', collection: 4, character: 1 }, controller.signal)).toBe(PRICE);
      expect(store.reads).toEqual([{ collection: 4, priority: 'read', signal: controller.signal }]);
    });

    it('refuses a character without a Stars price, one the collection does not list, and an unpublished collection', async () => {
      for (const view of [collection(null), collection(PRICE, 2), { published: false } as CollectionView]) {
        store.view = view;
        const failure = await stepsWith().quote(TARGET, controller.signal).then(() => null, (e: unknown) => e);
        expect(failure).toBeInstanceOf(StarsPriceUnknown);
        expect((failure as StarsPriceUnknown).code).toBe('STARS_PRICE_UNKNOWN');
        expect((failure as StarsPriceUnknown).message).toBe('collection 1 has no Stars price for character 1');
        expect((failure as StarsPriceUnknown).details).toEqual({ target: '1:1' });
      }
    });
  });

  describe('createOrder', () => {
    it('orders the packs asked at the store and answers the invoice as the order, told when the buy was sent', async () => {
      const steps = stepsWith();
      await steps.quote(TARGET, controller.signal);
      let sent = 0;
      const o = await steps.createOrder(TARGET, 2, { signal: controller.signal, onSent: () => sent++ });
      expect(store.buys).toEqual([{ collection: 1, character: 1, count: 2 }]);
      expect(sent).toBe(1);
      expect(o).toEqual({ orderId: o.destination, count: 2, currency: 'XTR', amount: 2n * PRICE, destination: o.destination, expiresAt: null });
      expect(o.orderId).toMatch(/^[\w-]+$/);
    });

    it('asks the store for nothing once Telegram wants the account verified', async () => {
      accountStars.block(ACCOUNT, 'verify in the app');
      await expect(order(stepsWith())).rejects.toBeInstanceOf(StarsPaymentsBlocked);
      expect(store.buys).toEqual([]);
    });

    it('refuses a link without a slug, naming every such order apart and each link by its hash', async () => {
      const steps = stepsWith();
      const linkA = 'https://example.invalid/pay/1';
      const linkB = 'https://example.invalid/pay/2';
      const orders = [];
      for (const link of [linkA, linkA, linkB]) {
        store.nextLink = () => link;
        orders.push(await order(steps));
      }
      for (const o of orders) {
        expect(o).toMatchObject({ count: 1, currency: 'XTR', amount: 0n, destination: '', expiresAt: null, refusalCode: 'STARS_NO_SLUG' });
        expect(o.refusal).toBe('the invoice link has no slug (expected t.me/$slug, t.me/invoice/slug or tg://invoice?slug=)');
        expect(o.orderId).toMatch(/^invoice-[0-9a-f]{8}-[0-9a-f]{8}$/);
      }
      const [a1, a2, b] = orders.map((o) => o.orderId.slice(0, 'invoice-12345678'.length));
      expect(a1).toBe(a2);
      expect(b).not.toBe(a1);
      expect(new Set(orders.map((o) => o.orderId)).size).toBe(3);
      expect(await steps.check(orders[0]!, controller.signal)).toMatch(/no payment form/);
    });

    it('refuses an invoice Telegram says can never be paid, and fails on any other refusal of the form', async () => {
      const steps = stepsWith();
      // An invoice the store never issued: Telegram itself answers SLUG_INVALID.
      store.nextLink = () => 'https://t.me/$NeverIssued';
      expect(await order(steps)).toEqual({
        orderId: 'NeverIssued', count: 1, currency: 'XTR', amount: 0n, destination: 'NeverIssued', expiresAt: null,
        refusal: 'Telegram refused the invoice: SLUG_INVALID', refusalCode: 'STARS_INVOICE_REFUSED',
      });
      for (const message of ['BOT_INVOICE_INVALID', 'INVOICE_INVALID', 'STARS_FORM_AMOUNT_MISMATCH']) {
        tg.telegram.injectRpcError('payments.GetPaymentForm', 400, message);
        expect(await order(steps)).toMatchObject({ refusal: `Telegram refused the invoice: ${message}`, refusalCode: 'STARS_INVOICE_REFUSED' });
      }
      tg.telegram.injectRpcError('payments.GetPaymentForm', 400, 'PEER_FLOOD');
      const failure = await order(steps).then(() => null, (e: unknown) => e);
      expect(failure).toBeInstanceOf(TelegramRpcFailed);
      expect((failure as TelegramRpcFailed).errorMessage).toBe('PEER_FLOOD');
    });

    it('fetches no form once the caller gave up while the store was ordering', async () => {
      const steps = stepsWith();
      const forms = tg.telegram.stats().requests['payments.GetPaymentForm'] ?? 0;
      store.nextLink = (count) => {
        controller.abort();
        return `https://t.me/$${tg.invoice(PRICE * BigInt(count))}`;
      };
      await expect(order(steps)).rejects.toBeInstanceOf(TelegramAborted);
      expect(tg.telegram.stats().requests['payments.GetPaymentForm'] ?? 0).toBe(forms);
    });

    it('resolves no bot once the caller gave up while the form was fetched', async () => {
      conn = answering(await tg.open(), Api.payments.GetPaymentForm, async (request) => {
        const form = await tg.conn.invoke(request);
        controller.abort();
        return form;
      });
      const resolves = tg.telegram.stats().requests['contacts.ResolveUsername'] ?? 0;
      await expect(order(stepsWith())).rejects.toBeInstanceOf(TelegramAborted);
      expect(tg.telegram.stats().requests['contacts.ResolveUsername'] ?? 0).toBe(resolves);
    });

    it('refuses a form that is not a Stars form, naming its kind', async () => {
      conn = answering(tg.conn, Api.payments.GetPaymentForm, () => new Api.payments.PaymentForm({
        formId: bigInt(1), botId: bigInt(7_000_001), title: 't', description: 'd', providerId: bigInt(2), url: 'https://pay.invalid/', users: [],
        invoice: new Api.Invoice({ currency: 'XTR', prices: [new Api.LabeledPrice({ label: 'p', amount: bigInt(250) })] }),
      }));
      const o = await order(stepsWith());
      expect(o).toMatchObject({ amount: 0n, destination: o.orderId, refusalCode: 'STARS_NOT_A_STARS_FORM' });
      expect(o.refusal).toBe('the invoice is not payable in Stars (Telegram offers a payments.PaymentForm form)');
    });

    it('refuses an invoice in another currency with no amount, naming the currency cut short', async () => {
      store.nextLink = () => `https://t.me/$${tg.invoice(900n, 'USDOLLARSANDMORE')}`;
      const o = await order(stepsWith());
      expect(o).toMatchObject({ amount: 0n, destination: o.orderId, refusalCode: 'STARS_FOREIGN_CURRENCY' });
      expect(o.refusal).toBe('the form is in USDOLLAR (900 of its smallest unit), not Stars (XTR)');
    });

    it('refuses an invoice another bot issued, keeping its amount', async () => {
      conn = answering(tg.conn, Api.payments.GetPaymentForm, async (request) => {
        const real = (await tg.conn.invoke(request)) as Api.payments.PaymentFormStars;
        real.botId = bigInt(666);
        return real;
      });
      const o = await order(stepsWith());
      expect(o).toMatchObject({ amount: PRICE, destination: o.orderId, refusalCode: 'STARS_FOREIGN_BOT' });
      expect(o.refusal).toBe("the invoice was issued by bot 666, not the store's @sticker_bot");
    });

    it('refuses an invoice that asks less than the packs asked at the quote, and takes one that asks exactly that', async () => {
      const steps = stepsWith();
      await steps.quote(TARGET, controller.signal);
      store.nextLink = () => `https://t.me/$${tg.invoice(2n * PRICE - 1n)}`;
      const short = await order(steps, 2);
      expect(short).toMatchObject({ amount: 2n * PRICE - 1n, destination: short.orderId, refusalCode: 'STARS_FEWER_PACKS' });
      expect(short.refusal).toBe('the invoice asks 499 stars, less than 2 packs at 250 stars: it does not cover the packs asked');
      const exact = await order(steps, 2);
      expect(exact.refusal).toBeUndefined();
      expect(exact.amount).toBe(2n * PRICE);
    });

    it('takes the invoice as it is for a target it has no quote for (the host checks the amount)', async () => {
      store.nextLink = () => `https://t.me/$${tg.invoice(1n)}`;
      const o = await order(stepsWith());
      expect(o.refusal).toBeUndefined();
      expect(o.amount).toBe(1n);
    });

    it('adds up every price of the form', async () => {
      conn = answering(tg.conn, Api.payments.GetPaymentForm, async (request) => {
        const real = (await tg.conn.invoke(request)) as Api.payments.PaymentFormStars;
        real.invoice.prices = [...real.invoice.prices, new Api.LabeledPrice({ label: 'extra', amount: bigInt(7) })];
        return real;
      });
      expect((await order(stepsWith())).amount).toBe(PRICE + 7n);
    });
  });

  describe('check', () => {
    it('finds no form for an order it did not fetch', async () => {
      const o: StoreOrder = { orderId: 'elsewhere', count: 1, currency: 'XTR', amount: PRICE, destination: 'elsewhere', expiresAt: null };
      expect(await stepsWith().check(o, controller.signal)).toBe('no payment form was fetched for order elsewhere');
    });

    it('passes an order the balance covers exactly with the reserve and what other payments hold', async () => {
      const steps = stepsWith({ starsReserve: 100n });
      const o = await order(steps);
      accountStars.hold(ACCOUNT, 400n);
      tg.telegram.setStars(USER_ID, PRICE + 100n + 400n);
      expect(await steps.check(o, controller.signal)).toBeNull();
    });

    it('refuses an order the balance falls one star short of, with the figures, and drops its form', async () => {
      const steps = stepsWith({ starsReserve: 100n });
      const o = await order(steps);
      accountStars.hold(ACCOUNT, 400n);
      tg.telegram.setStars(USER_ID, PRICE + 100n + 400n - 1n);
      expect(await steps.check(o, controller.signal)).toBe('Stars balance 749 is below 750 (invoice 250 + reserve 100 + 400 held by payments in flight)');
      await expect(steps.prepare(o)).rejects.toThrow(/no payment form/);
    });

    it('reads no balance once the caller gave up', async () => {
      const steps = stepsWith();
      const o = await order(steps);
      const reads = tg.telegram.stats().requests['payments.GetStarsStatus'] ?? 0;
      controller.abort();
      await expect(steps.check(o, controller.signal)).rejects.toBeInstanceOf(TelegramAborted);
      expect(tg.telegram.stats().requests['payments.GetStarsStatus'] ?? 0).toBe(reads);
    });

    it('leaves out what is held when nothing is', async () => {
      const steps = stepsWith({ starsReserve: 100n });
      const o = await order(steps);
      tg.telegram.setStars(USER_ID, 300n);
      expect(await steps.check(o, controller.signal)).toBe('Stars balance 300 is below 350 (invoice 250 + reserve 100)');
    });
  });

  describe('prepare', () => {
    it('makes one attempt per form, paying with it, holding its stars until the attempt ends', async () => {
      const steps = stepsWith();
      const o = await order(steps);
      const before = Date.now();
      const attempt = await steps.prepare(o);
      expect(attempt.payload).toMatchObject({ slug: o.orderId, account: ACCOUNT, botId: tg.bot.userId.toString() });
      expect(attempt.payload.preparedAt as number).toBeGreaterThanOrEqual(before);
      expect(accountStars.heldBy(ACCOUNT)).toBe(PRICE);
      const failure = await steps.prepare(o).then(() => null, (e: unknown) => e);
      expect(failure).toMatchObject({ code: 'STARS_NO_FORM', message: `no payment form for order ${o.orderId}`, details: { orderId: o.orderId } });
      await attempt.send(controller.signal);
      expect((await attempt.confirm(controller.signal)).outcome).toBe('paid');
      expect(tg.telegram.payments().filter((p) => p.slug === o.orderId)).toHaveLength(1);
      attempt.dispose();
      expect(accountStars.heldBy(ACCOUNT)).toBe(0n);
    });
  });

  describe('the balance', () => {
    it('is the account\'s Stars as Telegram counts them', async () => {
      tg.telegram.setStars(USER_ID, 1234n);
      expect(await starsBalance(tg.conn)).toBe(1234n);
    });
  });
});

describe('the Stars payer steps of an account Telegram wants verified', () => {
  let tg: TelegramOnSim;

  beforeAll(async () => {
    tg = await telegramOnSim({ requireVerification: true });
  });
  afterAll(async () => {
    await tg?.close();
  });

  it('order no more Stars this run once a payment asked for verification', async () => {
    const controller = new AbortController();
    const store = new StoreDouble(tg);
    const accountStars = new AccountStars();
    const account: PaymentAccount = { name: ACCOUNT, wallet: undefined, store: store as unknown as StoreClient };
    const steps = new StarsSteps(account, async () => tg.conn, tg.config, pino({ level: 'silent' }), accountStars);
    const o = await steps.createOrder(TARGET, 1, { signal: controller.signal, onSent: () => undefined });
    const attempt = await steps.prepare(o);
    await attempt.send(controller.signal);
    expect(await attempt.confirm(controller.signal)).toMatchObject({ outcome: 'not-paid', final: true });
    attempt.dispose();
    const failure = await steps.createOrder(TARGET, 1, { signal: controller.signal, onSent: () => undefined }).then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(StarsPaymentsBlocked);
    expect((failure as Error).message).toMatch(/verify this Stars payment in a Telegram app/);
    expect(store.buys).toHaveLength(1);
  });
});
