/** The voucher issuer's HTTP API, as this plugin uses it. The voucher code is the bearer credential of every call.
 *
 *  GET  /v1/voucher               → {balance}                  the voucher's balance, whole stars as digit text
 *  GET  /v1/invoices/{slug}       → {amount, currency, expiresAt}  a store invoice as the issuer would pay it (404: none)
 *  PUT  /v1/redemptions/{id}  {invoice}  → a redemption         pays the invoice from the voucher, once per id: the same
 *                                                              id again answers the first redemption, never pays twice
 *  GET  /v1/redemptions/{id}      → a redemption               (404: none with that id)
 *
 *  A redemption is {id, invoice, state: 'paid', chargeId, amount} or {id, invoice, state: 'refused', reason}. */
import type { VoucherConfig } from './config.js';
import { IssuerError } from './issuer-error.js';
import { withTimeout } from './with-timeout.js';

/** A store invoice as the issuer sees it. */
export interface IssuerInvoice {
  /** Whole stars. */
  readonly amount: bigint;
  readonly currency: string;
  /** Epoch ms after which the store takes no payment for it. */
  readonly expiresAt: number;
}

export type Redemption =
  | { readonly id: string; readonly invoice: string; readonly state: 'paid'; readonly chargeId: string; readonly amount: bigint }
  | { readonly id: string; readonly invoice: string; readonly state: 'refused'; readonly reason: string };

export class IssuerClient {
  constructor(private readonly config: VoucherConfig) {}

  /** The voucher's balance, in whole stars. */
  async balance(signal?: AbortSignal): Promise<bigint> {
    const body = (await this.call('GET', '/v1/voucher', signal)) as { balance?: unknown };
    return digits(body.balance, 'balance');
  }

  /** The invoice with this slug, or null when the issuer knows none. */
  async invoice(slug: string, signal?: AbortSignal): Promise<IssuerInvoice | null> {
    const body = (await this.call('GET', `/v1/invoices/${encodeURIComponent(slug)}`, signal, undefined, true)) as Record<string, unknown> | null;
    if (body === null) return null;
    const expiresAt = body['expiresAt'];
    if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt)) throw malformed('expiresAt');
    return { amount: digits(body['amount'], 'amount'), currency: String(body['currency']), expiresAt };
  }

  /** Pays `invoice` from the voucher under redemption id `id`; the same id again answers the first redemption. */
  async redeem(id: string, invoice: string, signal?: AbortSignal): Promise<Redemption> {
    return redemptionOf(await this.call('PUT', `/v1/redemptions/${encodeURIComponent(id)}`, signal, { invoice }));
  }

  /** The redemption with this id, or null when the issuer has none. */
  async redemption(id: string, signal?: AbortSignal): Promise<Redemption | null> {
    const body = await this.call('GET', `/v1/redemptions/${encodeURIComponent(id)}`, signal, undefined, true);
    return body === null ? null : redemptionOf(body);
  }

  private async call(method: 'GET' | 'PUT', path: string, signal: AbortSignal | undefined, body?: unknown, notFoundIsNull = false): Promise<unknown> {
    const url = new URL(path, this.config.issuerUrl);
    let res: Response;
    let text: string;
    try {
      ({ res, text } = await withTimeout(this.config.timeoutMs, signal, async (s) => {
        const r = await fetch(url, {
          method, signal: s,
          headers: { authorization: `Bearer ${this.config.code}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { res: r, text: await r.text() };
      }));
    } catch (e) {
      // A PUT that got no answer may still have been carried out: the caller treats it as an unknown outcome.
      throw new IssuerError('VOUCHER_ISSUER_UNREACHABLE', `voucher issuer ${url.origin} did not answer ${method} ${url.pathname}`, { url: url.origin + url.pathname, maybeApplied: method === 'PUT' }, e);
    }
    if (res.status === 404 && notFoundIsNull) return null;
    if (res.status === 401 || res.status === 403) {
      // Only a person can fix a refused voucher (a typo, a revoked code): the host stops trying (isPermanent).
      throw new IssuerError('VOUCHER_REFUSED', `the voucher issuer at ${url.origin} refused the voucher code (HTTP ${res.status})`, { url: url.origin, permanent: true });
    }
    if (res.status !== 200) throw new IssuerError('VOUCHER_ISSUER_HTTP', `voucher issuer answered HTTP ${res.status} to ${method} ${url.pathname}`, { status: res.status, url: url.origin + url.pathname });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw malformed('body');
    }
  }
}

function redemptionOf(body: unknown): Redemption {
  const r = body as Record<string, unknown>;
  const id = r['id'];
  const invoice = r['invoice'];
  if (typeof id !== 'string' || typeof invoice !== 'string') throw malformed('redemption');
  if (r['state'] === 'paid' && typeof r['chargeId'] === 'string') return { id, invoice, state: 'paid', chargeId: r['chargeId'], amount: digits(r['amount'], 'amount') };
  if (r['state'] === 'refused') return { id, invoice, state: 'refused', reason: String(r['reason'] ?? 'refused') };
  throw malformed('redemption.state');
}

function digits(v: unknown, field: string): bigint {
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v)) throw malformed(field);
  return BigInt(v);
}

function malformed(field: string): IssuerError {
  return new IssuerError('VOUCHER_ISSUER_MALFORMED', `voucher issuer's answer has no readable ${field}`, { field });
}
