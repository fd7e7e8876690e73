/** The Stickerdom API client for one account, over undici with keep-alive. Every call goes through the endpoints
 *  actor (which base URL, and its response caches for reads) and the limiter (may it go now), carries the account's
 *  JWT and the browser-like headers the store expects, is bounded in time and size, and turns every answer into a
 *  parsed value or a typed error (store-answer.ts). A refused token is replaced and the call repeated once; a call
 *  that spends only after a literal 401/403. A caller that gives up gets STORE_ABORTED, never a raw abort reason. */
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { AutomintError, isAutomintError } from '../errors.js';
import type { Nano } from '../money.js';
import type { EndpointResolver, Priority, RateGate } from './request-gate.js';
import type { Fetched, KeptCopy, ResponseReader } from './response-cache.js';
import { collectionSchema, type Collection, type CollectionView } from './collection-answer.js';
import { collectionsSchema, type CollectionListing } from './collections-answer.js';
import {
  authTokenSchema,
  starsInvoiceSchema,
  shopSettingsSchema,
  tonOrderSchema,
  tonPriceSchema,
  type ShopSettings,
  type StarsInvoiceAnswer,
  type TonOrder,
} from './responses.js';
import { etagOf, interpretAnswer, NOT_FOUND, readCappedBody, type Answer, type AnswerSpec, type CallFacts } from './store-answer.js';
import { StoreAuthError, StoreMalformed, StoreProxyFailed, StoreTransportError, type StoreOperation } from './store-error.js';
import type { AccountProxy } from './proxy.js';
import type { StoreApi } from './store-api.js';
import { proxyFailureOf } from './proxy-dispatcher.js';
import { deadline } from '../time/deadline.js';

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
  /** The proxy the account's calls leave through (its dispatcher goes through it): the limiter charges that proxy's
   *  `ip:` pool, and a failure of the proxy itself is told from the store's (STORE_PROXY_FAILED). */
  readonly proxy?: AccountProxy;
  readonly userAgent: string;
  readonly timeoutMs: number;
  /** Answers larger than this are refused unread: a hostile store cannot make us buffer gigabytes. */
  readonly maxBodyBytes?: number;
}

interface CallSpec<T extends z.ZodType> extends AnswerSpec<T> {
  readonly op: StoreOperation;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Record<string, string | number>;
  readonly priority: Priority;
  readonly signal?: AbortSignal;
  /** Called the instant the request is handed to the socket layer (latency measurements). */
  readonly onSent?: () => void;
  /** A call made without the account's token (the login itself). */
  readonly anonymous?: boolean;
  /** Request body, sent as text/plain. */
  readonly body?: string;
}

export class StoreClient implements StoreApi {
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

  /** Gets the account's token ready (its auth actor logs in when it has none); rejects as the auth actor does. */
  async warmUp(signal?: AbortSignal): Promise<void> {
    await this.tokens.current(signal);
  }

  /** `GET /api/v1/shop/settings`. */
  async settings(signal?: AbortSignal): Promise<ShopSettings> {
    const r = await this.call({ op: 'settings', method: 'GET', path: '/api/v1/shop/settings', priority: 'read', schema: shopSettingsSchema, signal });
    return r as ShopSettings;
  }

  /** `GET /api/v1/collection/{id}`: `{published:false}` while the store answers 404. Read by the tolerant reader
   *  (collection-answer.ts); an answer about another collection is malformed (a mirror or cache mixing them up). */
  async collection(collectionId: number, opts: { signal?: AbortSignal; priority?: Priority } = {}): Promise<CollectionView> {
    const path = `/api/v1/collection/${collectionId}`;
    const r = await this.call({
      op: 'collection', method: 'GET', path, priority: opts.priority ?? 'poll',
      schema: collectionSchema, notFoundIsAnswer: true, signal: opts.signal,
    });
    if (r === NOT_FOUND) return { published: false };
    const view = r as Collection;
    if (view.id !== collectionId) {
      throw new StoreMalformed(`collection.id: answered collection ${view.id}, asked ${collectionId}`, { op: 'collection', url: path, status: 200 });
    }
    return { published: true, ...view };
  }

