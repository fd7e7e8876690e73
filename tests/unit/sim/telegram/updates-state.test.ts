import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import type { RpcContext } from '../../../../sim/telegram/rpc.js';
import { MAX_DIFFERENCE_MESSAGES } from '../../../../sim/telegram/updates-state.js';
import { ALICE, BOB, TelegramFixture } from './telegram-fixture.js';
import { starsInvoice } from './memory-invoice-desk.js';

/** Alice pays invoice `slug` (10 stars); returns the pts the payment's UpdateNewMessage carries. */
async function pay(f: TelegramFixture, ctx: RpcContext, slug: string): Promise<number> {
  f.desk.add(starsInvoice(slug, ALICE.userId, 10n, { expiresAt: f.now + 60 * 60 * 1000 }));
  const invoice = new Api.InputInvoiceSlug({ slug });
  const form = (await f.call(new Api.payments.GetPaymentForm({ invoice }), ctx)) as Api.payments.PaymentFormStars;
  const result = await f.answer(Api.payments.PaymentResult, new Api.payments.SendStarsForm({ formId: form.formId, invoice }), ctx);
  const updates = result.updates as Api.Updates;
  const newMessage = updates.updates.find((u): u is Api.UpdateNewMessage => u instanceof Api.UpdateNewMessage);
  if (!newMessage) throw new Error('the payment result carries no UpdateNewMessage');
  f.now += 1000;
  return newMessage.pts;
}

const getState = (f: TelegramFixture, ctx: RpcContext) => f.answer(Api.updates.State, new Api.updates.GetState(), ctx);
const getDifference = (over: Partial<ConstructorParameters<typeof Api.updates.GetDifference>[0]> & { pts: number }) =>
  new Api.updates.GetDifference({ date: 0, qts: 0, ...over });
const slugsOf = (messages: readonly Api.TypeMessage[]) =>
  messages.map((m) => ((m as Api.MessageService).action as Api.MessageActionPaymentSent).invoiceSlug);

describe('simulated Telegram update state', () => {
  it('answers a client at the current state with differenceEmpty (now, seq 0)', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    const state = await getState(f, ctx);
    expect(state).toMatchObject({ pts: 0, qts: 0, seq: 0, unreadCount: 0, date: Math.floor(f.now / 1000) });
    const empty = await f.answer(Api.updates.DifferenceEmpty, getDifference({ pts: state.pts, date: state.date }), ctx);
    expect(empty).toMatchObject({ date: Math.floor(f.now / 1000), seq: 0 });
  });

  it('advances the state with the pts a payment pushes, and gives the payment’s message to a client at the older pts', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    const before = await getState(f, ctx);
    const pushed = await pay(f, ctx, 'p1');
    const after = await getState(f, ctx);
    expect(pushed).toBe(before.pts + 1);
    expect(after.pts).toBe(pushed);

    const diff = await f.answer(Api.updates.Difference, getDifference({ pts: before.pts, date: before.date }), ctx);
    expect(slugsOf(diff.newMessages)).toEqual(['p1']);
    expect(diff.newMessages[0]).toBe(f.rpc.chats.message(ALICE.userId, 1));
    expect(diff.otherUpdates).toEqual([]);
    expect(diff.users.map((u) => u.id.toString())).toContain(f.rpc.accounts.bot.id.toString());
    expect(diff.state).toMatchObject({ pts: after.pts, qts: after.qts, seq: after.seq, unreadCount: 0 });
    // The answer is a real TL object GramJS reads back.
    expect(new BinaryReader(diff.getBytes()).tgReadObject()).toBeInstanceOf(Api.updates.Difference);

    await f.answer(Api.updates.DifferenceEmpty, getDifference({ pts: after.pts, date: after.date }), ctx);
  });

  it('keeps each user’s state apart', async () => {
    const f = new TelegramFixture();
    const alice = f.as(ALICE.userId);
    await pay(f, alice, 'p1');
    const bob = f.as(BOB.userId);
    expect((await getState(f, bob)).pts).toBe(0);
    await f.answer(Api.updates.DifferenceEmpty, getDifference({ pts: 0 }), bob);
  });

  it('slices a difference longer than pts_limit, the intermediate state continuing where the slice ends', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    for (const slug of ['p1', 'p2', 'p3']) await pay(f, ctx, slug);
    const slice = await f.answer(Api.updates.DifferenceSlice, getDifference({ pts: 0, ptsLimit: 2 }), ctx);
    expect(slugsOf(slice.newMessages)).toEqual(['p1', 'p2']);
    expect(slice.intermediateState).toMatchObject({ pts: 2, seq: 0 });
    const rest = await f.answer(Api.updates.Difference, getDifference({ pts: slice.intermediateState.pts }), ctx);
    expect(slugsOf(rest.newMessages)).toEqual(['p3']);
    expect(rest.state.pts).toBe((await getState(f, ctx)).pts);
  });

  it('never puts more than its slice size in one difference', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    for (let i = 0; i <= MAX_DIFFERENCE_MESSAGES; i++) f.rpc.chats.postPaymentSent(ALICE.userId, { currency: 'XTR', totalAmount: 1n, slug: `m${i}`, at: f.now });
    const slice = await f.answer(Api.updates.DifferenceSlice, getDifference({ pts: 0 }), ctx);
    expect(slice.newMessages).toHaveLength(MAX_DIFFERENCE_MESSAGES);
    expect(slice.intermediateState.pts).toBe(MAX_DIFFERENCE_MESSAGES);
  });

  it('answers differenceTooLong with the current pts when the gap exceeds pts_total_limit', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    for (const slug of ['p1', 'p2', 'p3']) await pay(f, ctx, slug);
    const tooLong = await f.answer(Api.updates.DifferenceTooLong, getDifference({ pts: 0, ptsTotalLimit: 2 }), ctx);
    expect(tooLong.pts).toBe(3);
    await f.answer(Api.updates.Difference, getDifference({ pts: 0, ptsTotalLimit: 3 }), ctx);
  });

  it('refuses a pts the account never reached, and a caller who is not logged in', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    await pay(f, ctx, 'p1');
    await f.failure(getDifference({ pts: 2 }), ctx, 400, 'PERSISTENT_TIMESTAMP_INVALID');
    await f.failure(getDifference({ pts: -1 }), ctx, 400, 'PERSISTENT_TIMESTAMP_INVALID');
    await f.failure(getDifference({ pts: 0 }), f.anonymous(), 401, 'AUTH_KEY_UNREGISTERED');
  });
});
