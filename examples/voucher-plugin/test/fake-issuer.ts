/** A voucher issuer for tests: the third party whose API the plugin calls (see src/issuer-client.ts), on loopback. It
 *  holds vouchers (code → balance in stars) and pays the store's Stars invoices through the store's invoice desk —
 *  the simulated store's own door for whoever pays an invoice (the test kit's `world.invoices`). Knows nothing of
 *  automint: any object with `find` and `pay` will do. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The store's invoices, as a payer of them sees them. */
export interface InvoiceDesk {
  find(slug: string): { readonly amount: bigint; readonly currency: string; readonly expiresAt: number; readonly buyerUserId: number } | null;
  pay(slug: string, payerUserId: number, chargeId: string): 'paid' | 'already-paid' | 'expired' | 'unknown';
}

type Redemption =
  | { id: string; invoice: string; state: 'paid'; chargeId: string; amount: string }
  | { id: string; invoice: string; state: 'refused'; reason: string };

export interface FakeIssuer {
  readonly url: string;
  /** Sets a voucher's balance, whole stars (creating the voucher). */
  setBalance(code: string, stars: bigint): void;
  balance(code: string): bigint | undefined;
  /** Every request's method and path, oldest first (never its credentials). */
  requests(): readonly string[];
  close(): Promise<void>;
}

/** Starts an issuer on 127.0.0.1 holding `vouchers`. */
export async function startFakeIssuer(desk: InvoiceDesk, vouchers: Record<string, bigint>): Promise<FakeIssuer> {
  const balances = new Map(Object.entries(vouchers));
  const redemptions = new Map<string, Redemption & { code: string }>();
  const log: string[] = [];

  const redeem = (code: string, id: string, slug: string): Redemption => {
    const invoice = desk.find(slug);
    const refuse = (reason: string): Redemption => ({ id, invoice: slug, state: 'refused', reason });
    if (invoice === null) return refuse(`no invoice ${slug}`);
    const balance = balances.get(code)!;
    if (balance < invoice.amount) return refuse(`voucher balance ${balance} is below ${invoice.amount}`);
    const chargeId = `vch-${randomUUID()}`;
    const verdict = desk.pay(slug, invoice.buyerUserId, chargeId);
    if (verdict !== 'paid') return refuse(`the store answered ${verdict}`);
    balances.set(code, balance - invoice.amount);
    return { id, invoice: slug, state: 'paid', chargeId, amount: invoice.amount.toString() };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://issuer.invalid');
    log.push(`${req.method} ${url.pathname}`);
    const code = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (code === undefined || !balances.has(code)) return send(401, { error: 'unknown_voucher' });
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && parts.join('/') === 'v1/voucher') return send(200, { balance: balances.get(code)!.toString() });
    if (req.method === 'GET' && parts[0] === 'v1' && parts[1] === 'invoices' && parts.length === 3) {
      const invoice = desk.find(parts[2]!);
      return invoice === null ? send(404, { error: 'unknown_invoice' }) : send(200, { amount: invoice.amount.toString(), currency: invoice.currency, expiresAt: invoice.expiresAt });
    }
    if (parts[0] === 'v1' && parts[1] === 'redemptions' && parts.length === 3) {
      const id = parts[2]!;
      const kept = redemptions.get(id);
      if (kept !== undefined && kept.code !== code) return send(404, { error: 'unknown_redemption' });
      if (req.method === 'GET') return kept === undefined ? send(404, { error: 'unknown_redemption' }) : send(200, withoutCode(kept));
      if (req.method === 'PUT') {
        let text = '';
        for await (const chunk of req) text += String(chunk);
        const slug = (JSON.parse(text || '{}') as { invoice?: unknown }).invoice;
        if (typeof slug !== 'string') return send(400, { error: 'no_invoice' });
        if (kept !== undefined) return kept.invoice === slug ? send(200, withoutCode(kept)) : send(409, { error: 'redemption_id_taken' });
        const made = redeem(code, id, slug);
        redemptions.set(id, { ...made, code });
        return send(200, made);
      }
    }
    send(404, { error: 'no_such_route' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setBalance: (code, stars) => void balances.set(code, stars),
    balance: (code) => balances.get(code),
    requests: () => [...log],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function withoutCode(r: Redemption & { code: string }): Redemption {
  const { code: _code, ...rest } = r;
  return rest;
}