  /** `GET /api/v1/collections`: the collections the store lists now, read by the tolerant reader
   *  (collections-answer.ts). Polled by snipe mode, so at poll priority unless told. */
  async collections(opts: { signal?: AbortSignal; priority?: Priority } = {}): Promise<CollectionListing> {
    const r = await this.call({
      op: 'collections', method: 'GET', path: '/api/v1/collections', priority: opts.priority ?? 'poll', schema: collectionsSchema, signal: opts.signal,
    });
    return r as CollectionListing;
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
   *  timeout, a 5xx); repeated once only after a literal 401/403, which creates nothing. Never cached. */
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

  /** `POST /api/v1/shop/buy`: creates a Stars order and answers its invoice link. Never repeated after a failure
   *  that may have created it, like `buyTon`. Never cached. */
  async buyStars(
    req: { collection: number; character: number; count: number },
    opts: { signal?: AbortSignal; onSent?: () => void } = {},
  ): Promise<StarsInvoiceAnswer> {
    const r = await this.call({
      op: 'buyStars', method: 'POST', path: '/api/v1/shop/buy',
      query: { collection: req.collection, character: req.character, count: req.count },
      priority: 'spend', schema: starsInvoiceSchema, signal: opts.signal, onSent: opts.onSent,
    });
    return r as StarsInvoiceAnswer;
  }

  /** `POST /api/v1/auth` with Telegram web app initData as the body (sent exactly as given: decoding or encoding it
   *  again breaks its signature): the account's JWT. Sent without a token; counted per IP. */
  async logIn(initData: string, signal?: AbortSignal): Promise<string> {
    const r = await this.call({
      op: 'auth', method: 'POST', path: '/api/v1/auth', priority: 'spend', schema: authTokenSchema, signal, anonymous: true, body: initData,
    });
    return r as string;
  }

  private async call<T extends z.ZodType>(spec: CallSpec<T>): Promise<Answer<T>> {
    const responses = this.opts.responses;
    try {
      if (spec.anonymous) return (await this.exchange(spec, null, null, spec.signal, spec.onSent)).value;
      // Never cache a call that spends: every order request must reach the store.
      if (!responses || spec.method !== 'GET' || spec.priority === 'spend') {
        return (await this.authorized(spec, null, spec.signal)).value;
      }
      const url = withQuery(new URL(spec.path, 'http://relative.invalid'), spec.query);
      const key = { op: spec.op, scope: this.opts.account, url: url.pathname + url.search };
      return await responses.read<Answer<T>>(key, ({ kept, signal }) => this.authorized(spec, kept, signal), spec.signal);
    } catch (e) {
      throw asAbandoned(e, spec);
    }
  }

  /** One exchange with the account's token; when the store refuses the token, a fresh one and one repeat. */
  private async authorized<T extends z.ZodType>(
    spec: CallSpec<T>, kept: KeptCopy<Answer<T>> | null, signal: AbortSignal | undefined,
  ): Promise<Fetched<Answer<T>>> {
    const token = await this.tokens.current(signal);
    try {
      return await this.exchange(spec, token, kept, signal, spec.onSent);
    } catch (e) {
      if (!(e instanceof StoreAuthError)) throw e;
      this.tokens.invalidate(token);
      // A literal 401/403 is the store refusing the token before acting on the request, so the refused call did
      // nothing and repeating it, even a create-order, is safe. An auth errorCode on another status promises less:
      // a spending call is not repeated on it.
      if (spec.priority === 'spend' && e.status !== 401 && e.status !== 403) throw e;
      const fresh = await this.tokens.current(signal);
      if (fresh === token) throw e;
      // The send was marked on the first exchange: a second mark would measure the repeat, not the purchase.
      return await this.exchange(spec, fresh, kept, signal, undefined);
    }
  }

