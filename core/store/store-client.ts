/** The Stickerdom API client for one account, over undici with keep-alive. Every call goes through the endpoints
 *  actor (which base URL, and its response caches for reads) and the limiter (may it go now), carries the account's
 *  JWT and the browser-like headers the store expects, is bounded in time and size, and turns every answer into a
 *  parsed value or a typed error. A refused token is replaced and the call repeated once. */
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { AutomintError } from '../errors.js';
import type { Nano } from '../money.js';
import type { EndpointResolver, Priority, RateGate } from './request-gate.js';
import type { Fetched, ResponseReader } from './response-cache.js';
import {
  collectionSchema,
  envelopeSchema,
  shopSettingsSchema,
  tonOrderSchema,
  tonPriceSchema,
  type CollectionView,
  type ShopSettings,
  type TonOrder,
} from './responses.js';
import {
  StoreAuthError,
  StoreHttpError,
  StoreMalformed,
  StoreRejected,
  StoreTransportError,
  type StoreOperation,
} from './store-error.js';

export const STORE_ORIGIN = 'https://stickerdom.store';

/** Where calls get the account's JWT, and where they report one the store refused (the auth actor's
 *  `tokenProvider`). */
export interface TokenProvider {
  /** A token believed valid; rejects with a StoreAuthError when there is none to be had. */
  current(signal?: AbortSignal): Promise<string>;
  /** The store refused `token`: do not hand it out again. */
  invalidate(token: string): void;
}

export interface StoreClientOptions {
  /** Account name: the limiter pool, the cache scope and the log field. */
  readonly account: string;
  /** The account's JWT: a TokenProvider (refreshed and replaced when refused), or a bare function (a fixed token:
   *  nothing to replace it with, so a refusal is final). */
  readonly token: TokenProvider | (() => Promise<string>);
  readonly gate: RateGate;
  readonly endpoints: EndpointResolver;
  /** The endpoints actor's response caches (`responseReader`): reads are cached per operation, revalidated with
   *  ETags and coalesced. Without it every read goes to the store. */
  readonly responses?: ResponseReader;
  readonly dispatcher: Dispatcher;
  readonly userAgent: string;
  readonly timeoutMs: number;
  /** Answers larger than this are refused unread: a hostile store cannot make us buffer gigabytes. */
  readonly maxBodyBytes?: number;
}

interface CallSpec<T extends z.ZodType> {
  readonly op: StoreOperation;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Record<string, string | number>;
  readonly priority: Priority;
  readonly schema: T;
  /** A 404 is a meaningful answer for this call (collection not published yet). */
  readonly notFoundIsAnswer?: boolean;
  readonly signal?: AbortSignal;
  /** Called the instant the request is handed to the socket layer (latency measurements). */
  readonly onSent?: () => void;
}

const AUTH_CODES = /auth|token|unauthori[sz]ed|forbidden|jwt/i;

type Answer<T extends z.ZodType> = z.output<T> | typeof NOT_FOUND;

export class StoreClient {
  private readonly maxBodyBytes: number;
  private readonly tokens: TokenProvider;

  constructor(private readonly opts: StoreClientOptions) {
    this.maxBodyBytes = opts.maxBodyBytes ?? 1_000_000;
    const token = opts.token;
    this.tokens = typeof token === 'function' ? { current: () => token(), invalidate: () => undefined } : token;
  }

  get account(): string {
    return this.opts.account;
  }

  /** `GET /api/v1/shop/settings`. */
  async settings(signal?: AbortSignal): Promise<ShopSettings> {
    const r = await this.call({ op: 'settings', method: 'GET', path: '/api/v1/shop/settings', priority: 'read', schema: shopSettingsSchema, signal });
    return r as ShopSettings;
  }

