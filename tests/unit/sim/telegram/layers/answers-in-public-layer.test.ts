/** Every kind of answer the simulated Telegram's handlers give, written in the public layer and read back by another
 *  implementation's reader (mtcute's, generated from the same public schema): a field the layer renamed, added or
 *  shares a flag bit with shows up here as bytes that do not read, not as a client stuck later. */
import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { computeCheck } from 'telegram/Password.js';
import { TlBinaryReader } from '@mtcute/core/utils.js';
import { __tlReaderMap } from '@mtcute/tl/binary/reader.js';
import { publicLayer } from '../../../../../sim/telegram/layers/public-layer.js';
import { serializeRpcAnswer } from '../../../../../sim/telegram/mtproto/rpc-answer.js';
import type { RpcAnswer } from '../../../../../sim/telegram/rpc.js';
import { tlLong } from '../../../../../sim/telegram/tl.js';
import { starsInvoice } from '../memory-invoice-desk.js';
import { ALICE, BOB, TelegramFixture, inputBot, inputBotPeer } from '../telegram-fixture.js';

/** The answer as the client would read it: written in the public layer, read by mtcute's reader map. */
function readBack(answer: RpcAnswer): unknown {
  const bytes = serializeRpcAnswer(answer, publicLayer());
  // mtcute reads a boxed vector of objects through `_results`-free generic reading: a vector is read item by item.
  if (Array.isArray(answer)) {
    const reader = new TlBinaryReader(__tlReaderMap, bytes);
    expect(reader.uint()).toBe(0x1cb5c415);
    const count = reader.int();
    const items = Array.from({ length: count }, () => reader.object());
    expect(reader.pos).toBe(bytes.length);
    return items;
  }
  if (typeof answer === 'boolean') return answer;
  const reader = new TlBinaryReader(__tlReaderMap, bytes);
  const obj = reader.object() as { _: string };
  // Every byte read: a field written that the reader did not expect (or one left out) would leave bytes or run short.
  expect(reader.pos).toBe(bytes.length);
  return obj;
}

describe('answers written in the public layer', () => {
  it('read back whole, for login, users, web views, payments, history and updates', async () => {
    const f = new TelegramFixture();
    const anon = f.anonymous();
    const names: string[] = [];
    const check = async (request: Api.AnyRequest, ctx = anon): Promise<unknown> => {
      const answer = await f.call(request, ctx);
      const read = readBack(answer);
      const name = Array.isArray(read) ? `Vector<${(read[0] as { _: string } | undefined)?._ ?? ''}>` : (read as { _: string })._;
      names.push(name);
      return read;
    };

    const sent = (await check(new Api.auth.SendCode({ phoneNumber: ALICE.phone, apiId: 1, apiHash: 'h', settings: new Api.CodeSettings({}) }))) as { phoneCodeHash: string };
    const code = f.rpc.codes.sentTo(ALICE.phone.replace(/\D/g, '')).at(-1)!;
    await check(new Api.auth.SignIn({ phoneNumber: ALICE.phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: code }));

    const bobCtx = f.anonymous();
    const bobSent = (await f.call(new Api.auth.SendCode({ phoneNumber: BOB.phone, apiId: 1, apiHash: 'h', settings: new Api.CodeSettings({}) }), bobCtx)) as Api.auth.SentCode;
    const bobCode = f.rpc.codes.sentTo(BOB.phone.replace(/\D/g, '')).at(-1)!;
    await f.failure(new Api.auth.SignIn({ phoneNumber: BOB.phone, phoneCodeHash: bobSent.phoneCodeHash, phoneCode: bobCode }), bobCtx, 401, 'SESSION_PASSWORD_NEEDED');
    await check(new Api.account.GetPassword(), bobCtx);
    const password = (await f.call(new Api.account.GetPassword(), bobCtx)) as Api.account.Password;
    await check(new Api.auth.CheckPassword({ password: await computeCheck(password, BOB.password!) }), bobCtx);

    const alice = f.as(ALICE.userId);
    await check(new Api.account.GetPassword(), alice);
    await check(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }), alice);
    await check(new Api.contacts.ResolveUsername({ username: 'sticker_bot' }), alice);
    await check(new Api.help.GetConfig(), alice);
    await check(new Api.help.GetNearestDc(), alice);
    await check(new Api.messages.RequestWebView({ peer: inputBotPeer(f), bot: inputBot(f), url: 'https://stickerdom.store/', platform: 'android' }), alice);
    await check(new Api.messages.RequestSimpleWebView({ bot: inputBot(f), url: 'https://stickerdom.store/', platform: 'ios' }), alice);
    await check(new Api.updates.GetState(), alice);

    f.desk.add(starsInvoice('layer-1', ALICE.userId, 10n, { expiresAt: f.now + 600_000 }));
    const invoice = new Api.InputInvoiceSlug({ slug: 'layer-1' });
    const form = (await check(new Api.payments.GetPaymentForm({ invoice }), alice)) as { formId: { toString(): string } };
    await check(new Api.payments.SendStarsForm({ formId: tlLong(BigInt(form.formId.toString())), invoice }), alice);
    await check(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }), alice);
    await check(new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), offset: '', limit: 10 }), alice);
    await check(new Api.messages.GetHistory({ peer: inputBotPeer(f), offsetId: 0, offsetDate: 0, addOffset: 0, limit: 10, maxId: 0, minId: 0, hash: tlLong(0) }), alice);
    await check(new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: 1 }), new Api.InputMessageID({ id: 999 })] }), alice);
    await check(new Api.updates.GetDifference({ pts: 0, date: 0, qts: 0 }), alice);
    await check(new Api.auth.LogOut(), alice);

    expect(names).toEqual(expect.arrayContaining([
      'auth.sentCode', 'auth.authorization', 'account.password', 'Vector<user>', 'contacts.resolvedPeer', 'config', 'nearestDc',
      'webViewResultUrl', 'updates.state', 'payments.paymentFormStars', 'payments.paymentResult', 'payments.starsStatus',
      'messages.messages', 'auth.loggedOut',
    ]));
  });

  it('writes a renamed field under its new name (starsTransaction.amount, once stars)', async () => {
    const f = new TelegramFixture();
    const alice = f.as(ALICE.userId);
    f.desk.add(starsInvoice('layer-2', ALICE.userId, 25n, { expiresAt: f.now + 600_000 }));
    const invoice = new Api.InputInvoiceSlug({ slug: 'layer-2' });
    const form = (await f.call(new Api.payments.GetPaymentForm({ invoice }), alice)) as Api.payments.PaymentFormStars;
    await f.call(new Api.payments.SendStarsForm({ formId: form.formId, invoice }), alice);
    const status = readBack(await f.call(new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), offset: '', limit: 10 }), alice)) as {
      history: { amount: { _: string; amount: { toString(): string } } }[];
    };
    expect(status.history[0]?.amount).toMatchObject({ _: 'starsAmount' });
    expect(status.history[0]?.amount.amount.toString()).toBe('-25');
  });

  it('writes every field of a set flag bit, the true one and the valued one alike (user.bot, user.bot_info_version)', () => {
    const read = readBack(new Api.User({ id: tlLong(5), bot: true })) as { bot: boolean; botInfoVersion: number };
    expect(read).toMatchObject({ bot: true, botInfoVersion: 0 });
  });
});
