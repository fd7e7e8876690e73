/** Reading one store answer: the body (capped in size), the `{ok, data|errorCode}` envelope, the status and errorCode
 *  rules that turn it into a parsed value or a typed error, and the ETag it carries. Pure: no I/O beyond draining the
 *  body it is given. */
import type { z } from 'zod';
import { readRateHeaders } from '../actors/limiter-headers.js';
import { envelopeSchema } from './responses.js';
import { StoreAuthError, StoreHttpError, StoreMalformed, StoreRejected, type StoreOperation } from './store-error.js';

/** Response headers as undici gives them. */
export type AnswerHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a call expects of its answer. */
export interface AnswerSpec<T extends z.ZodType> {
  readonly schema: T;
  /** A 404 is a meaningful answer for this call (collection not published yet). */
  readonly notFoundIsAnswer?: boolean;
}

/** The facts every error about one call carries. */
export interface CallFacts {
  readonly op: StoreOperation;
  readonly url: string;
}

/** The answer to a call whose 404 means "not there yet". */
export const NOT_FOUND = Symbol('not-found');

/** A parsed answer, or NOT_FOUND. */
export type Answer<T extends z.ZodType> = z.output<T> | typeof NOT_FOUND;

/** errorCodes that say the token was refused. */
const AUTH_CODES = /auth|token|unauthori[sz]ed|forbidden|jwt/i;
/** An ETag longer than this is not one the store would send: ignored. */
const MAX_ETAG_LENGTH = 512;

/** The answer's value, or the typed error it amounts to. A 401/403 is a refused token whatever its body; an auth
 *  errorCode is one only on a 4xx other than 429 (a 5xx or 429 is trouble, not a refusal, whatever its body says:
 *  it does not promise that nothing was created). */
export function interpretAnswer<T extends z.ZodType>(
  spec: AnswerSpec<T>, status: number, headers: AnswerHeaders, text: string, facts: CallFacts,
): Answer<T> {
  if (status === 401 || status === 403) throw new StoreAuthError(status, facts);
  const envelope = parseEnvelope(text);
  const httpError = (): StoreHttpError =>
    new StoreHttpError(status, { ...facts, retryAfterMs: readRateHeaders(headers, Date.now()).retryAfterMs });
  if (status >= 500 || status === 429) throw httpError();
  // Checked before the 404: a refused token must never read as "not published yet".
  if (envelope && !envelope.ok && AUTH_CODES.test(envelope.errorCode)) {
    throw new StoreAuthError(status, { ...facts, errorCode: envelope.errorCode });
  }
  if (status === 404 && spec.notFoundIsAnswer) return NOT_FOUND;
  if (envelope && !envelope.ok) throw new StoreRejected(envelope.errorCode, status, facts);
  if (status < 200 || status >= 300) throw httpError();
  if (!envelope) throw new StoreMalformed('not a JSON envelope {ok, data|errorCode}', { ...facts, status });
  const parsed = spec.schema.safeParse(envelope.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreMalformed(`${issue?.path.join('.') || 'data'}: ${issue?.message ?? 'invalid'}`, { ...facts, status });
  }
  return parsed.data;
}

/** The ETag of a successful answer, if it carries a usable one. */
export function etagOf(status: number, headers: AnswerHeaders): string | null {
  if (status < 200 || status >= 300) return null;
  const raw = headers['etag'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  return v === undefined || v.length === 0 || v.length > MAX_ETAG_LENGTH ? null : v;
}

/** The body as text; a body past `max` bytes is abandoned and `tooBig()` thrown: at once, unread, when its declared
 *  `content-length` says so, else as soon as what came passes `max`. Abandoning destroys the body, which makes undici
 *  close the connection instead of draining the rest (so a 50 MB answer costs at most `max` bytes read, plus what the
 *  kernel had already buffered). */
export async function readCappedBody(
  body: AsyncIterable<Buffer | string> & { destroy?: () => void; on?: (event: 'error', listener: () => void) => unknown },
  max: number, tooBig: () => Error, headers: AnswerHeaders = {},
): Promise<string> {
  // Destroying an undici body emits an AbortError; abandoning it is ours to do, so that error is nobody's to handle.
  const abandon = (): void => {
    body.on?.('error', () => undefined);
    body.destroy?.();
  };
  const raw = headers['content-length'];
  const declared = Number(Array.isArray(raw) ? raw[0] : raw);
  if (Number.isFinite(declared) && declared > max) {
    abandon();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > max) {
      abandon();
      throw tooBig();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseEnvelope(text: string): z.output<typeof envelopeSchema> | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const r = envelopeSchema.safeParse(json);
  return r.success ? r.data : null;
}