  /** `GET /api/v1/collection/{id}`: `{published:false}` while the store answers 404. */
  async collection(collectionId: number, opts: { signal?: AbortSignal; priority?: Priority } = {}): Promise<CollectionView> {
    const r = await this.call({
      op: 'collection', method: 'GET', path: `/api/v1/collection/${collectionId}`, priority: opts.priority ?? 'poll',
      schema: collectionSchema, notFoundIsAnswer: true, signal: opts.signal,
    });
    return r === NOT_FOUND ? { published: false } : { published: true, ...(r as z.output<typeof collectionSchema>) };
  }

  /** `GET /api/v1/shop/price/crypto`: TON per pack, in nanotons. */
  async priceTon(collection: number, character: number, signal?: AbortSignal): Promise<Nano> {
    const r = await this.call({
      op: 'priceTon', method: 'GET', path: '/api/v1/shop/price/crypto', query: { collection, character },
      priority: 'read', schema: tonPriceSchema, signal,
    });
    return r as Nano;
  }

  /** `POST /api/v1/shop/buy/crypto`: creates a TON order. Never repeated after a failure that may have created it (a
   *  timeout); repeated once only when the store refused the token, which creates nothing. Never cached. */
  async buyTon(
    req: { collection: number; character: number; count: number },
    opts: { signal?: AbortSignal; onSent?: () => void } = {},
  ): Promise<TonOrder> {
    const r = await this.call({
      op: 'buyTon', method: 'POST', path: '/api/v1/shop/buy/crypto',
      query: { collection: req.collection, character: req.character, currency: 'TON', count: req.count },
      priority: 'spend', schema: tonOrderSchema, signal: opts.signal, onSent: opts.onSent,
    });
    return r as TonOrder;
  }

  private async call<T extends z.ZodType>(spec: CallSpec<T>): Promise<Answer<T>> {
    const responses = this.opts.responses;
    // Never cache a call that spends: every order request must reach the store.
    if (!responses || spec.method !== 'GET' || spec.priority === 'spend') {
      const answer = await this.authorized(spec, null, spec.signal);
      // Unreachable: without a validator sent, a 304 is already a StoreMalformed. Narrows the type.
      if (answer.kind === 'unchanged') throw new StoreMalformed('304 to an unconditional request', { op: spec.op, url: spec.path, status: 304 });
      return answer.value;
    }
    const url = withQuery(new URL(spec.path, 'http://relative.invalid'), spec.query);
    const key = { op: spec.op, scope: this.opts.account, url: url.pathname + url.search };
    try {
      return await responses.read<Answer<T>>(key, ({ etag, signal }) => this.authorized(spec, etag, signal), spec.signal);
    } catch (e) {
      // A caller that gave up while sharing another caller's request learns it the same way as with its own.
      if (spec.signal?.aborted && !(e instanceof AutomintError)) {
        throw new StoreTransportError('aborted', false, { op: spec.op, url: spec.path }, e);
      }
      throw e;
    }
  }

  /** One exchange with the account's token; when the store refuses the token, a fresh one and one repeat. */
  private async authorized<T extends z.ZodType>(spec: CallSpec<T>, etag: string | null, signal: AbortSignal | undefined): Promise<Fetched<Answer<T>>> {
    const token = await this.tokens.current(signal);
    try {
      return await this.exchange(spec, token, etag, signal);
    } catch (e) {
      if (!(e instanceof StoreAuthError)) throw e;
      this.tokens.invalidate(token);
      const fresh = await this.tokens.current(signal);
      if (fresh === token) throw e;
      // The store refused the token before acting on the request (401/403 or an auth errorCode), so the refused call
      // did nothing; repeating it once with the fresh token is safe, even a create-order: no order was created.
      return await this.exchange(spec, fresh, etag, signal);
    }
  }

