import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { Accounts } from '../../../../sim/telegram/accounts.js';
import { SimTelegramError } from '../../../../sim/telegram/errors.js';
import { tlLong } from '../../../../sim/telegram/tl.js';
import { ALICE, BOB, BOT, TelegramFixture, inputBot } from './telegram-fixture.js';

describe('simulated Telegram accounts and lookups', () => {
  it('refuses two users with one id, phone or username', () => {
    expect(() => new Accounts([ALICE, { ...BOB, userId: ALICE.userId }], BOT)).toThrow(SimTelegramError);
    expect(() => new Accounts([ALICE, { ...BOB, phone: '+1-555-0001' }], BOT)).toThrow(/phone/);
    expect(() => new Accounts([ALICE, { ...BOB, username: 'ALICE' }], BOT)).toThrow(/username/);
    expect(() => new Accounts([{ ...ALICE, username: 'Sticker_Bot' }], BOT)).toThrow(/username/);
    expect(() => new Accounts([ALICE], { ...BOT, webAppUrls: [] })).toThrow(/web app URL/);
    expect(() => new Accounts([{ ...ALICE, stars: -1n }], BOT)).toThrow(/negative/);
  });

  it('answers users.getUsers for InputUserSelf with the caller marked self', async () => {
    const f = new TelegramFixture();
    const users = await f.call(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }), f.as(ALICE.userId));
    expect(Array.isArray(users)).toBe(true);
    const [me] = users as Api.User[];
    expect(me).toBeInstanceOf(Api.User);
    expect(me!.self).toBe(true);
    expect(me!.id.toString()).toBe(String(ALICE.userId));
    expect(me!.username).toBe('alice');
    expect(me!.phone).toBe('15550001');
  });

  it('answers userEmpty for a user id with a wrong access hash', async () => {
    const f = new TelegramFixture();
    const users = (await f.call(
      new Api.users.GetUsers({ id: [new Api.InputUser({ userId: tlLong(BOT.userId), accessHash: tlLong(1) }), inputBot(f)] }),
      f.as(ALICE.userId),
    )) as Api.TypeUser[];
    expect(users[0]).toBeInstanceOf(Api.UserEmpty);
    expect((users[1] as Api.User).bot).toBe(true);
  });

  it('resolves the store bot as a bot with its bot_info_version and access hash', async () => {
    const f = new TelegramFixture();
    const resolved = await f.answer(Api.contacts.ResolvedPeer, new Api.contacts.ResolveUsername({ username: 'Sticker_Bot' }), f.as(ALICE.userId));
    expect(resolved.peer).toBeInstanceOf(Api.PeerUser);
    expect((resolved.peer as Api.PeerUser).userId.toString()).toBe(String(BOT.userId));
    const bot = resolved.users[0] as Api.User;
    expect(bot.bot).toBe(true);
    expect(bot.botInfoVersion).toBeGreaterThan(0);
    expect(bot.accessHash?.toString()).toBe(f.rpc.accounts.bot.accessHash.toString());
  });

  it('resolves another user without their phone', async () => {
    const f = new TelegramFixture();
    const resolved = await f.answer(Api.contacts.ResolvedPeer, new Api.contacts.ResolveUsername({ username: 'alice' }), f.as(BOB.userId));
    const alice = resolved.users[0] as Api.User;
    expect(alice.self).toBeFalsy();
    expect(alice.phone).toBeUndefined();
  });

  it('answers USERNAME_NOT_OCCUPIED for a username nobody has', async () => {
    const f = new TelegramFixture();
    await f.failure(new Api.contacts.ResolveUsername({ username: 'no_such_bot' }), f.as(ALICE.userId), 400, 'USERNAME_NOT_OCCUPIED');
    await f.failure(new Api.contacts.ResolveUsername({ username: 'a b' }), f.as(ALICE.userId), 400, 'USERNAME_INVALID');
  });

  it('answers 401 AUTH_KEY_UNREGISTERED to lookups before login', async () => {
    const f = new TelegramFixture();
    await f.failure(new Api.contacts.ResolveUsername({ username: 'sticker_bot' }), f.anonymous(), 401, 'AUTH_KEY_UNREGISTERED');
    await f.failure(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }), f.anonymous(), 401, 'AUTH_KEY_UNREGISTERED');
  });

  it('serves help.getConfig and help.getNearestDc before login, naming itself DC 2', async () => {
    const f = new TelegramFixture();
    const config = await f.answer(Api.Config, new Api.help.GetConfig(), f.anonymous());
    expect(config.thisDc).toBe(2);
    expect(config.dcOptions).toEqual([expect.objectContaining({ id: 2, ipAddress: '127.0.0.1', port: 4321 })]);
    const nearest = await f.answer(Api.NearestDc, new Api.help.GetNearestDc(), f.anonymous());
    expect(nearest).toMatchObject({ thisDc: 2, nearestDc: 2 });
  });
});
