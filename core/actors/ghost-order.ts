/** A create-order request whose answer may hide an order (a timeout or reset after it left, a garbled body, a status
 *  with no envelope): the store may have created an order the bot never saw. Creating another at once can fill the
 *  account's unpaid-order limit (seen at 1 for TON on the real store: `shop/settings.crypto_orders_limit`) and lock
 *  its buying for the whole drop, with the ghost unpaid. So the request is recorded in the ledger as `maybe-created`
 *  (ghost-orders.ts), and when the method's limit is known and the ghosts fill it, this account's payer for the
 *  method stops with a reason that says until when, while the other accounts and methods go on. The store publishes
 *  no listing of a user's orders (../shared/reference/stickerdom-api.md), so nothing can prove a ghost absent. */
import { AutomintError, isAutomintError } from '../errors.js';
import { StoreHttpError, StoreMalformed, StoreTransportError } from '../store/store-error.js';
import type { PayerInput } from './payer-steps.js';

/** How long a ghost is taken to hold its slot when no order of the account and method shows the store's order life. */
export const GHOST_DEFAULT_LIFE_MS = 15 * 60_000;
/** A learned order life is kept within these bounds (a store answer is not trusted to say a day, or a second). */
const GHOST_LIFE_BOUNDS_MS = [60_000, 60 * 60_000] as const;

/** A status with no readable envelope that still may hide an order: 418 is no refusal a store means. Every other 4xx
 *  is the store refusing the request (HTTP's "client error": not processed); a 3xx or a 2xx without a readable body
 *  (StoreMalformed) may have followed an order being made. */
const AMBIGUOUS_4XX = new Set([418]);

/** True when a failed create-order request may have created an order at the store: the request left and no
 *  readable answer says it did not. A refusal in the store's envelope, a 4xx (418 aside) or a 5xx did not (a 5xx
 *  answered is the store saying it is too busy to act: store-busy.ts). */
export function mayHaveCreatedOrder(e: unknown): boolean {
  if (e instanceof StoreTransportError) return e.maybeApplied;
  if (e instanceof StoreMalformed) return true;
  if (e instanceof StoreHttpError) return e.status < 400 || AMBIGUOUS_4XX.has(e.status);
  return false;
}

/** The account's unpaid-order slots for a method are (or may be) all held by orders it never saw: no order is asked for
 *  until they expire. Permanent for this payer: no retry within the drop can help. */
export class GhostOrderHeld extends AutomintError {
  constructor(facts: { account: string; method: string; limit: number; holding: number; heldUntil: number; cause: string }) {
    super('GHOST_ORDER_HELD',
      `account ${facts.account} may already hold ${facts.holding} unpaid ${facts.method} order(s) the store created without a readable answer `
      + `(${facts.cause}), `
      + `and the store allows ${facts.limit}: ${facts.method} buying for this account stops until that order expires (about `
      + `${new Date(facts.heldUntil).toISOString()}), the other accounts and methods going on`,
      { ...facts, permanent: true });
  }
}

/** How long an order of this account and method lives at the store, learned from its latest order in the ledger. */
async function orderLifeMs(input: PayerInput): Promise<number> {
  const orders = await input.ledger.orders.list({ method: input.method });
  const latest = orders.filter((o) => o.account === input.account && o.expiresAt > o.createdAt).at(-1);
  if (latest === undefined) return GHOST_DEFAULT_LIFE_MS;
  return Math.min(GHOST_LIFE_BOUNDS_MS[1], Math.max(GHOST_LIFE_BOUNDS_MS[0], latest.expiresAt - latest.createdAt));
}

/** Records the ghost of a failed create-order request that left at `requestedAt`; throws GhostOrderHeld when the
 *  method's unpaid limit is known and the ghosts fill it, else returns (the caller retries as for any failure). */
export async function noteGhostOrder(input: PayerInput, count: number, requestedAt: number, e: unknown): Promise<void> {
  const heldUntil = requestedAt + (await orderLifeMs(input));
  const reason = isAutomintError(e) ? `${e.code}: ${e.message}` : String(e);
  await input.ledger.ghosts.record({
    purchaseId: input.purchaseId, method: input.method, account: input.account, collection: input.target.collection,
    character: input.target.character, count, currency: input.currency, requestedAt, heldUntil, reason,
  });
  input.log.warn({ count, heldUntil: new Date(heldUntil).toISOString(), cause: reason }, 'order may have been created without a readable answer (ghost order)');
  const held = await ghostsHolding(input);
  if (held !== null) throw held;
}

/** GhostOrderHeld when the account's ghost orders of this method fill the store's unpaid limit (known from its
 *  settings), else null. Asks the settings only when some ghost is still holding. */
export async function ghostsHolding(input: PayerInput): Promise<GhostOrderHeld | null> {
  if (input.unpaidLimit === undefined) return null;
  const { count, until, reason } = await input.ledger.ghosts.holding(input.account, input.method, Date.now());
  if (count === 0) return null;
  const limit = await input.unpaidLimit().catch(() => null);
  if (limit === null || count < limit) return null;
  return new GhostOrderHeld({ account: input.account, method: input.method, limit, holding: count, heldUntil: until, cause: reason });
}
