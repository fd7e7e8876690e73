import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { tlLong } from '../../../../sim/telegram/tl.js';
import { ALICE, BOB, BOT, TelegramFixture, inputBotPeer } from './telegram-fixture.js';
import { starsInvoice } from './memory-invoice-desk.js';

/** A fixture where Alice paid invoices s1..sN (amounts 10, 20, …) in order, a second apart. */
async function alicePaid(n: number) {
  const f = new TelegramFixture();
  const ctx = f.as(ALICE.userId);
  for (let i = 1; i <= n; i++) {
    const slug = `s${i}`;
    f.desk.add(starsInvoice(slug, ALICE.userId, BigInt(10 * i), { expiresAt: f.now + 60 * 60 * 1000 }));
    const invoice = new Api.InputInvoiceSlug({ slug });
    const form = (await f.call(new Api.payments.GetPaymentForm({ invoice }), ctx)) as Api.payments.PaymentFormStars;
    await f.call(new Api.payments.SendStarsForm({ formId: form.formId, invoice }), ctx);
    f.now += 1000;
  }
  return { f, ctx };
}

const transactions = (over: Partial<ConstructorParameters<typeof Api.payments.GetStarsTransactions>[0]> = {}) =>
  new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), offset: '', limit: 50, ...over });

describe('simulated Telegram Stars history and the bot chat', () => {
  it('lists the payments newest first as outgoing transactions to the bot', async () => {
    const { f, ctx } = await alicePaid(3);
    const status = await f.answer(Api.payments.StarsStatus, transactions(), ctx);
    expect((status.balance as Api.StarsAmount).amount.toString()).toBe(String(1000 - 60));
    const history = status.history!;
    expect(history.map((t) => (t.stars as Api.StarsAmount).amount.toString())).toEqual(['-30', '-20', '-10']);
    const [newest] = history;
    const payment = f.rpc.ledger.payments().at(-1)!;
    expect(newest!.id).toBe(payment.chargeId);
    // Telegram fills msg_id for paid media only: an invoice payment is found through the bot chat instead.
    expect(newest!.msgId).toBeUndefined();
    expect(newest!.title).toBe('Pack s3');
    expect(((newest!.peer as Api.StarsTransactionPeer).peer as Api.PeerUser).userId.toString()).toBe(String(BOT.userId));
    expect(status.nextOffset).toBeUndefined();
  });

  it('pages with next_offset until the history is exhausted', async () => {
    const { f, ctx } = await alicePaid(5);
    const first = await f.answer(Api.payments.StarsStatus, transactions({ limit: 2 }), ctx);
    const second = await f.answer(Api.payments.StarsStatus, transactions({ limit: 2, offset: first.nextOffset! }), ctx);
    const third = await f.answer(Api.payments.StarsStatus, transactions({ limit: 2, offset: second.nextOffset! }), ctx);
    const slugsOf = (s: Api.payments.StarsStatus) => s.history!.map((t) => t.title);
    expect([...slugsOf(first), ...slugsOf(second), ...slugsOf(third)]).toEqual(['Pack s5', 'Pack s4', 'Pack s3', 'Pack s2', 'Pack s1']);
    expect(third.nextOffset).toBeUndefined();
  });

  it('lists nothing inbound, and only the caller’s own payments', async () => {
    const { f } = await alicePaid(2);
    const inbound = await f.answer(Api.payments.StarsStatus, transactions({ inbound: true }), f.as(ALICE.userId));
    expect(inbound.history).toEqual([]);
    const bobs = await f.answer(Api.payments.StarsStatus, transactions(), f.as(BOB.userId));
    expect(bobs.history).toEqual([]);
  });

  it('refuses a bad offset or limit', async () => {
    const { f, ctx } = await alicePaid(1);
    await f.failure(transactions({ offset: 'x' }), ctx, 400, 'OFFSET_INVALID');
    await f.failure(transactions({ limit: 0 }), ctx, 400, 'LIMIT_INVALID');
  });

  it('finds the payment service message by id, and messageEmpty for an id that is not there', async () => {
    const { f, ctx } = await alicePaid(1);
    const payment = f.rpc.ledger.payments()[0]!;
    const found = await f.answer(
      Api.messages.Messages,
      new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: payment.msgId }), new Api.InputMessageID({ id: 99 })] }),
      ctx,
    );
    const [message, missing] = found.messages;
    expect(((message as Api.MessageService).action as Api.MessageActionPaymentSent).invoiceSlug).toBe('s1');
    expect(missing).toBeInstanceOf(Api.MessageEmpty);
    expect((found.users[0] as Api.User).bot).toBe(true);
    const bobs = await f.answer(Api.messages.Messages, new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: payment.msgId })] }), f.as(BOB.userId));
    expect(bobs.messages[0]).toBeInstanceOf(Api.MessageEmpty);
  });

  it('gives the bot chat history newest first, paged by offset_id', async () => {
    const { f, ctx } = await alicePaid(3);
    const history = (over: Partial<ConstructorParameters<typeof Api.messages.GetHistory>[0]> = {}) =>
      new Api.messages.GetHistory({ peer: inputBotPeer(f), offsetId: 0, offsetDate: 0, addOffset: 0, limit: 10, maxId: 0, minId: 0, hash: tlLong(0), ...over });
    const all = await f.answer(Api.messages.Messages, history(), ctx);
    const slugs = (m: { messages: Api.TypeMessage[] }) =>
      m.messages.map((x) => ((x as Api.MessageService).action as Api.MessageActionPaymentSent).invoiceSlug);
    expect(slugs(all)).toEqual(['s3', 's2', 's1']);
    const page = await f.answer(Api.messages.MessagesSlice, history({ offsetId: 3, limit: 1 }), ctx);
    expect(slugs(page)).toEqual(['s2']);
    expect(page.count).toBe(3);
    const selfChat = await f.answer(Api.messages.Messages, history({ peer: new Api.InputPeerSelf() }), ctx);
    expect(selfChat.messages).toEqual([]);
    await f.failure(history({ peer: new Api.InputPeerUser({ userId: tlLong(BOT.userId), accessHash: tlLong(3) }) }), ctx, 400, 'PEER_ID_INVALID');
  });

  it('moves the caller’s pts with each payment', async () => {
    const { f, ctx } = await alicePaid(2);
    const state = await f.answer(Api.updates.State, new Api.updates.GetState(), ctx);
    expect(state.pts).toBe(2);
    const bobs = await f.answer(Api.updates.State, new Api.updates.GetState(), f.as(BOB.userId));
    expect(bobs.pts).toBe(0);
  });
});