  private async exchange<T extends z.ZodType>(
    spec: CallSpec<T>, token: string | null, kept: KeptCopy<Answer<T>> | null, callerSignal: AbortSignal | undefined,
    onSent: (() => void) | undefined,
  ): Promise<Fetched<Answer<T>>> {
    const spending = spec.priority === 'spend';
    const baseUrl = await this.opts.endpoints.resolve(spec.op);
    const url = withQuery(new URL(spec.path, baseUrl), spec.query);
    const facts: CallFacts = { op: spec.op, url: url.origin + url.pathname };
    const proxy = this.opts.proxy;
    const lease = await this.opts.gate.acquire({
      op: spec.op, account: this.opts.account, ...(proxy === undefined ? {} : { proxy: proxy.shown }), priority: spec.priority, signal: callerSignal,
    });
    const started = performance.now();
    let status: number | null = null;
    let headers: Record<string, string | string[] | undefined> = {};
    let text: string;
    // One kept timer per request, spanning the answer and its body, cleared when the request ends (see deadline.ts
    // for why not AbortSignal.timeout).
    const bounded = deadline(this.opts.timeoutMs, { signal: callerSignal });
    try {
      const signal = bounded.signal;
      onSent?.();
      const res = await request(url, {
        method: spec.method,
        dispatcher: this.opts.dispatcher,
        signal,
        body: spec.body,
        headers: {
          accept: 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(spec.body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8' }),
          origin: STORE_ORIGIN,
          referer: `${STORE_ORIGIN}/`,
          'user-agent': this.opts.userAgent,
          ...(kept === null ? {} : { 'if-none-match': kept.etag }),
        },
      });
      status = res.statusCode;
      headers = res.headers;
      const tooBig = (): StoreMalformed => new StoreMalformed(`body larger than ${this.maxBodyBytes} bytes`, { ...facts, status: res.statusCode });
      text = await readCappedBody(res.body, this.maxBodyBytes, tooBig, res.headers);
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
      const timedOut = !aborted && (bounded.expired || isAbortOrTimeout(e));
      // The proxy failing to open the tunnel (refused, wrong password, no answer): nothing reached the store.
      const proxyFailure = aborted || proxy === undefined ? null : proxyFailureOf(e, proxy);
      if (proxyFailure !== null) throw new StoreProxyFailed(proxyFailure, { ...facts, account: this.opts.account, proxy: proxy!.shown });
      // A spending request that left the process may have created an order even if no answer came back.
      throw new StoreTransportError(aborted ? 'aborted' : timedOut ? 'timeout' : 'connection', spending, facts, e);
    } finally {
      bounded.clear();
    }
    const outcome = { status, headers, ms: performance.now() - started };
    lease.settle(outcome);
    this.opts.endpoints.report({ op: spec.op, baseUrl, outcome });
    if (status === 304) {
      // "Unchanged" is only an answer to a conditional read; it never means "missing".
      if (kept === null) throw new StoreMalformed('304 Not Modified to a read that sent no validator', { ...facts, status });
      return kept;
    }
    return { value: interpretAnswer(spec, status, headers, text, facts), etag: etagOf(status, headers) };
  }
}

/** A failure of a call whose caller gave up while it waited for a token, the limiter or a shared read: the raw abort
 *  reason becomes STORE_ABORTED, nothing applied (nothing was sent). Every other failure passes unchanged. */
function asAbandoned(e: unknown, spec: CallSpec<z.ZodType>): unknown {
  const signal = spec.signal;
  if (!signal?.aborted || e instanceof StoreTransportError) return e;
  // A typed error the call produced says more than the abort that came with it (a spending call's may mean an order).
  if (isAutomintError(e) && e !== signal.reason) return e;
  return new StoreTransportError('aborted', false, { op: spec.op, url: spec.path }, e);
}

function withQuery(url: URL, query: Record<string, string | number> | undefined): URL {
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, String(v));
  return url;
}

function isAbortOrTimeout(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  const code = (e as { code?: string } | null)?.code;
  return name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
