/** The TON plugin's typed errors, and the one place a failed toncenter call becomes one. TonClient talks through
 *  axios, whose errors carry the request config with its `X-API-Key` header: such an error object is never kept,
 *  not even as a `cause`; only facts that cannot hold the key are copied out of it. */
import { AutomintError } from '../../core/errors.js';

export class TonPaymentError extends AutomintError {}

/** The toncenter calls a wallet makes, named as TonClient names them. */
export type ToncenterOperation = 'getContractState' | 'getBalance' | 'sendFile' | 'getTransactions';

/** Longest toncenter error text kept: enough for "cannot apply external message to current state ...". */
const MAX_ERROR_TEXT = 300;

/** A failed toncenter call as a TonPaymentError (`TON_RPC_FAILED`) carrying only the operation, the HTTP status if
 *  an answer came, toncenter's own `error` text when it sent one, and otherwise the transport error code. */
export function toncenterFailure(operation: ToncenterOperation, err: unknown): TonPaymentError {
  return failure(operation, failureFacts(err));
}

/** A failed toncenter call made without TonClient (the broadcast, see boc-sender.ts), from what its caller saw: the
 *  HTTP status and parsed body when an answer came (the body's `error` text is kept), or the transport's code. */
export function toncenterCallFailure(
  operation: ToncenterOperation, seen: { status?: number; body?: unknown; transport?: string; malformed?: boolean },
): TonPaymentError {
  const facts: FailureFacts = {};
  if (seen.status !== undefined) facts.status = seen.status;
  const text = errorText(seen.body);
  if (text !== undefined) facts.toncenterError = text;
  if (seen.transport !== undefined && TRANSPORT_CODE.test(seen.transport)) facts.transport = seen.transport;
  if (seen.malformed === true) facts.malformed = true;
  return failure(operation, facts);
}

/** A transport error code is a fixed word (ECONNREFUSED, UND_ERR_SOCKET…), never request data. */
const TRANSPORT_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

function failure(operation: ToncenterOperation, facts: FailureFacts): TonPaymentError {
  const what = [
    facts.status === undefined ? undefined : `HTTP ${facts.status}`,
    facts.toncenterError,
    facts.transport,
    facts.malformed ? 'malformed answer' : undefined,
  ].filter((part) => part !== undefined);
  return new TonPaymentError(
    'TON_RPC_FAILED',
    `toncenter ${operation} failed: ${what.length > 0 ? what.join(': ') : 'no usable answer'}`,
    { operation, ...facts },
  );
}

type FailureFacts = { status?: number; toncenterError?: string; transport?: string; malformed?: true };

function failureFacts(err: unknown): FailureFacts {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { isAxiosError?: unknown; response?: { status?: unknown; data?: unknown }; code?: unknown; message?: unknown };
  if (e.isAxiosError === true || e.response !== undefined) {
    const facts: FailureFacts = {};
    if (typeof e.response?.status === 'number') facts.status = e.response.status;
    const text = errorText(e.response?.data);
    if (text !== undefined) facts.toncenterError = text;
    // No answer at all: the transport's code (ECONNREFUSED, ECONNABORTED…) is a fixed word, never request data.
    if (e.response === undefined && typeof e.code === 'string' && TRANSPORT_CODE.test(e.code)) facts.transport = e.code;
    return facts;
  }
  // TonClient's own error for a 200 answer with `ok: false`: "Received error: <the answer as JSON>".
  const message = typeof e.message === 'string' ? e.message : '';
  const received = /^Received error: (.*)$/s.exec(message);
  if (received) {
    const text = errorText(parseJson(received[1]!));
    return text === undefined ? { status: 200 } : { status: 200, toncenterError: text };
  }
  // Anything else (an answer that failed TonClient's schema, a transaction that would not parse) holds no request data.
  return message.startsWith('Malformed response') ? { malformed: true } : {};
}

/** The `error` text of a toncenter answer body, if it has one. */
function errorText(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const text = (data as { error?: unknown }).error;
  return typeof text === 'string' && text.length > 0 ? text.slice(0, MAX_ERROR_TEXT) : undefined;
}

/** The text as JSON, or undefined when it is not. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
