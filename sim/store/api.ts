/** The buyer-facing API under `/api/v1`, shaped like the real store's (see shared/reference/stickerdom-api.md):
 *  shop settings, collections (404 before the drop), the TON price and TON orders (Stars orders: stars-buy.ts, login:
 *  login.ts). */
import { Address } from '@ton/core';
import { formatTon } from '../../core/money.js';
import type { TonFault } from './faults.js';
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
  /** The hostile twists this TON buy answer meets (none from an honest store). */
  readonly tonTwists?: () => ReadonlySet<TonFault>;
}

/** A wallet that is not the store's: where a hostile answer would send the money. */
const FOREIGN_WALLET = new Address(0, Buffer.alloc(32, 7)).toString({ bounceable: false });

/** The reads bots poll; they answer with an ETag and honour `If-None-Match`. */
export const CACHEABLE_READS: readonly string[] = ['/api/v1/collection/:id', '/api/v1/collections', '/api/v1/shop/price/crypto'];

/** The `/api/v1` routes. Authentication happens before them in the chain. */
export function apiRoutes({ catalog, orders, cryptoOrdersLimit, tonTwists }: ApiDeps): Route[] {
  const lastOrderOf = new Map<number, string>();
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
      // Only what the listing shows: a collection published but not yet listed is reachable by id alone.
      handle: () => ok(catalog.listed().map(collectionJson)),
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
        const twists = tonTwists?.() ?? new Set<TonFault>();
        const caller = callerOf(ctx);
        const made = twists.has('tonCountChanged') && count > 1 ? count - 1 : count;
        const order = orders.createTon(caller, collectionId, characterId, made);
        // A repeated id is one this caller was actually told before (what a bot may hold in its ledger).
        const previous = lastOrderOf.get(caller);
        const answeredId = twists.has('tonDuplicateOrderId') && previous !== undefined ? previous : order.id;
        if (!twists.has('tonHugeBody')) lastOrderOf.set(caller, answeredId);
        // The order itself stays as created: what a twist changes is only what the answer says about it.
        const nowSec = Math.floor(Date.now() / 1000);
        return ok({
          order_id: answeredId,
          total_amount: twists.has('tonOverprice') ? order.totalAmount * 2n : order.totalAmount,
          wallet: twists.has('tonWrongDestination') ? FOREIGN_WALLET : order.wallet,
          currency: order.currency,
          expires_at: twists.has('tonExpiredOrder') ? nowSec - 1 : twists.has('tonExpiringOrder') ? nowSec + 2 : order.expiresAt,
          ...(twists.has('tonCountChanged') ? { count: made } : {}),
          ...(twists.has('tonHugeBody') ? { padding: 'x'.repeat(2_000_000) } : {}),
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
