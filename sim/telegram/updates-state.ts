/** The caller's update state and what changed since an older one: updates.getState (401 until logged in, which is
 *  how GramJS tells whether a session is authorised) and updates.getDifference (https://core.telegram.org/api/updates),
 *  kept consistent with each other. The only updates with a pts this Telegram makes are the payment service messages
 *  posted in the user's chat with the bot (one pts each, handed to the payer in payments.sendStarsForm's answer), so
 *  the state's pts is that chat's and the difference from an older pts is the messages posted since. qts (secret
 *  chats, bot updates) and seq (its Updates carry seq 0: nothing is sequenced) stay 0; the messages are outgoing, so
 *  nothing is unread. */
import { Api } from 'telegram';
import type { Clock } from '../store/clock.js';
import type { Account, Accounts } from './accounts.js';
import type { BotChats } from './bot-chat.js';
import type { MethodEntry, Methods } from './methods.js';
import { RpcFailure } from './rpc.js';
import { tlDate } from './tl.js';

/** The most messages one difference carries; more come as a differenceSlice. Telegram does not publish its own
 *  slice size; this one is small enough that a client catching up after a few dozen payments meets a slice. */
export const MAX_DIFFERENCE_MESSAGES = 100;

/** What the update state methods read. */
export interface UpdatesStateDeps {
  readonly methods: Methods;
  readonly accounts: Accounts;
  readonly chats: BotChats;
  readonly clock: Clock;
}

/** updates.getState, updates.getDifference. */
export function updatesStateMethods(d: UpdatesStateDeps): MethodEntry[] {
  return [
    d.methods.user(Api.updates.GetState, (_req, caller) => state(d.chats.pts(caller.id), tlDate(d.clock()))),
    d.methods.user(Api.updates.GetDifference, (req, caller) => difference(d, req, caller)),
  ];
}

/** differenceEmpty when the client is up to date, differenceTooLong past its pts_total_limit, else the messages
 *  posted since its pts: all of them with the current state, or the oldest ones with the state after the last. */
function difference(d: UpdatesStateDeps, req: Api.updates.GetDifference, caller: Account): Api.updates.TypeDifference {
  const now = tlDate(d.clock());
  const pts = d.chats.pts(caller.id);
  // A pts this account never reached was not handed out by this server.
  if (!Number.isInteger(req.pts) || req.pts < 0 || req.pts > pts) throw new RpcFailure(400, 'PERSISTENT_TIMESTAMP_INVALID');
  if (req.pts === pts) return new Api.updates.DifferenceEmpty({ date: now, seq: 0 });
  if (req.ptsTotalLimit !== undefined && req.ptsTotalLimit > 0 && req.pts + req.ptsTotalLimit < pts) {
    return new Api.updates.DifferenceTooLong({ pts });
  }
  const limit = req.ptsLimit !== undefined && req.ptsLimit > 0 ? Math.min(req.ptsLimit, MAX_DIFFERENCE_MESSAGES) : MAX_DIFFERENCE_MESSAGES;
  const owed = d.chats.postedAfter(caller.id, req.pts);
  const page = owed.slice(0, limit);
  const content = {
    newMessages: page.map((p) => p.message),
    newEncryptedMessages: [],
    otherUpdates: [],
    chats: [],
    users: [d.accounts.botTl(), d.accounts.userTl(caller, caller)],
  };
  const last = page.at(-1);
  if (page.length === owed.length || !last) return new Api.updates.Difference({ ...content, state: state(pts, now) });
  return new Api.updates.DifferenceSlice({ ...content, intermediateState: state(last.pts, last.message.date) });
}

function state(pts: number, date: number): Api.updates.State {
  return new Api.updates.State({ pts, qts: 0, date, seq: 0, unreadCount: 0 });
}
