/** Reading Stars: payments.getStarsStatus (the balance) and payments.getStarsTransactions (the payments taken,
 *  newest first, in pages with a `next_offset`). Only the caller's own balance can be read. */
import { Api } from 'telegram';
import type { Accounts, Account } from './accounts.js';
import type { MethodEntry, Methods } from './methods.js';
import { RpcFailure } from './rpc.js';
import type { StarsCharge, StarsLedger } from './stars-ledger.js';
import { tlDate, tlLong } from './tl.js';

/** The most transactions one page holds. */
export const MAX_TRANSACTIONS_PAGE = 100;

/** What the Stars reading methods read. */
export interface StarsStatusDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
  readonly ledger: StarsLedger;
}

/** payments.getStarsStatus, payments.getStarsTransactions. */
export function starsStatusMethods(d: StarsStatusDeps): MethodEntry[] {
  const requireSelf = (peer: unknown, caller: Account): void => {
    if (d.accounts.resolve(peer, caller)?.kind !== 'self') throw new RpcFailure(400, 'PEER_ID_INVALID');
  };
  const balance = (caller: Account): Api.StarsAmount => starsAmount(d.ledger.balance(caller.id));

  return [
    d.methods.user(Api.payments.GetStarsStatus, (req, caller) => {
      requireSelf(req.peer, caller);
      return new Api.payments.StarsStatus({ balance: balance(caller), chats: [], users: [] });
    }),

    d.methods.user(Api.payments.GetStarsTransactions, (req, caller) => {
      requireSelf(req.peer, caller);
      if (req.limit <= 0) throw new RpcFailure(400, 'LIMIT_INVALID');
      const start = req.offset === '' ? 0 : Number(req.offset);
      if (!Number.isSafeInteger(start) || start < 0) throw new RpcFailure(400, 'OFFSET_INVALID');
      // Every charge is outbound: the simulated users only pay.
      const all = req.inbound && !req.outbound ? [] : [...d.ledger.chargesOf(caller.id)];
      if (req.ascending) all.reverse();
      const end = start + Math.min(req.limit, MAX_TRANSACTIONS_PAGE);
      const page = all.slice(start, end);
      return new Api.payments.StarsStatus({
        balance: balance(caller),
        history: page.map((c) => transaction(d, c)),
        ...(end < all.length ? { nextOffset: String(end) } : {}),
        chats: [],
        users: [d.accounts.botTl()],
      });
    }),
  ];
}

/** A Stars amount as TL (whole stars, no fractions). */
export function starsAmount(stars: bigint): Api.StarsAmount {
  return new Api.StarsAmount({ amount: tlLong(stars), nanos: 0 });
}

function transaction(d: StarsStatusDeps, c: StarsCharge): Api.StarsTransaction {
  return new Api.StarsTransaction({
    id: c.chargeId,
    stars: starsAmount(-c.amount),
    date: tlDate(c.at),
    peer: new Api.StarsTransactionPeer({ peer: d.accounts.botPeer() }),
    title: c.title,
    description: c.description,
    // Telegram fills msg_id for paid media only; a bot invoice's payment is found through the bot chat's service
    // message (messageActionPaymentSent with the invoice slug), so the simulation leaves it out too.
  });
}
