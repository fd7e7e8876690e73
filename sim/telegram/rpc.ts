/** The contract between the simulated Telegram's MTProto server (transport, handshake, encryption, service messages)
 *  and what it serves (login, web views, Stars): handlers keyed by TL method name that take the decoded request and
 *  answer a TL object, a boolean, or a vector. Everything Telegram-specific lives behind this line. */
import type { Api } from 'telegram';

/** Who is calling: the auth key the request came under (the client's identity across reconnects) and its session. */
export interface RpcContext {
  /** Decimal key id of the auth key. Login binds a user to it. */
  readonly authKeyId: string;
  /** Decimal session id chosen by the client (changes on every new client session). */
  readonly sessionId: string;
  /** The TL layer the client announced with invokeWithLayer (0 when it never did). */
  readonly layer: number;
}

/** A TL object GramJS can serialise (anything with getBytes). */
export interface TlSerializable {
  getBytes(): Buffer;
  readonly className: string;
}

/** What a handler answers: one TL object, a Bool, or a vector of TL objects (e.g. `users.getUsers`), or of longs /
 *  ints (given as bigint / number). */
export type RpcAnswer = TlSerializable | boolean | readonly TlSerializable[] | readonly bigint[] | readonly number[];

/** A request as GramJS decoded it (`Api.payments.GetStarsStatus`, …), wrappers (invokeWithLayer, initConnection,
 *  invokeAfterMsg, invokeWithoutUpdates) already removed. */
export type RpcRequest = Api.AnyRequest;

/** Serves one TL method. Throw RpcFailure for an RPC error the client should see. */
export type RpcHandler = (request: RpcRequest, ctx: RpcContext) => RpcAnswer | Promise<RpcAnswer>;

/** Handlers keyed by the request's `className`, e.g. `payments.GetStarsStatus`, `auth.SendCode`. */
export type RpcHandlers = Readonly<Record<string, RpcHandler>>;

/** An RPC error as Telegram sends it (`rpc_error{error_code, error_message}`), e.g. 420 `FLOOD_WAIT_3`,
 *  400 `FORM_ID_EXPIRED`, 401 `AUTH_KEY_UNREGISTERED`. */
export class RpcFailure extends Error {
  constructor(
    readonly errorCode: number,
    readonly errorMessage: string,
  ) {
    super(`${errorCode} ${errorMessage}`);
    this.name = 'RpcFailure';
  }
}
