/** Logging in and out, as GramJS's `client.start({phoneNumber, phoneCode, password})` drives it: auth.sendCode →
 *  auth.signIn (→ 401 SESSION_PASSWORD_NEEDED when the account has 2FA) → account.getPassword →
 *  auth.checkPassword; a finished login binds the auth key to the user, auth.logOut unbinds it. */
import { Api } from 'telegram';
import { phoneDigits, type Accounts, type Account } from './accounts.js';
import type { Authorizations } from './authorizations.js';
import type { LoginCodes } from './login-codes.js';
import type { MethodEntry, Methods } from './methods.js';
import { RpcFailure, type RpcContext } from './rpc.js';
import type { TwoFactor } from './two-factor.js';

/** What the login methods read and change. */
export interface LoginDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
  readonly authorizations: Authorizations;
  readonly codes: LoginCodes;
  readonly twoFactor: TwoFactor;
}

/** auth.sendCode, auth.signIn, account.getPassword, auth.checkPassword, auth.logOut. */
export function loginMethods(d: LoginDeps): MethodEntry[] {
  const finish = (ctx: RpcContext, account: Account): Api.auth.Authorization => {
    d.authorizations.bind(ctx.authKeyId, account.id);
    return new Api.auth.Authorization({ user: d.accounts.userTl(account, account) });
  };

  return [
    d.methods.open(Api.auth.SendCode, (req) => {
      const account = d.accounts.findByPhone(req.phoneNumber);
      if (!account) throw new RpcFailure(400, 'PHONE_NUMBER_INVALID');
      const { phoneCodeHash } = d.codes.send(account.phoneDigits);
      return new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeApp({ length: 5 }), phoneCodeHash });
    }),

    d.methods.open(Api.auth.SignIn, (req, ctx) => {
      if (!req.phoneCodeHash) throw new RpcFailure(400, 'PHONE_CODE_HASH_EMPTY');
      if (!req.phoneCode) throw new RpcFailure(400, 'PHONE_CODE_EMPTY');
      const account = d.accounts.findByPhone(req.phoneNumber);
      if (!account) throw new RpcFailure(400, 'PHONE_NUMBER_INVALID');
      const verdict = d.codes.check(phoneDigits(req.phoneNumber), req.phoneCodeHash, req.phoneCode);
      if (verdict === 'expired') throw new RpcFailure(400, 'PHONE_CODE_EXPIRED');
      if (verdict === 'invalid') throw new RpcFailure(400, 'PHONE_CODE_INVALID');
      if (d.twoFactor.hasPassword(account)) {
        d.authorizations.awaitPassword(ctx.authKeyId, account.id);
        throw new RpcFailure(401, 'SESSION_PASSWORD_NEEDED');
      }
      return finish(ctx, account);
    }),

    // Open, because a key half-way through a 2FA login may call it; anyone else must be logged in.
    d.methods.open(Api.account.GetPassword, (_req, ctx) => d.twoFactor.passwordInfo(passwordSubject(d, ctx))),

    d.methods.open(Api.auth.CheckPassword, (req, ctx) => {
      const pendingId = d.authorizations.passwordPendingFor(ctx.authKeyId);
      const account = pendingId === undefined ? undefined : d.accounts.find(pendingId);
      if (!account) throw new RpcFailure(401, 'AUTH_KEY_UNREGISTERED');
      const verdict = d.twoFactor.check(account, req.password);
      if (verdict === 'stale') throw new RpcFailure(400, 'SRP_ID_INVALID');
      if (verdict === 'wrong') throw new RpcFailure(400, 'PASSWORD_HASH_INVALID');
      return finish(ctx, account);
    }),

    d.methods.user(Api.auth.LogOut, (_req, _caller, ctx) => {
      d.authorizations.unbind(ctx.authKeyId);
      return new Api.auth.LoggedOut({});
    }),
  ];
}

/** Whose password account.getPassword describes: the logged-in user's, or the one this key is logging in as. */
function passwordSubject(d: LoginDeps, ctx: RpcContext): Account {
  const userId = d.authorizations.userOf(ctx.authKeyId) ?? d.authorizations.passwordPendingFor(ctx.authKeyId);
  const account = userId === undefined ? undefined : d.accounts.find(userId);
  if (!account) throw new RpcFailure(401, 'AUTH_KEY_UNREGISTERED');
  return account;
}
