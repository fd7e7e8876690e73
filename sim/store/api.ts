/** The buyer-facing API under `/api/v1`, shaped like the real store's (see shared/reference/stickerdom-api.md):
 *  shop settings, collections (404 before the drop), the TON price and TON orders (Stars orders: stars-buy.ts, login:
 *  login.ts). */
import { formatTon } from '../../core/money.js';
import type { Catalog, CharacterView, CollectionView } from './catalog.js';
import { JsonDecimal } from './envelope.js';
import type { OrderBook } from './orders.js';
import { idParam, integerParam, textParam } from './params.js';
import { callerOf } from './middleware.js';
import { ok } from './pipeline.js';
import { StoreRefusal } from './refusal.js';
import type { Route } from './router.js';

export interface ApiDeps {
  readonly catalog: Catalog;
  readonly orders: OrderBook;
  /** Shop setting `crypto_orders_limit`. */
  readonly cryptoOrdersLimit: number;
  /** Whether this TON order's answer overstates its total (a hostile store). */
  readonly overpricesTon?: () => boolean;
}

/** The reads bots poll; they answer with an ETag and honour `If-None-Match`. */
export const CACHEABLE_READS: readonly string[] = ['/api/v1/collection/:id', '/api/v1/collections', '/api/v1/shop/price/crypto'];

/** The `/api/v1` routes. Authentication happens before them in the chain. */
export function apiRoutes({ catalog, orders, cryptoOrdersLimit, overpricesTon }: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/shop/settings',
      handle: () =>
        ok({
          is_crypto_payment_enabled: true,
          is_transfer_enabled: true,
          is_market_enabled: true,
          crypto_orders_limit: cryptoOrdersLimit,
        }),
    },
    {
      method: 'GET',
      path: '/api/v1/collections',
      handle: () => ok(catalog.published().map(collectionJson)),
    },
    {
      method: 'GET',
      path: '/api/v1/collection/:id',
      handle: (_ctx, params) => {
        const id = /^[1-9]\d{0,15}$/.test(params['id'] ?? '') ? Number(params['id']) : NaN;
        if (!Number.isSafeInteger(id)) throw new StoreRefusal('collection_not_found', 'not a collection id', { id: params['id'] });
        const collection = catalog.collection(id);
        return ok({ collection: collectionJson(collection), characters: collection.characters.map(characterJson) });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/shop/price/crypto',
      handle: (ctx) => {
        const character = catalog.character(idParam(ctx.request.query, 'collection'), idParam(ctx.request.query, 'character'));
        return ok([{ token_symbol: 'TON', price: new JsonDecimal(formatTon(character.priceTon)) }]);
      },
    },
    {
      method: 'POST',
      path: '/api/v1/shop/buy/crypto',
      handle: (ctx) => {
        const query = ctx.request.query;
        const collectionId = idParam(query, 'collection');
        const characterId = idParam(query, 'character');
        const currency = textParam(query, 'currency');
        if (currency !== 'TON') throw new StoreRefusal('invalid_params', 'only TON is sold for crypto', { currency });
        const count = integerParam(query, 'count');
        const order = orders.createTon(callerOf(ctx), collectionId, characterId, count);
        return ok({
          order_id: order.id,
          // The order itself keeps its real total: a bot paying the stated one overpays and the store records a mismatch.
          total_amount: overpricesTon?.() ? order.totalAmount * 2n : order.totalAmount,
          wallet: order.wallet,
          currency: order.currency,
          expires_at: order.expiresAt,
        });
      },
    },
  ];
}

function collectionJson(c: CollectionView): Record<string, unknown> {
  return { id: c.id, title: c.title, status: c.status };
}

function characterJson(ch: CharacterView): Record<string, unknown> {
  // `price` is whole stars per pack; bigint goes out as an exact JSON integer.
  return { id: ch.id, name: ch.name, left: ch.left, price: ch.priceStars, supply: ch.supply, rarity: ch.rarity };
}
