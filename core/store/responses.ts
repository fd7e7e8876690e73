/** What the store's answers look like, as zod schemas, and the domain types they become. Every field the bot acts
 *  on is checked here; a shape that does not match is a StoreMalformed, never a guess. The collection, polled all
 *  through a drop, has its own tolerant reader (collection-answer.ts). Whole numbers may come as JSON numbers or
 *  digit text (store-numbers.ts). */
import { z } from 'zod';
import { AmountError, amountFromJson, unitsFromJson, type Nano } from '../money.js';
import { readStoreTime } from './store-time.js';
import { wholeNumber } from './store-numbers.js';

/** `{ok:true,data}` or `{ok:false,errorCode}`: callers check `ok` before `data`. */
export const envelopeSchema = z.union([
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), errorCode: z.string().min(1).max(200) }),
]);

export const shopSettingsSchema = z
  .object({
    is_crypto_payment_enabled: z.boolean().optional(),
    crypto_orders_limit: wholeNumber.pipe(z.number().max(1000)).optional(),
  })
  .loose()
  .transform((s) => ({
    cryptoPaymentEnabled: s.is_crypto_payment_enabled ?? true,
    cryptoOrdersLimit: s.crypto_orders_limit ?? 1,
  }));
export type ShopSettings = z.output<typeof shopSettingsSchema>;

export const tonPriceSchema = z
  .array(z.object({ token_symbol: z.string(), price: z.union([z.number(), z.string()]) }).loose())
  .max(100)
  .transform((rows, ctx) => {
    const i = rows.findIndex((r) => r.token_symbol.toUpperCase() === 'TON');
    if (i < 0) {
      ctx.addIssue({ code: 'custom', message: 'no TON entry in the price list' });
      return z.NEVER;
    }
    return readAmount(ctx, [i, 'price'], () => amountFromJson('TON', rows[i]!.price)) as Nano;
  });

/** A TON order as the store created it. `amount` is what must be sent, in nanotons; `expiresAt` is epoch ms (read as
 *  store-time.ts says) and always present (an order without a readable expiry cannot be checked, so it is refused,
 *  not paid blindly);
 *  `count` is present only when the store said how many packs the order is for (a store that changed the count it
 *  was asked for is then caught by the order check). */
export const tonOrderSchema = z
  .object({
    order_id: z.union([z.string().min(1).max(120), z.number().int().nonnegative()]),
    total_amount: z.union([z.number(), z.string()]),
    wallet: z.string().min(1).max(200),
    currency: z.string().max(20).optional(),
    // Read by store-time.ts: seconds, ms or µs by magnitude, or ISO 8601 with a zone.
    expires_at: z.union([z.number(), z.string().max(100)]),
    // As a number or digit text; a count that is neither is malformed, never ignored: it may be the one thing
    // telling us the order is not what we asked for.
    count: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,5}$/).transform(Number)]).optional(),
  })
  .loose()
  .transform((o, ctx) => {
    const orderId = String(o.order_id);
    // The order id becomes the transfer comment; control characters would make it a different comment.
    if (!/^[\x20-\x7e]+$/.test(orderId)) {
      ctx.addIssue({ code: 'custom', path: ['order_id'], message: 'order id has characters a text comment cannot carry' });
      return z.NEVER;
    }
    if (o.currency !== undefined && o.currency.toUpperCase() !== 'TON') {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: `currency ${o.currency} is not TON` });
      return z.NEVER;
    }
    const expiry = readStoreTime(o.expires_at);
    if (!expiry.ok) {
      ctx.addIssue({ code: 'custom', path: ['expires_at'], message: `expires_at ${expiry.why}` });
      return z.NEVER;
    }
    const expiresAt = expiry.ms;
    return {
      orderId,
      amount: readAmount(ctx, ['total_amount'], () => unitsFromJson('TON', o.total_amount)) as Nano,
      destination: o.wallet,
      expiresAt,
      ...(o.count === undefined ? {} : { count: o.count }),
    };
  });
export type TonOrder = z.output<typeof tonOrderSchema>;

/** Reads an amount inside a transform: zod lets a thrown error escape `safeParse`, so a refused amount becomes an
 *  issue at `path` (and the answer a StoreMalformed) instead of an AmountError out of the client. */
function readAmount(ctx: z.core.$RefinementCtx, path: PropertyKey[], read: () => bigint): bigint {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof AmountError)) throw e;
    ctx.addIssue({ code: 'custom', path, message: e.message });
    return z.NEVER;
  }
}

/** The answer to `POST /api/v1/auth`: the JWT. Its shape is checked so a hostile answer cannot make us send garbage
 *  (or a header injection) as a bearer token. */
export const authTokenSchema = z
  .string()
  .max(8_192)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, { error: 'not a JWT' });

/** The answer to `POST /api/v1/shop/buy`: an invoice link. The field is `url`; some bots saw `invoice_url` or
 *  `payment_url`, read in that order. Only the link is taken: its slug is the Telegram plugin's business. */
export const starsInvoiceSchema = z
  .object({
    url: z.string().max(2_048).optional(),
    invoice_url: z.string().max(2_048).optional(),
    payment_url: z.string().max(2_048).optional(),
  })
  .loose()
  .transform((o, ctx) => {
    const link = [o.url, o.invoice_url, o.payment_url].find((l) => l !== undefined && l.length > 0);
    if (link === undefined || link.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'no invoice link (url, invoice_url or payment_url)' });
      return z.NEVER;
    }
    return { invoiceLink: link };
  });
export type StarsInvoiceAnswer = z.output<typeof starsInvoiceSchema>;