  private async exchange<T extends z.ZodType>(
    spec: CallSpec<T>, token: string, etag: string | null, callerSignal: AbortSignal | undefined,
  ): Promise<Fetched<Answer<T>>> {
    const spending = spec.priority === 'spend';
    const baseUrl = await this.opts.endpoints.resolve(spec.op);
    const url = withQuery(new URL(spec.path, baseUrl), spec.query);
    const facts = { op: spec.op, url: url.origin + url.pathname };
    const lease = await this.opts.gate.acquire({ op: spec.op, account: this.opts.account, priority: spec.priority, signal: callerSignal });
    const started = performance.now();
    let status: number | null = null;
    let headers: Record<string, string | string[] | undefined> = {};
    let text: string;
    try {
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
      spec.onSent?.();
      const res = await request(url, {
        method: spec.method,
        dispatcher: this.opts.dispatcher,
        signal,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          origin: STORE_ORIGIN,
          referer: `${STORE_ORIGIN}/`,
          'user-agent': this.opts.userAgent,
          ...(etag === null ? {} : { 'if-none-match': etag }),
        },
      });
      status = res.statusCode;
      headers = res.headers;
      text = await readCapped(res.body, this.maxBodyBytes, () => new StoreMalformed(`body larger than ${this.maxBodyBytes} bytes`, { ...facts, status: res.statusCode }));
    } catch (e) {
      const aborted = callerSignal?.aborted === true;
      // A call its caller abandoned says nothing about the store (and the run may be shutting its actors down).
      if (aborted) {
        lease.release();
      } else {
        const outcome = { status, headers, ms: performance.now() - started };
        lease.settle(outcome);
        this.opts.endpoints.report({ op: spec.op, baseUrl, outcome });
      }
      if (e instanceof StoreMalformed) throw e;
      const timedOut = !aborted && isAbortOrTimeout(e);
      // A spending request that left the process may have created an order even if no answer came back.
      throw new StoreTransportError(aborted ? 'aborted' : timedOut ? 'timeout' : 'connection', spending, facts, e);
    }
    const outcome = { status, headers, ms: performance.now() - started };
    lease.settle(outcome);
    this.opts.endpoints.report({ op: spec.op, baseUrl, outcome });
    if (status === 304) {
      // "Unchanged" is only an answer to a conditional read; it never means "missing".
      if (etag === null) throw new StoreMalformed('304 Not Modified to a read that sent no validator', { ...facts, status });
      return { kind: 'unchanged' };
    }
    const value = this.interpret(spec, status, headers, text, facts);
    const sentTag = status >= 200 && status < 300 ? headerValue(headers['etag']) : undefined;
    return { kind: 'fresh', value, etag: sentTag ?? null };
  }

  private interpret<T extends z.ZodType>(
    spec: CallSpec<T>, status: number, headers: Record<string, string | string[] | undefined>, text: string,
    facts: { op: StoreOperation; url: string },
  ): Answer<T> {
    if (status === 401 || status === 403) throw new StoreAuthError(status, facts);
    const envelope = parseEnvelope(text);
    // Checked before the 404: a refused token must never read as "not published yet".
    if (envelope && !envelope.ok && AUTH_CODES.test(envelope.errorCode)) {
      throw new StoreAuthError(status, { ...facts, errorCode: envelope.errorCode });
    }
    if (status === 404 && spec.notFoundIsAnswer) return NOT_FOUND;
    const httpError = (): StoreHttpError => new StoreHttpError(status, { ...facts, retryAfterMs: retryAfterMs(headers['retry-after']) });
    // A 5xx or 429 is trouble, not a refusal, whatever its body says: it does not promise that nothing was created,
    // and a 429's Retry-After matters more than its errorCode.
    if (status >= 500 || status === 429) throw httpError();
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
}

const NOT_FOUND = Symbol('not-found');

function withQuery(url: URL, query: Record<string, string | number> | undefined): URL {
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, String(v));
  return url;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v.length === 0 || v.length > 512 ? undefined : v;
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

async function readCapped(body: AsyncIterable<Buffer | string> & { destroy?: () => void }, max: number, tooBig: () => Error): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > max) {
      body.destroy?.();
      throw tooBig();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isAbortOrTimeout(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  const code = (e as { code?: string } | null)?.code;
  return name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/** `Retry-After` in ms when it is a sane number of seconds or an HTTP date; undefined otherwise. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  if (/^\d{1,7}$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
