/** Everything the simulated Telegram serves, without the transport: its state (accounts, logins, 2FA, Stars,
 *  bot chats) and the handler table the MTProto server dispatches to, with request counting and injected faults
 *  wrapped around every method. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../store/clock.js';
import type { InvoiceDesk } from '../stars-invoices.js';
import { Accounts, type StoreBotSpec, type TelegramUserSpec } from './accounts.js';
import { Authorizations } from './authorizations.js';
import { BotChats } from './bot-chat.js';
import { FaultPlan } from './faults.js';
import { helpMethods } from './help.js';
import { LoginCodes } from './login-codes.js';
import { loginMethods } from './login.js';
import { messagesMethods } from './messages.js';
import { Methods, type MethodEntry } from './methods.js';
import { PaymentForms } from './payment-forms.js';
import { RpcFailure, type RpcContext, type RpcHandler, type RpcHandlers } from './rpc.js';
import { StarsLedger } from './stars-ledger.js';
import { starsPaymentMethods } from './stars-payments.js';
import { starsStatusMethods } from './stars-status.js';
import { TwoFactor } from './two-factor.js';
import { updatesStateMethods } from './updates-state.js';
import { usersMethods } from './users.js';
import { webViewMethods } from './web-views.js';

/** What the RPC side needs from whoever runs it. */
export interface TelegramRpcOptions {
  readonly users: readonly TelegramUserSpec[];
  readonly storeBot: StoreBotSpec;
  readonly invoices: InvoiceDesk;
  readonly clock: Clock;
  readonly formTtlMs: number;
  /** Where clients reach the server (help.getConfig lists it). */
  readonly address: () => { readonly host: string; readonly port: number };
  /** Closes the connection the call came on instead of answering it (an injected disconnect). Must not return
   *  normally: it rejects (or throws) once the connection is gone. */
  readonly hangUp: (ctx: RpcContext) => Promise<never>;
}

/** The state of the simulated Telegram and the handlers that serve it. */
export class TelegramRpc {
  readonly accounts: Accounts;
  readonly authorizations = new Authorizations();
  readonly codes: LoginCodes;
  readonly ledger: StarsLedger;
  readonly chats: BotChats;
  readonly faults: FaultPlan;
  /** Handlers keyed by TL className, for the MTProto server. */
  readonly handlers: RpcHandlers;
  private readonly requestCounts = new Map<string, number>();

  constructor(private readonly opts: TelegramRpcOptions) {
    this.accounts = new Accounts(opts.users, opts.storeBot);
    this.codes = new LoginCodes(opts.clock);
    this.ledger = new StarsLedger(opts.users.map((u) => [u.userId, u.stars] as const));
    this.chats = new BotChats(opts.storeBot.userId);
    const methods = new Methods(this.accounts, this.authorizations);
    const { accounts, authorizations, codes, ledger, chats } = this;
    const { clock } = opts;
    const entries: MethodEntry[] = [
      ...helpMethods({ methods, clock, address: opts.address }),
      ...updatesStateMethods({ methods, accounts, chats, clock }),
      ...loginMethods({ methods, accounts, authorizations, codes, twoFactor: new TwoFactor(clock) }),
      ...usersMethods({ methods, accounts }),
      ...webViewMethods({ methods, accounts, clock }),
      ...starsStatusMethods({ methods, accounts, ledger }),
      ...starsPaymentMethods({ methods, accounts, ledger, chats, clock, desk: opts.invoices, forms: new PaymentForms(clock, opts.formTtlMs) }),
      ...messagesMethods({ methods, accounts, chats }),
    ];
    this.faults = new FaultPlan(new Set(entries.map(([name]) => name)));
    this.handlers = Object.fromEntries(entries.map(([name, serve]) => [name, this.instrument(name, serve)]));
  }

  /** Requests received per method (className), faulted ones included. */
  requests(): Record<string, number> {
    return Object.fromEntries(this.requestCounts);
  }

  /** Counts the call, then answers it, fails it with an injected flood wait or RPC error, answers it late, or hangs up
   *  before or after the work. */
  private instrument(name: string, serve: RpcHandler): RpcHandler {
    return async (request, ctx) => {
      this.requestCounts.set(name, (this.requestCounts.get(name) ?? 0) + 1);
      const fault = this.faults.take(name);
      if (fault?.kind === 'flood-wait') throw new RpcFailure(420, `FLOOD_WAIT_${fault.seconds}`);
      if (fault?.kind === 'rpc-error') throw new RpcFailure(fault.code, fault.message);
      if (fault?.kind === 'delay') {
        await sleep(fault.ms);
        return serve(request, ctx);
      }
      if (fault?.kind === 'disconnect' && !fault.afterWork) return this.opts.hangUp(ctx);
      if (fault?.kind !== 'disconnect') return serve(request, ctx);
      try {
        await serve(request, ctx);
      } catch {
        // The work failed on its own; the client still sees only the connection close.
      }
      return this.opts.hangUp(ctx);
    };
  }
}
