/** Reading the user's chat with the store bot: messages.getMessages by id (a missing id answers messageEmpty, as
 *  Telegram does) and messages.getHistory newest first with Telegram's paging (offset_id, offset_date, add_offset,
 *  max_id, min_id, limit), a messagesSlice with the total count when the page is not the whole chat. */
import { Api } from 'telegram';
import type { Accounts, Account } from './accounts.js';
import type { BotChats } from './bot-chat.js';
import type { MethodEntry, Methods } from './methods.js';
import { RpcFailure } from './rpc.js';

/** The most messages one history page holds. */
export const MAX_HISTORY_PAGE = 100;

/** What the message reading methods read. */
export interface MessagesDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
  readonly chats: BotChats;
}

/** messages.getMessages, messages.getHistory. */
export function messagesMethods(d: MessagesDeps): MethodEntry[] {
  return [
    d.methods.user(Api.messages.GetMessages, (req, caller) => {
      const messages = req.id.map((input) => {
        const id = input instanceof Api.InputMessageID ? input.id : 0;
        return d.chats.message(caller.id, id) ?? new Api.MessageEmpty({ id });
      });
      return new Api.messages.Messages({ messages, chats: [], users: [d.accounts.botTl()] });
    }),

    d.methods.user(Api.messages.GetHistory, (req, caller) => {
      const chat = chatWith(d, req.peer, caller);
      const newestFirst = [...chat].reverse().filter((m) => (req.maxId <= 0 || m.id < req.maxId) && (req.minId <= 0 || m.id > req.minId));
      const first = newestFirst.findIndex((m) => (req.offsetId <= 0 || m.id < req.offsetId) && (req.offsetDate <= 0 || m.date < req.offsetDate));
      const start = Math.max(0, (first === -1 ? newestFirst.length : first) + req.addOffset);
      const page = newestFirst.slice(start, start + Math.min(Math.max(req.limit, 0), MAX_HISTORY_PAGE));
      const users = [d.accounts.botTl()];
      if (page.length === chat.length) return new Api.messages.Messages({ messages: page, chats: [], users });
      return new Api.messages.MessagesSlice({ count: chat.length, messages: page, chats: [], users });
    }),
  ];
}

/** The caller's messages with `peer`, oldest first: the bot chat holds the payments; other chats are empty. */
function chatWith(d: MessagesDeps, peer: unknown, caller: Account): readonly Api.MessageService[] {
  const target = d.accounts.resolve(peer, caller);
  if (!target) throw new RpcFailure(400, 'PEER_ID_INVALID');
  return target.kind === 'bot' ? d.chats.messages(caller.id) : [];
}
