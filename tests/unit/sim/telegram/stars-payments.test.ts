import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { tlLong } from '../../../../sim/telegram/tl.js';
import { ALICE, BOB, BOT, CAROL, TelegramFixture } from './telegram-fixture.js';
import { starsInvoice } from './memory-invoice-desk.js';

const slugInvoice = (slug: string) => new Api.InputInvoiceSlug({ slug });
const getForm = (slug: string) => new Api.payments.GetPaymentForm({ invoice: slugInvoice(slug) });
const sendForm = (formId: Api.long | bigint, slug: string) =>
  new Api.payments.SendStarsForm({ formId: typeof formId === 'bigint' ? tlLong(formId) : formId, invoice: slugInvoice(slug) });
const selfStatus = () => new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() });

/** A fixture with one invoice `slug` for `userId` at `amount`. */
function withInvoice(slug: string, userId: number, amount: bigint, over: Parameters<typeof starsInvoice>[3] = {}) {
  const f = new TelegramFixture();
  f.desk.add(starsInvoice(slug, userId, amount, { expiresAt: f.now + 15 * 60 * 1000, ...over }));
  return f;
}

describe('simulated Telegram Stars payments', () => {
  it('tells the caller their own Stars balance', async () => {
    const f = new TelegramFixture();
    const status = await f.answer(Api.payments.StarsStatus, selfStatus(), f.as(ALICE.userId));
    expect(status.balance).toBeInstanceOf(Api.StarsAmount);
    expect((status.balance as Api.StarsAmount).amount.toString()).toBe('1000');
    expect((status.balance as Api.StarsAmount).nanos).toBe(0);
    await f.failure(
      new Api.payments.GetStarsStatus({ peer: new Api.InputPeerUser({ userId: tlLong(BOB.userId), accessHash: tlLong(1) }) }),
      f.as(ALICE.userId),
      400,
      'PEER_ID_INVALID',
    );
  });

  it('shows the store invoice as a Stars form from the bot', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), f.as(ALICE.userId));
    expect(form.botId.toString()).toBe(String(BOT.userId));
    expect(form.title).toBe('Pack AbC123');
    expect(form.invoice.currency).toBe('XTR');
    expect(form.invoice.prices.map((p) => p.amount.toString())).toEqual(['250']);
    expect((form.users[0] as Api.User).bot).toBe(true);
  });

  it('issues a fresh form id on every request', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    const ctx = f.as(ALICE.userId);
    const a = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), ctx);
    const b = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), ctx);
    expect(a.formId.toString()).not.toBe(b.formId.toString());
  });

  it('refuses an unknown slug, an expired invoice and another bot’s invoice', async () => {
    const f = withInvoice('late', ALICE.userId, 10n);
    f.desk.add(starsInvoice('foreign', ALICE.userId, 10n, { botUsername: 'other_bot', expiresAt: f.now + 60_000 }));
    const ctx = f.as(ALICE.userId);
    await f.failure(getForm('nope'), ctx, 400, 'SLUG_INVALID');
    await f.failure(getForm('foreign'), ctx, 400, 'BOT_INVOICE_INVALID');
    f.now += 15 * 60 * 1000;
    await f.failure(getForm('late'), ctx, 400, 'BOT_INVOICE_INVALID');
  });

  it('serves an invoice issued to another buyer', async () => {
    const f = withInvoice('forBob', BOB.userId, 10n);
    await f.answer(Api.payments.PaymentFormStars, getForm('forBob'), f.as(ALICE.userId));
  });

  it('pays a form: the store confirms, the stars are taken, the payment is recorded and announced', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), ctx);
    const result = await f.answer(Api.payments.PaymentResult, sendForm(form.formId, 'AbC123'), ctx);

    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(750n);
    expect(f.desk.calls).toEqual([expect.objectContaining({ slug: 'AbC123', payerUserId: ALICE.userId, verdict: 'paid' })]);
    const [payment] = f.rpc.ledger.payments();
    expect(payment).toEqual({
      slug: 'AbC123',
      formId: form.formId.toString(),
      userId: ALICE.userId,
      amount: 250n,
      chargeId: f.desk.calls[0]!.chargeId,
      msgId: 1,
      at: f.now,
    });

    const updates = result.updates as Api.Updates;
    expect(updates).toBeInstanceOf(Api.Updates);
    const [newMessage, balance] = updates.updates;
    expect(newMessage).toBeInstanceOf(Api.UpdateNewMessage);
    const message = (newMessage as Api.UpdateNewMessage).message as Api.MessageService;
    expect(message).toBeInstanceOf(Api.MessageService);
    expect(message.id).toBe(1);
    expect(message.out).toBe(true);
    expect((message.peerId as Api.PeerUser).userId.toString()).toBe(String(BOT.userId));
    const action = message.action as Api.MessageActionPaymentSent;
    expect(action).toBeInstanceOf(Api.MessageActionPaymentSent);
    expect(action).toMatchObject({ currency: 'XTR', invoiceSlug: 'AbC123' });
    expect(action.totalAmount.toString()).toBe('250');
    expect(balance).toBeInstanceOf(Api.UpdateStarsBalance);
    expect(((balance as Api.UpdateStarsBalance).balance as Api.StarsAmount).amount.toString()).toBe('750');
  });

  it('answers FORM_ID_EXPIRED to a form sent twice and takes the stars once', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), ctx);
    await f.answer(Api.payments.PaymentResult, sendForm(form.formId, 'AbC123'), ctx);
    await f.failure(sendForm(form.formId, 'AbC123'), ctx, 400, 'FORM_ID_EXPIRED');
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(750n);
    expect(f.rpc.ledger.payments()).toHaveLength(1);
  });

  it('pays a form sent twice at once only once', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), ctx);
    const outcomes = await Promise.allSettled([f.call(sendForm(form.formId, 'AbC123'), ctx), f.call(sendForm(form.formId, 'AbC123'), ctx)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(750n);
  });

  it('answers FORM_ID_EXPIRED to a made-up form, another user’s form, another slug’s form and an old form', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    f.desk.add(starsInvoice('Other', ALICE.userId, 5n, { expiresAt: f.now + 60 * 60 * 1000 }));
    const alice = f.as(ALICE.userId);
    await f.failure(sendForm(12345n, 'AbC123'), alice, 400, 'FORM_ID_EXPIRED');
    const bobs = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), f.as(BOB.userId));
    await f.failure(sendForm(bobs.formId, 'AbC123'), alice, 400, 'FORM_ID_EXPIRED');
    const other = await f.answer(Api.payments.PaymentFormStars, getForm('Other'), alice);
    await f.failure(sendForm(other.formId, 'AbC123'), alice, 400, 'FORM_ID_EXPIRED');
    const old = await f.answer(Api.payments.PaymentFormStars, getForm('AbC123'), alice);
    f.now += 10 * 60 * 1000;
    await f.failure(sendForm(old.formId, 'AbC123'), alice, 400, 'FORM_ID_EXPIRED');
    expect(f.desk.calls).toEqual([]);
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(1000n);
  });

  it('refuses an invoice in another currency', async () => {
    const f = withInvoice('Usd', ALICE.userId, 250n, { currency: 'USD' });
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('Usd'), ctx);
    expect(form.invoice.currency).toBe('USD');
    await f.failure(sendForm(form.formId, 'Usd'), ctx, 400, 'CURRENCY_INVALID');
    expect(f.desk.calls).toEqual([]);
  });

  it('answers BALANCE_TOO_LOW and takes nothing when the balance is short', async () => {
    const f = withInvoice('Big', ALICE.userId, 1001n);
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('Big'), ctx);
    await f.failure(sendForm(form.formId, 'Big'), ctx, 400, 'BALANCE_TOO_LOW');
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(1000n);
    expect(f.desk.calls).toEqual([]);
    f.rpc.ledger.set(ALICE.userId, 1001n);
    await f.answer(Api.payments.PaymentResult, sendForm(form.formId, 'Big'), ctx);
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(0n);
  });

  it('asks a user who needs verification to verify, and takes nothing', async () => {
    const f = withInvoice('Ver', CAROL.userId, 100n);
    const ctx = f.as(CAROL.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('Ver'), ctx);
    const result = await f.answer(Api.payments.PaymentVerificationNeeded, sendForm(form.formId, 'Ver'), ctx);
    expect(result.url).toMatch(/^https:\/\//);
    expect(f.rpc.ledger.balance(CAROL.userId)).toBe(900n);
    expect(f.desk.calls).toEqual([]);
    expect(f.rpc.ledger.payments()).toEqual([]);
  });

  it('takes nothing when the store says the invoice is already paid or expired', async () => {
    const f = withInvoice('Dup', ALICE.userId, 100n);
    const ctx = f.as(ALICE.userId);
    f.desk.nextVerdict = 'already-paid';
    const first = await f.answer(Api.payments.PaymentFormStars, getForm('Dup'), ctx);
    await f.failure(sendForm(first.formId, 'Dup'), ctx, 400, 'FORM_ID_EXPIRED');
    f.desk.nextVerdict = 'expired';
    const second = await f.answer(Api.payments.PaymentFormStars, getForm('Dup'), ctx);
    await f.failure(sendForm(second.formId, 'Dup'), ctx, 400, 'BOT_INVOICE_INVALID');
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(1000n);
    expect(f.rpc.ledger.payments()).toEqual([]);
  });

  it('refuses to pay an invoice that expired after its form was shown', async () => {
    const f = withInvoice('Soon', ALICE.userId, 100n);
    f.desk.add(starsInvoice('Soon', ALICE.userId, 100n, { expiresAt: f.now + 1000 }));
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('Soon'), ctx);
    f.now += 1000;
    await f.failure(sendForm(form.formId, 'Soon'), ctx, 400, 'BOT_INVOICE_INVALID');
    expect(f.desk.calls).toEqual([]);
  });

  it('refuses a form whose invoice price changed since it was shown', async () => {
    const f = withInvoice('Moving', ALICE.userId, 100n);
    const ctx = f.as(ALICE.userId);
    const form = await f.answer(Api.payments.PaymentFormStars, getForm('Moving'), ctx);
    f.desk.add(starsInvoice('Moving', ALICE.userId, 120n, { expiresAt: f.now + 60_000 }));
    await f.failure(sendForm(form.formId, 'Moving'), ctx, 406, 'STARS_FORM_AMOUNT_MISMATCH');
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(1000n);
  });

  it('keeps two users paying at once apart', async () => {
    const f = withInvoice('A1', ALICE.userId, 300n);
    f.desk.add(starsInvoice('B1', BOB.userId, 200n, { expiresAt: f.now + 60_000 }));
    const alice = f.as(ALICE.userId);
    const bob = f.as(BOB.userId);
    const [fa, fb] = await Promise.all([
      f.answer(Api.payments.PaymentFormStars, getForm('A1'), alice),
      f.answer(Api.payments.PaymentFormStars, getForm('B1'), bob),
    ]);
    await Promise.all([f.call(sendForm(fa.formId, 'A1'), alice), f.call(sendForm(fb.formId, 'B1'), bob)]);
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(700n);
    expect(f.rpc.ledger.balance(BOB.userId)).toBe(300n);
    expect(f.rpc.chats.messages(ALICE.userId).map((m) => m.id)).toEqual([1]);
    expect(f.rpc.chats.messages(BOB.userId).map((m) => m.id)).toEqual([1]);
    expect(f.rpc.ledger.payments().map((p) => [p.userId, p.slug])).toEqual([
      [ALICE.userId, 'A1'],
      [BOB.userId, 'B1'],
    ]);
  });

  it('needs a logged-in user for every Stars method', async () => {
    const f = withInvoice('AbC123', ALICE.userId, 250n);
    const anon = f.anonymous();
    await f.failure(selfStatus(), anon, 401, 'AUTH_KEY_UNREGISTERED');
    await f.failure(getForm('AbC123'), anon, 401, 'AUTH_KEY_UNREGISTERED');
    await f.failure(sendForm(1n, 'AbC123'), anon, 401, 'AUTH_KEY_UNREGISTERED');
  });
});
