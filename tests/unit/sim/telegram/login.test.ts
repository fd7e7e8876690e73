import { describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { computeCheck } from 'telegram/Password.js';
import { ALICE, BOB, TelegramFixture } from './telegram-fixture.js';

const sendCode = (phone: string) =>
  new Api.auth.SendCode({ phoneNumber: phone, apiId: 1, apiHash: 'hash', settings: new Api.CodeSettings({}) });
const signIn = (phone: string, phoneCodeHash: string, phoneCode: string) => new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode });

/** Sends a code to `phone` as `ctx` and returns the hash and the code the fixture "delivered". */
async function codeFor(f: TelegramFixture, ctx: ReturnType<TelegramFixture['anonymous']>, phone: string) {
  const sent = await f.answer(Api.auth.SentCode, sendCode(phone), ctx);
  const code = f.rpc.codes.sentTo(phone.replace(/\D/g, '')).at(-1)!;
  return { hash: sent.phoneCodeHash, code };
}

describe('simulated Telegram login', () => {
  it('refuses a phone number no user has', async () => {
    const f = new TelegramFixture();
    await f.failure(sendCode('+19998887777'), f.anonymous(), 400, 'PHONE_NUMBER_INVALID');
  });

  it('sends a fresh five-digit code through the app and records it for the phone', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const first = await f.answer(Api.auth.SentCode, sendCode('+15550001'), ctx);
    const second = await f.answer(Api.auth.SentCode, sendCode('+1 555 0001'), ctx);
    expect(first.type).toBeInstanceOf(Api.auth.SentCodeTypeApp);
    expect(first.phoneCodeHash).not.toBe(second.phoneCodeHash);
    const codes = f.rpc.codes.sentTo('15550001');
    expect(codes).toHaveLength(2);
    for (const code of codes) expect(code).toMatch(/^\d{5}$/);
  });

  it('logs a user without a password in with the right code and binds the auth key', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    await f.failure(new Api.updates.GetState(), ctx, 401, 'AUTH_KEY_UNREGISTERED');
    const { hash, code } = await codeFor(f, ctx, ALICE.phone);
    const auth = await f.answer(Api.auth.Authorization, signIn(ALICE.phone, hash, code), ctx);
    expect(auth.user).toBeInstanceOf(Api.User);
    expect((auth.user as Api.User).self).toBe(true);
    expect(auth.user.id.toString()).toBe(String(ALICE.userId));
    expect(f.rpc.authorizations.userOf(ctx.authKeyId)).toBe(ALICE.userId);
    await f.answer(Api.updates.State, new Api.updates.GetState(), ctx);
  });

  it('refuses a wrong code but keeps the right one usable', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const { hash, code } = await codeFor(f, ctx, ALICE.phone);
    const wrong = code === '00000' ? '11111' : '00000';
    await f.failure(signIn(ALICE.phone, hash, wrong), ctx, 400, 'PHONE_CODE_INVALID');
    await f.answer(Api.auth.Authorization, signIn(ALICE.phone, hash, code), ctx);
  });

  it('uses each code once', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const { hash, code } = await codeFor(f, ctx, ALICE.phone);
    await f.answer(Api.auth.Authorization, signIn(ALICE.phone, hash, code), ctx);
    await f.failure(signIn(ALICE.phone, hash, code), f.anonymous(), 400, 'PHONE_CODE_EXPIRED');
  });

  it('expires a code after five minutes and when a newer one is sent', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const old = await codeFor(f, ctx, ALICE.phone);
    await codeFor(f, ctx, ALICE.phone);
    await f.failure(signIn(ALICE.phone, old.hash, old.code), ctx, 400, 'PHONE_CODE_EXPIRED');

    const fresh = await codeFor(f, ctx, ALICE.phone);
    f.now += 5 * 60 * 1000 + 1;
    await f.failure(signIn(ALICE.phone, fresh.hash, fresh.code), ctx, 400, 'PHONE_CODE_EXPIRED');
  });

  it('refuses a sign-in without a phone_code_hash', async () => {
    const f = new TelegramFixture();
    await f.failure(signIn(ALICE.phone, '', '12345'), f.anonymous(), 400, 'PHONE_CODE_HASH_EMPTY');
  });

  it('asks for the 2FA password and accepts the real SRP proof of it', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const { hash, code } = await codeFor(f, ctx, BOB.phone);
    await f.failure(signIn(BOB.phone, hash, code), ctx, 401, 'SESSION_PASSWORD_NEEDED');
    expect(f.rpc.authorizations.userOf(ctx.authKeyId)).toBeUndefined();

    const password = await f.answer(Api.account.Password, new Api.account.GetPassword(), ctx);
    expect(password.hasPassword).toBe(true);
    expect(password.currentAlgo).toBeInstanceOf(Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow);
    expect(password.srp_B).toHaveLength(256);
    const check = await computeCheck(password, BOB.password!);
    const auth = await f.answer(Api.auth.Authorization, new Api.auth.CheckPassword({ password: check }), ctx);
    expect(auth.user.id.toString()).toBe(String(BOB.userId));
    expect(f.rpc.authorizations.userOf(ctx.authKeyId)).toBe(BOB.userId);
  });

  it('refuses a wrong password, and the same srp_id twice', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const { hash, code } = await codeFor(f, ctx, BOB.phone);
    await f.failure(signIn(BOB.phone, hash, code), ctx, 401, 'SESSION_PASSWORD_NEEDED');

    const first = await f.answer(Api.account.Password, new Api.account.GetPassword(), ctx);
    await f.failure(new Api.auth.CheckPassword({ password: await computeCheck(first, 'hunter3') }), ctx, 400, 'PASSWORD_HASH_INVALID');
    await f.failure(new Api.auth.CheckPassword({ password: await computeCheck(first, BOB.password!) }), ctx, 400, 'SRP_ID_INVALID');
    expect(f.rpc.authorizations.userOf(ctx.authKeyId)).toBeUndefined();

    const second = await f.answer(Api.account.Password, new Api.account.GetPassword(), ctx);
    await f.answer(Api.auth.Authorization, new Api.auth.CheckPassword({ password: await computeCheck(second, BOB.password!) }), ctx);
  });

  it('refuses an srp_id older than five minutes', async () => {
    const f = new TelegramFixture();
    const ctx = f.anonymous();
    const { hash, code } = await codeFor(f, ctx, BOB.phone);
    await f.failure(signIn(BOB.phone, hash, code), ctx, 401, 'SESSION_PASSWORD_NEEDED');
    const password = await f.answer(Api.account.Password, new Api.account.GetPassword(), ctx);
    f.now += 5 * 60 * 1000 + 1;
    await f.failure(new Api.auth.CheckPassword({ password: await computeCheck(password, BOB.password!) }), ctx, 400, 'SRP_ID_INVALID');
  });

  it('answers account.getPassword only to a key logging in or logged in', async () => {
    const f = new TelegramFixture();
    await f.failure(new Api.account.GetPassword(), f.anonymous(), 401, 'AUTH_KEY_UNREGISTERED');
    const none = await f.answer(Api.account.Password, new Api.account.GetPassword(), f.as(ALICE.userId));
    expect(none.hasPassword).toBeFalsy();
    expect(none.srpId).toBeUndefined();
  });

  it('refuses auth.checkPassword from a key that was never asked for a password', async () => {
    const f = new TelegramFixture();
    await f.failure(new Api.auth.CheckPassword({ password: new Api.InputCheckPasswordEmpty() }), f.anonymous(), 401, 'AUTH_KEY_UNREGISTERED');
  });

  it('logs out: the key is no longer bound to the user', async () => {
    const f = new TelegramFixture();
    const ctx = f.as(ALICE.userId);
    await f.answer(Api.auth.LoggedOut, new Api.auth.LogOut(), ctx);
    await f.failure(new Api.updates.GetState(), ctx, 401, 'AUTH_KEY_UNREGISTERED');
    await f.failure(new Api.auth.LogOut(), ctx, 401, 'AUTH_KEY_UNREGISTERED');
  });
});
