/** Looking people up: users.getUsers (InputUserSelf → the caller with `self: true`) and contacts.resolveUsername
 *  (the store bot, or another simulated user, with the access hash later requests must quote). */
import { Api } from 'telegram';
import type { Accounts } from './accounts.js';
import type { MethodEntry, Methods } from './methods.js';
import { RpcFailure } from './rpc.js';
import { tlLong } from './tl.js';

/** What the lookup methods read. */
export interface UsersDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
}

/** users.getUsers, contacts.resolveUsername. */
export function usersMethods(d: UsersDeps): MethodEntry[] {
  return [
    d.methods.user(Api.users.GetUsers, (req, caller) =>
      req.id.map((input) => {
        const target = d.accounts.resolve(input, caller);
        if (!target) return new Api.UserEmpty({ id: tlLong(idOf(input)) });
        return target.kind === 'bot' ? d.accounts.botTl() : d.accounts.userTl(target.account, caller);
      }),
    ),

    d.methods.user(Api.contacts.ResolveUsername, (req, caller) => {
      if (!/^@?[A-Za-z0-9_]{4,32}$/.test(req.username)) throw new RpcFailure(400, 'USERNAME_INVALID');
      const found = d.accounts.findByUsername(req.username);
      if (!found) throw new RpcFailure(400, 'USERNAME_NOT_OCCUPIED');
      const [id, user] = found.kind === 'bot' ? [found.bot.id, d.accounts.botTl()] : [found.account.id, d.accounts.userTl(found.account, caller)];
      return new Api.contacts.ResolvedPeer({ peer: new Api.PeerUser({ userId: tlLong(id) }), chats: [], users: [user] });
    }),
  ];
}

/** The user id an unresolvable InputUser names (0 when it names none). */
function idOf(input: unknown): bigint {
  return input instanceof Api.InputUser ? BigInt(input.userId.toString()) : 0n;
}
