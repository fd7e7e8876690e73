/** What the crash runner reads after a run: the store's orders and unmatched transfers (admin API), the transfers
 *  into the store's wallet (the chain, over toncenter), and the ledger file (opened read-only). */
import Database from 'better-sqlite3';
import { Address } from '@ton/core';
import { TonClient } from '@ton/ton';
import { request } from 'undici';
import { z } from 'zod';
import { AutomintError } from '../core/errors.js';
import { unitsFromJson, type Currency, type Units } from '../core/money.js';
import type { ChainTransfer, LedgerFacts, WorldFacts, WorldOrder } from './crash-checks.js';
import { readTextComment } from '../plugins/ton/text-comment.js';

const PaymentJson = z.object({ verdict: z.string(), amount: z.string() });
const OrderJson = z.discriminatedUnion('currency', [
  z.object({ id: z.string(), currency: z.literal('TON'), count: z.number().int(), totalAmount: z.string(), payments: z.array(PaymentJson) }),
  z.object({ id: z.string(), currency: z.literal('XTR'), invoiceSlug: z.string(), count: z.number().int(), totalAmount: z.string(), payments: z.array(PaymentJson) }),
]);
const TransferJson = z.object({ txHash: z.string(), comment: z.string().nullable(), amount: z.string() });
const envelope = <T extends z.ZodType>(data: T) => z.object({ ok: z.literal(true), data });

/** The world did not answer the admin API as expected: the run cannot be checked. */
export class WorldUnreadable extends AutomintError {
  constructor(url: string, status: number, body: string) {
    super('WORLD_UNREADABLE', `GET ${url} answered ${status}: ${body.slice(0, 200)}`, { url, status });
  }
}

/** Transactions asked for per page of the store wallet's history. */
const PAGE = 100;

/** The store's and the chain's view of the run. */
export async function readWorld(adminUrl: string, tonEndpoint: string, storeWallet: string): Promise<WorldFacts> {
  const orders = (await getJson(`${adminUrl}/orders`, envelope(z.array(OrderJson)))).data.map((o): WorldOrder => ({
    id: o.id,
    currency: o.currency,
    ledgerKey: o.currency === 'XTR' ? o.invoiceSlug : o.id,
    totalAmount: unitsFromJson(o.currency, o.totalAmount),
    count: o.count,
    payments: o.payments.map((p) => ({ verdict: p.verdict, amount: unitsFromJson(o.currency, p.amount) })),
  }));
  const unmatched = (await getJson(`${adminUrl}/unmatched`, envelope(z.array(TransferJson)))).data.map((t) => ({
    txHash: t.txHash, comment: t.comment, amount: unitsFromJson('TON', t.amount),
  }));
  return { orders, unmatched, chain: await storeTransfers(tonEndpoint, storeWallet) };
}

/** Every successful incoming transfer of the store wallet, newest first, with its text comment. */
async function storeTransfers(endpoint: string, wallet: string): Promise<ChainTransfer[]> {
  const client = new TonClient({ endpoint, timeout: 15_000 });
  const address = Address.parse(wallet);
  const out: ChainTransfer[] = [];
  let cursor: { lt: string; hash: string } | undefined;
  for (;;) {
    const page = await client.getTransactions(address, { limit: PAGE, ...(cursor ?? {}), archival: true });
    // A page after the first starts with the cursor's own transaction.
    const fresh = cursor === undefined ? page : page.slice(1);
    for (const tx of fresh) {
      const msg = tx.inMessage;
      if (msg?.info.type !== 'internal') continue;
      if (tx.description.type === 'generic' && tx.description.aborted) continue;
      out.push({ txHash: tx.hash().toString('hex'), comment: readTextComment(msg.body), amount: msg.info.value.coins });
    }
    if (page.length < PAGE) return out;
    const last = page[page.length - 1]!;
    cursor = { lt: last.lt.toString(), hash: last.hash().toString('base64') };
  }
}


/** The ledger file's orders, spend and open intents; read-only, so the check can never change what it checks. */
export function readLedger(file: string): LedgerFacts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const orders = db.prepare('select order_id, currency, amount, state from orders').all() as
      { order_id: string; currency: Currency; amount: string; state: string }[];
    const consumed = db.prepare("select currency, amount from budget_reservations where state = 'consumed'").all() as
      { currency: Currency; amount: string }[];
    const open = db.prepare("select count(*) as n from payment_intents where state in ('recorded', 'sent', 'unknown')").get() as { n: number };
    const spent: Partial<Record<Currency, Units>> = {};
    for (const r of consumed) spent[r.currency] = (spent[r.currency] ?? 0n) + BigInt(r.amount);
    return {
      orders: orders.map((o) => ({ orderId: o.order_id, currency: o.currency, amount: BigInt(o.amount), state: o.state })),
      spent,
      openIntents: open.n,
    };
  } finally {
    db.close();
  }
}

async function getJson<T extends z.ZodType>(url: string, schema: T): Promise<z.infer<T>> {
  const res = await request(url, { headersTimeout: 15_000, bodyTimeout: 15_000 });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new WorldUnreadable(url, res.statusCode, text);
  return schema.parse(JSON.parse(text));
}
