import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mayHaveCreatedOrder } from '../../../../core/actors/ghost-order.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { StoreHttpError, StoreMalformed, StoreProxyFailed, StoreRejected, StoreTransportError } from '../../../../core/store/store-error.js';

const facts = { op: 'buyTon' as const, url: 'http://store/api/v1/shop/buy/crypto' };

describe('whether a failed create-order request may have created an order', () => {
  it('says yes when the request left and no readable answer says otherwise', () => {
    expect(mayHaveCreatedOrder(new StoreTransportError('timeout', true, facts))).toBe(true);
    expect(mayHaveCreatedOrder(new StoreTransportError('connection', true, facts))).toBe(true);
    expect(mayHaveCreatedOrder(new StoreMalformed('body is not JSON', { ...facts, status: 200 }))).toBe(true);
    expect(mayHaveCreatedOrder(new StoreHttpError(418, facts))).toBe(true);
    expect(mayHaveCreatedOrder(new StoreHttpError(302, facts))).toBe(true);
  });

  it('says no for a refusal, a rate limit, a refused token, a busy store or a proxy that let nothing through', () => {
    expect(mayHaveCreatedOrder(new StoreRejected('sold_out', 400, facts))).toBe(false);
    expect(mayHaveCreatedOrder(new StoreHttpError(429, facts))).toBe(false);
    expect(mayHaveCreatedOrder(new StoreHttpError(401, facts))).toBe(false);
    expect(mayHaveCreatedOrder(new StoreHttpError(503, facts))).toBe(false);
    expect(mayHaveCreatedOrder(new StoreHttpError(409, facts))).toBe(false);
    expect(mayHaveCreatedOrder(new StoreTransportError('aborted', false, facts))).toBe(false);
    expect(mayHaveCreatedOrder(new StoreProxyFailed('refused', { ...facts, account: 'alice', proxy: 'socks5://h:1' }))).toBe(false);
  });
});

describe('ghost orders in the ledger', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await openLedger(':memory:');
  });
  afterEach(async () => {
    await ledger.close();
  });

  const ghost = { purchaseId: 'p', method: 'ton', account: 'alice', collection: 1, character: 1, count: 5, currency: 'TON' as const, reason: 'STORE_TIMEOUT: x' };

  it('counts the ghosts that still hold an account and method slot, and until when', async () => {
    await ledger.ghosts.record({ ...ghost, requestedAt: 1_000, heldUntil: 5_000 });
    await ledger.ghosts.record({ ...ghost, requestedAt: 2_000, heldUntil: 9_000 });
    await ledger.ghosts.record({ ...ghost, account: 'bob', requestedAt: 2_000, heldUntil: 9_000 });
    expect(await ledger.ghosts.holding('alice', 'ton', 4_000)).toMatchObject({ count: 2, until: 9_000, reason: 'STORE_TIMEOUT: x' });
    expect(await ledger.ghosts.holding('alice', 'ton', 6_000)).toMatchObject({ count: 1, until: 9_000 });
    expect(await ledger.ghosts.holding('alice', 'ton', 9_000)).toEqual({ count: 0, until: 0, reason: '' });
    expect(await ledger.ghosts.holding('alice', 'stars', 0)).toEqual({ count: 0, until: 0, reason: '' });
    expect((await ledger.ghosts.list()).map((g) => g.state)).toEqual(['maybe-created', 'maybe-created', 'maybe-created']);
  });
});
