import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { hasCode } from '../../../../core/errors.js';
import { PURCHASE } from './ledger-fixtures.js';

let ledger: Ledger;
let clock = 1_700_000_000_000;
beforeEach(async () => {
  ledger = await openLedger(':memory:', { now: () => clock });
});
afterEach(() => ledger.close());

describe('purchases', () => {
  it('creates a purchase in state idle and returns the same row when ensured again', async () => {
    const first = await ledger.purchases.ensure(PURCHASE);
    expect(first).toMatchObject({ ...PURCHASE, state: 'idle', reason: null, createdAt: clock, updatedAt: clock });
    clock += 1000;
    const second = await ledger.purchases.ensure(PURCHASE);
    expect(second).toEqual(first);
    expect(await ledger.purchases.list()).toHaveLength(1);
  });

  it('takes over a changed packsWanted without touching the state', async () => {
    await ledger.purchases.ensure(PURCHASE);
    await ledger.purchases.setState(PURCHASE.id, 'arming');
    clock += 1000;
    const row = await ledger.purchases.ensure({ ...PURCHASE, packsWanted: 25 });
    expect(row).toMatchObject({ packsWanted: 25, state: 'arming', updatedAt: clock });
  });

  it('refuses a second purchase for the same target and account under another id', async () => {
    await ledger.purchases.ensure(PURCHASE);
    const error = await ledger.purchases.ensure({ ...PURCHASE, id: 'other' }).catch((e: unknown) => e);
    expect(hasCode(error, 'PURCHASE_MISMATCH')).toBe(true);
  });

  it('refuses to reuse a purchase id for another target', async () => {
    await ledger.purchases.ensure(PURCHASE);
    const error = await ledger.purchases.ensure({ ...PURCHASE, character: 3 }).catch((e: unknown) => e);
    expect(hasCode(error, 'PURCHASE_MISMATCH')).toBe(true);
  });

  it('walks the lifecycle forward and records the reason', async () => {
    await ledger.purchases.ensure(PURCHASE);
    for (const state of ['arming', 'armed', 'buying'] as const) await ledger.purchases.setState(PURCHASE.id, state);
    const done = await ledger.purchases.setState(PURCHASE.id, 'done', 'target reached');
    expect(done).toMatchObject({ state: 'done', reason: 'target reached' });
  });

  it('re-arms a purchase that was buying when the run stopped', async () => {
    await ledger.purchases.ensure(PURCHASE);
    for (const state of ['arming', 'armed', 'buying'] as const) await ledger.purchases.setState(PURCHASE.id, state);
    await expect(ledger.purchases.setState(PURCHASE.id, 'arming')).resolves.toMatchObject({ state: 'arming' });
  });

  it('re-arms a finished purchase for a new run but never jumps from done back to buying', async () => {
    await ledger.purchases.ensure(PURCHASE);
    await ledger.purchases.setState(PURCHASE.id, 'arming');
    await ledger.purchases.setState(PURCHASE.id, 'done', 'stopped');
    const error = await ledger.purchases.setState(PURCHASE.id, 'buying').catch((e: unknown) => e);
    expect(hasCode(error, 'ILLEGAL_TRANSITION')).toBe(true);
    expect((await ledger.purchases.get(PURCHASE.id))?.state).toBe('done');
    await expect(ledger.purchases.setState(PURCHASE.id, 'arming')).resolves.toMatchObject({ state: 'arming', reason: null });
  });

  it('refuses to skip arming: an idle purchase cannot start buying', async () => {
    await ledger.purchases.ensure(PURCHASE);
    const error = await ledger.purchases.setState(PURCHASE.id, 'buying').catch((e: unknown) => e);
    expect(hasCode(error, 'ILLEGAL_TRANSITION')).toBe(true);
  });

  it('treats setting the current state again as a no-op', async () => {
    await ledger.purchases.ensure(PURCHASE);
    const armed = await ledger.purchases.setState(PURCHASE.id, 'arming', 'prewarm');
    clock += 1000;
    expect(await ledger.purchases.setState(PURCHASE.id, 'arming')).toEqual(armed);
  });

  it('reports a missing purchase as NOT_FOUND on setState and undefined on get', async () => {
    expect(await ledger.purchases.get('nope')).toBeUndefined();
    const error = await ledger.purchases.setState('nope', 'arming').catch((e: unknown) => e);
    expect(hasCode(error, 'NOT_FOUND')).toBe(true);
  });

  it('refuses a negative or fractional packsWanted', async () => {
    for (const packsWanted of [-1, 1.5]) {
      const error = await ledger.purchases.ensure({ ...PURCHASE, packsWanted }).catch((e: unknown) => e);
      expect(hasCode(error, 'INVALID_INPUT')).toBe(true);
    }
  });
});
