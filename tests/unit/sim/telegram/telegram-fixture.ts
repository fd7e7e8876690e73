/** A simulated Telegram's RPC side without transport, for handler tests: two users (one with 2FA), the store bot,
 *  a clock the test moves, an in-memory invoice desk, and helpers to call handlers as a given auth key. */
import { Api } from 'telegram';
import { expect } from 'vitest';
import { RpcFailure, type RpcAnswer, type RpcContext } from '../../../../sim/telegram/rpc.js';
import { TelegramRpc } from '../../../../sim/telegram/telegram-rpc.js';
import type { StoreBotSpec, TelegramUserSpec } from '../../../../sim/telegram/accounts.js';
import { tlLong } from '../../../../sim/telegram/tl.js';
import { MemoryInvoiceDesk } from './memory-invoice-desk.js';

export const ALICE: TelegramUserSpec = { userId: 1001, phone: '+1 555 0001', firstName: 'Alice', username: 'alice', stars: 1000n };
export const BOB: TelegramUserSpec = { userId: 1002, phone: '+15550002', firstName: 'Bob', password: 'hunter2', stars: 500n };
export const CAROL: TelegramUserSpec = { userId: 1003, phone: '+15550003', firstName: 'Carol', stars: 900n, requireVerification: true };
export const BOT: StoreBotSpec = {
  userId: 7000,
  username: 'sticker_bot',
  token: '7000:simulated-bot-token',
  webAppUrls: ['https://stickerdom.store/', 'https://api.stickerdom.store/app'],
};

/** A transport-less simulated Telegram and ways to call it. */
export class TelegramFixture {
  now = Date.UTC(2025, 0, 1, 12);
  readonly desk = new MemoryInvoiceDesk(() => this.now);
  readonly hangUps: RpcContext[] = [];
  readonly rpc: TelegramRpc;
  private keys = 0;

  constructor(opts: { formTtlMs?: number; users?: readonly TelegramUserSpec[] } = {}) {
    this.rpc = new TelegramRpc({
      users: opts.users ?? [ALICE, BOB, CAROL],
      storeBot: BOT,
      invoices: this.desk,
      clock: () => this.now,
      formTtlMs: opts.formTtlMs ?? 10 * 60 * 1000,
      address: () => ({ host: '127.0.0.1', port: 4321 }),
      hangUp: (ctx) => {
        this.hangUps.push(ctx);
        return Promise.reject(new Error('connection closed by the test'));
      },
    });
  }

  /** A fresh auth key nobody is logged in with. */
  anonymous(): RpcContext {
    this.keys += 1;
    return { authKeyId: String(900_000 + this.keys), sessionId: String(this.keys), layer: 198 };
  }

  /** A fresh auth key logged in as `userId` (as an issued session is). */
  as(userId: number): RpcContext {
    const ctx = this.anonymous();
    this.rpc.authorizations.bind(ctx.authKeyId, userId);
    return ctx;
  }

  /** Calls the handler for `request` as `ctx`. */
  async call<R extends Api.AnyRequest>(request: R, ctx: RpcContext): Promise<RpcAnswer> {
    const handler = this.rpc.handlers[request.className];
    if (!handler) throw new Error(`no handler for ${request.className}`);
    return handler(request, ctx);
  }

  /** Calls and expects the answer to be an instance of `cls`. */
  async answer<T>(cls: abstract new (...args: never[]) => T, request: Api.AnyRequest, ctx: RpcContext): Promise<T> {
    const answer = await this.call(request, ctx);
    expect(answer).toBeInstanceOf(cls);
    return answer as T;
  }

  /** Calls and expects the RPC error `code` `message`. */
  async failure(request: Api.AnyRequest, ctx: RpcContext, code: number, message: string): Promise<void> {
    const error = await this.call(request, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RpcFailure);
    expect(error).toMatchObject({ errorCode: code, errorMessage: message });
  }
}

/** The bot as an InputUser with the access hash the server gave it. */
export function inputBot(f: TelegramFixture): Api.InputUser {
  return new Api.InputUser({ userId: tlLong(f.rpc.accounts.bot.id), accessHash: tlLong(f.rpc.accounts.bot.accessHash) });
}

/** The bot as an InputPeerUser. */
export function inputBotPeer(f: TelegramFixture): Api.InputPeerUser {
  return new Api.InputPeerUser({ userId: tlLong(f.rpc.accounts.bot.id), accessHash: tlLong(f.rpc.accounts.bot.accessHash) });
}
