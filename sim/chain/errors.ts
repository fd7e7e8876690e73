/** Errors the simulated toncenter answers with. Each carries the HTTP status and `code` toncenter uses for the same
 *  failure (toncenter/ton-http-api: liteserver errors are 500, bad parameters 422, a bad address 416), so a client
 *  sees here what it would see against the real service. */
import { AutomintError } from '../../core/errors.js';

export type ToncenterErrorCode =
  /** The external message fails against the current account state (bad seqno, signature, expired valid_until). */
  | 'EXTERNAL_REJECTED'
  /** The BOC does not decode, or is not an inbound external message. */
  | 'BOC_INVALID'
  /** A parameter is missing or has the wrong shape. */
  | 'PARAMS_INVALID'
  /** An address does not parse. */
  | 'ADDRESS_INVALID'
  /** The lt/hash a transaction listing should start from is not in the account's history. */
  | 'TRANSACTION_NOT_FOUND'
  /** The JSON-RPC method is not one toncenter has (or not one the simulator serves). */
  | 'METHOD_UNKNOWN'
  /** A get-method returned a stack entry toncenter cannot render. */
  | 'STACK_UNSUPPORTED';

const STATUS: Readonly<Record<ToncenterErrorCode, number>> = {
  EXTERNAL_REJECTED: 500,
  BOC_INVALID: 500,
  PARAMS_INVALID: 422,
  ADDRESS_INVALID: 416,
  TRANSACTION_NOT_FOUND: 500,
  METHOD_UNKNOWN: 422,
  STACK_UNSUPPORTED: 500,
};

/** A failure of one JSON-RPC call, answered as `{ok:false, error: message, code: status}` with that HTTP status. */
export class ToncenterError extends AutomintError {
  /** HTTP status and the `code` field of the toncenter error body. */
  readonly status: number;

  constructor(code: ToncenterErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
    this.status = STATUS[code];
  }
}
