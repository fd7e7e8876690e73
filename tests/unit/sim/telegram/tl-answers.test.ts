import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import type { RpcAnswer } from '../../../../sim/telegram/rpc.js';
import { ALICE, BOB, TelegramFixture, inputBot, inputBotPeer } from './telegram-fixture.js';
import { starsInvoice } from './memory-invoice-desk.js';

/** Serialises a TL answer as the server will and reads it back as GramJS does. */
function roundTrip(answer: RpcAnswer): unknown {
  if (typeof answer === 'boolean' || Array.isArray(answer)) throw new Error('not a single TL object');
  const object = answer as Exclude<RpcAnswer, boolean | readonly unknown[]>;
  return new BinaryReader(object.getBytes()).tgReadObject();
}

describe('simulated Telegram answers as TL bytes', () => {
  it('serialises every kind of answer into bytes GramJS reads back whole', async () => {
    const f = new TelegramFixture();
    f.desk.add(starsInvoice('T1', ALICE.userId, 42n, { expiresAt: f.now + 60_000 }));
    const alice = f.as(ALICE.userId);
    const invoice = new Api.InputInvoiceSlug({ slug: 'T1' });
    const form = (await f.call(new Api.payments.GetPaymentForm({ invoice }), alice)) as Api.payments.PaymentFormStars;
    const answers: RpcAnswer[] = [
      await f.call(new Api.help.GetConfig(), alice),
      await f.call(new Api.help.GetNearestDc(), alice),
      await f.call(new Api.updates.GetState(), alice),
      await f.call(new Api.contacts.ResolveUsername({ username: 'sticker_bot' }), alice),
      await f.call(new Api.messages.RequestWebView({ peer: inputBotPeer(f), bot: inputBot(f), url: 'https://stickerdom.store/', platform: 'android' }), alice),
      await f.call(new Api.account.GetPassword(), f.as(BOB.userId)),
      await f.call(new Api.account.GetPassword(), alice),
      form,
      await f.call(new Api.payments.SendStarsForm({ formId: form.formId, invoice }), alice),
      await f.call(new Api.payments.GetStarsTransactions({ peer: new Api.InputPeerSelf(), offset: '', limit: 10 }), alice),
      await f.call(new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: 1 }), new Api.InputMessageID({ id: 2 })] }), alice),
      await f.call(new Api.auth.LogOut(), alice),
    ];
    for (const answer of answers) {
      const back = roundTrip(answer) as { className: string; getBytes(): Buffer };
      expect(back.className).toBe((answer as { className: string }).className);
      expect(back.getBytes().equals((answer as { getBytes(): Buffer }).getBytes())).toBe(true);
    }
  });

  it('answers users.getUsers with a vector of serialisable users', async () => {
    const f = new TelegramFixture();
    const users = (await f.call(new Api.users.GetUsers({ id: [new Api.InputUserSelf(), inputBot(f)] }), f.as(ALICE.userId))) as Api.TypeUser[];
    expect(users).toHaveLength(2);
    for (const user of users) expect(new BinaryReader(user.getBytes()).tgReadObject()).toBeInstanceOf(Api.User);
  });
});
