import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { SimTelegramError } from '../../../../sim/telegram/errors.js';
import { tlLong } from '../../../../sim/telegram/tl.js';
import { ALICE, TelegramFixture } from './telegram-fixture.js';
import { starsInvoice } from './memory-invoice-desk.js';

const status = () => new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() });

describe('simulated Telegram injected faults', () => {
  it('fails the next calls of a method with FLOOD_WAIT, then answers again', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    f.rpc.faults.floodWait('payments.GetStarsStatus', 3, 2);
    await f.failure(status(), ctx, 420, 'FLOOD_WAIT_3');
    await f.failure(status(), ctx, 420, 'FLOOD_WAIT_3');
    await f.answer(Api.payments.StarsStatus, status(), ctx);
    expect(f.rpc.faults.counts()).toEqual({ floodWaits: 2, disconnects: 0 });
  });

  it('counts every request per method, faulted ones included', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    f.rpc.faults.floodWait('payments.GetStarsStatus', 1);
    await f.call(status(), ctx).catch(() => undefined);
    await f.call(status(), ctx);
    await f.call(new Api.help.GetConfig(), ctx);
    expect(f.rpc.requests()).toEqual({ 'payments.GetStarsStatus': 2, 'help.GetConfig': 1 });
  });

  it('hangs up before the work: nothing is paid', async () => {
    const f = new TelegramFixture();
    f.desk.add(starsInvoice('S', ALICE.userId, 100n, { expiresAt: f.now + 60_000 }));
    const ctx = f.as(ALICE.userId);
    const invoice = new Api.InputInvoiceSlug({ slug: 'S' });
    const form = await f.answer(Api.payments.PaymentFormStars, new Api.payments.GetPaymentForm({ invoice }), ctx);
    f.rpc.faults.disconnect('payments.SendStarsForm');
    await expect(f.call(new Api.payments.SendStarsForm({ formId: form.formId, invoice }), ctx)).rejects.toThrow('connection closed');
    expect(f.hangUps).toEqual([ctx]);
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(1000n);
    // The form was never used: sending it again pays.
    await f.answer(Api.payments.PaymentResult, new Api.payments.SendStarsForm({ formId: form.formId, invoice }), ctx);
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(900n);
  });

  it('hangs up after the work: the payment is taken, the answer lost, and a resend answers FORM_ID_EXPIRED', async () => {
    const f = new TelegramFixture();
    f.desk.add(starsInvoice('S', ALICE.userId, 100n, { expiresAt: f.now + 60_000 }));
    const ctx = f.as(ALICE.userId);
    const invoice = new Api.InputInvoiceSlug({ slug: 'S' });
    const form = await f.answer(Api.payments.PaymentFormStars, new Api.payments.GetPaymentForm({ invoice }), ctx);
    f.rpc.faults.disconnect('payments.SendStarsForm', { afterWork: true });
    await expect(f.call(new Api.payments.SendStarsForm({ formId: form.formId, invoice }), ctx)).rejects.toThrow('connection closed');
    expect(f.rpc.ledger.balance(ALICE.userId)).toBe(900n);
    expect(f.rpc.ledger.payments()).toHaveLength(1);
    await f.failure(new Api.payments.SendStarsForm({ formId: form.formId, invoice }), ctx, 400, 'FORM_ID_EXPIRED');
    expect(f.rpc.faults.counts()).toEqual({ floodWaits: 0, disconnects: 1 });
  });

  it('hangs up after work that failed, too', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    f.rpc.faults.disconnect('payments.SendStarsForm', { afterWork: true, times: 2 });
    const bad = new Api.payments.SendStarsForm({ formId: tlLong(1), invoice: new Api.InputInvoiceSlug({ slug: 'x' }) });
    await expect(f.call(bad, ctx)).rejects.toThrow('connection closed');
    await expect(f.call(bad, ctx)).rejects.toThrow('connection closed');
    await f.failure(bad, ctx, 400, 'FORM_ID_EXPIRED');
  });

  it('refuses to inject into a method it does not serve, or with a count that is not positive', () => {
    const f = new TelegramFixture();
    expect(() => f.rpc.faults.floodWait('payments.SendStarForm', 1)).toThrow(SimTelegramError);
    expect(() => f.rpc.faults.floodWait('payments.SendStarsForm', 0)).toThrow(/seconds/);
    expect(() => f.rpc.faults.disconnect('payments.SendStarsForm', { times: 0 })).toThrow(/times/);
  });
});
