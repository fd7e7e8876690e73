/** How the simulated Telegram's handlers are declared: each names the TL request class it serves (so the request is
 *  narrowed and the answer type-checked against the method's TL result type) and whether it needs a logged-in user,
 *  which is resolved from the auth key once, here. */
import type { Accounts, Account } from './accounts.js';
import type { Authorizations } from './authorizations.js';
import { RpcFailure, type RpcAnswer, type RpcContext, type RpcHandler } from './rpc.js';

/** A GramJS request class (`Api.auth.SendCode`, …): its prototype gives the request type, `__response` its answer. */
// `Function`: `instanceof` needs a callable on its right; the prototype carries the request type.
export type RequestClass<R> = Function & { readonly className: string; readonly prototype: R };

/** What the TL method answers (`auth.TypeSentCode`, `Api.TypeUser[]`, boolean, …). */
export type AnswerOf<R> = R extends { readonly __response: infer A } ? A : never;

/** One entry of the handler table: the method's className and its handler. */
export type MethodEntry = readonly [className: string, handler: RpcHandler];

/** Builds handler entries that check the request class and, for user methods, the login. */
export class Methods {
  constructor(
    private readonly accounts: Accounts,
    private readonly authorizations: Authorizations,
  ) {}

  /** A method anyone may call, logged in or not (help.*, auth.*). */
  open<R extends { readonly __response: unknown }>(
    cls: RequestClass<R>,
    serve: (request: R, ctx: RpcContext) => AnswerOf<R> | Promise<AnswerOf<R>>,
  ): MethodEntry {
    return [cls.className, (request, ctx) => serve(narrow(cls, request), ctx) as RpcAnswer | Promise<RpcAnswer>];
  }

  /** A method that needs a logged-in user: 401 AUTH_KEY_UNREGISTERED otherwise. */
  user<R extends { readonly __response: unknown }>(
    cls: RequestClass<R>,
    serve: (request: R, caller: Account, ctx: RpcContext) => AnswerOf<R> | Promise<AnswerOf<R>>,
  ): MethodEntry {
    return [cls.className, (request, ctx) => serve(narrow(cls, request), this.caller(ctx), ctx) as RpcAnswer | Promise<RpcAnswer>];
  }

  /** The user the request's auth key is logged in as; 401 AUTH_KEY_UNREGISTERED when none. */
  caller(ctx: RpcContext): Account {
    const userId = this.authorizations.userOf(ctx.authKeyId);
    const account = userId === undefined ? undefined : this.accounts.find(userId);
    if (!account) throw new RpcFailure(401, 'AUTH_KEY_UNREGISTERED');
    return account;
  }
}

function narrow<R>(cls: RequestClass<R>, request: unknown): R {
  // The server routes by className, so a mismatch means a decoding bug, not a client error.
  if (!(request instanceof cls)) throw new RpcFailure(400, 'INPUT_METHOD_INVALID');
  return request as R;
}
