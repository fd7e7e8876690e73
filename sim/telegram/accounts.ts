/** Who exists in the simulated Telegram: the users who can log in and the store's bot, with the access hashes that
 *  prove a client learnt of them, and how each is shown as a TL `User`. Identities only: balances, logins and
 *  messages live elsewhere. */
import { Api } from 'telegram';
import { SimTelegramError } from './errors.js';
import { fromTlLong, randomLongId, tlLong } from './tl.js';

/** A Telegram user of the simulated world. */
export interface TelegramUserSpec {
  readonly userId: number;
  /** International number, digits with or without `+`, spaces or dashes. */
  readonly phone: string;
  readonly firstName: string;
  readonly username?: string;
  /** The 2FA password; absent means the account has none. */
  readonly password?: string;
  /** Starting Stars balance. */
  readonly stars: bigint;
  /** When true, `payments.sendStarsForm` answers `paymentVerificationNeeded` and takes nothing. */
  readonly requireVerification?: boolean;
}

/** The store's bot: opens its Mini App in web views and issues the Stars invoices. */
export interface StoreBotSpec {
  readonly userId: number;
  /** Without `@`, e.g. 'sticker_bot'. */
  readonly username: string;
  /** The bot token; signs web view initData. A secret of the simulated world. */
  readonly token: string;
  /** URLs the bot's web views may open (a requested URL must start with one); the first is the main Mini App. */
  readonly webAppUrls: readonly string[];
}

/** A simulated user as the server knows it. */
export interface Account {
  readonly spec: TelegramUserSpec;
  readonly id: number;
  /** The phone as digits only, the form logins are matched on. */
  readonly phoneDigits: string;
  readonly accessHash: bigint;
}

/** The store bot as the server knows it. */
export interface BotAccount {
  readonly spec: StoreBotSpec;
  readonly id: number;
  readonly accessHash: bigint;
}

/** What an InputPeer or InputUser points at, seen from one viewer. */
export type PeerTarget =
  | { readonly kind: 'self'; readonly account: Account }
  | { readonly kind: 'user'; readonly account: Account }
  | { readonly kind: 'bot'; readonly bot: BotAccount };

/** The phone as digits only ('+1 555-0001' → '15550001'). */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** The simulated users and the store bot, fixed when the server starts. */
export class Accounts {
  readonly bot: BotAccount;
  private readonly byId = new Map<number, Account>();
  private readonly byPhone = new Map<string, Account>();

  constructor(users: readonly TelegramUserSpec[], bot: StoreBotSpec) {
    validateBot(bot);
    this.bot = { spec: bot, id: bot.userId, accessHash: randomLongId() };
    const usernames = new Set([bot.username.toLowerCase()]);
    for (const spec of users) {
      validateUser(spec);
      const digits = phoneDigits(spec.phone);
      if (spec.userId === bot.userId || this.byId.has(spec.userId)) {
        throw new SimTelegramError('SPEC_INVALID', `user id ${spec.userId} is used twice`, { userId: spec.userId });
      }
      if (this.byPhone.has(digits)) {
        throw new SimTelegramError('SPEC_INVALID', `phone ${spec.phone} is used twice`, { userId: spec.userId });
      }
      const username = spec.username?.toLowerCase();
      if (username !== undefined) {
        if (usernames.has(username)) {
          throw new SimTelegramError('SPEC_INVALID', `username ${spec.username} is used twice`, { userId: spec.userId });
        }
        usernames.add(username);
      }
      const account: Account = { spec, id: spec.userId, phoneDigits: digits, accessHash: randomLongId() };
      this.byId.set(account.id, account);
      this.byPhone.set(digits, account);
    }
  }

  /** Every simulated user, in the order given. */
  all(): readonly Account[] {
    return [...this.byId.values()];
  }

  /** The user with this id, or undefined (the bot is not a user that can log in). */
  find(userId: number): Account | undefined {
    return this.byId.get(userId);
  }

  /** The user with this id; throws USER_UNKNOWN for anyone else. */
  get(userId: number): Account {
    const account = this.byId.get(userId);
    if (!account) throw new SimTelegramError('USER_UNKNOWN', `no simulated Telegram user ${userId}`, { userId });
    return account;
  }

  /** The user who owns this phone (any formatting), or undefined. */
  findByPhone(phone: string): Account | undefined {
    return this.byPhone.get(phoneDigits(phone));
  }

  /** The bot or user with this username (case-insensitive, `@` allowed), or undefined. */
  findByUsername(username: string): Exclude<PeerTarget, { kind: 'self' }> | undefined {
    const wanted = username.replace(/^@/, '').toLowerCase();
    if (this.bot.spec.username.toLowerCase() === wanted) return { kind: 'bot', bot: this.bot };
    const account = [...this.byId.values()].find((a) => a.spec.username?.toLowerCase() === wanted);
    return account && { kind: 'user', account };
  }

  /** What `input` (an InputUser or InputPeer) names for `viewer`: the viewer, another user or the bot, with the
   *  access hash checked; undefined when it names nobody this viewer may know. */
  resolve(input: unknown, viewer: Account): PeerTarget | undefined {
    if (input instanceof Api.InputUserSelf || input instanceof Api.InputPeerSelf) return { kind: 'self', account: viewer };
    if (!(input instanceof Api.InputUser || input instanceof Api.InputPeerUser)) return undefined;
    const id = fromTlLong(input.userId);
    const hash = fromTlLong(input.accessHash);
    if (id === BigInt(viewer.id)) return { kind: 'self', account: viewer };
    if (id === BigInt(this.bot.id)) return hash === this.bot.accessHash ? { kind: 'bot', bot: this.bot } : undefined;
    const other = this.byId.get(Number(id));
    return other && hash === other.accessHash ? { kind: 'user', account: other } : undefined;
  }

  /** The TL User for `account` as `viewer` sees it (`self` set when it is the viewer; the phone only to oneself). */
  userTl(account: Account, viewer: Account): Api.User {
    const self = account.id === viewer.id;
    return new Api.User({
      id: tlLong(account.id),
      self,
      accessHash: tlLong(account.accessHash),
      firstName: account.spec.firstName,
      ...(account.spec.username === undefined ? {} : { username: account.spec.username }),
      ...(self ? { phone: account.phoneDigits } : {}),
    });
  }

  /** The TL User of the store bot (`bot: true` with a bot_info_version, as Telegram sends bots). */
  botTl(): Api.User {
    return new Api.User({
      id: tlLong(this.bot.id),
      bot: true,
      botInfoVersion: 1,
      accessHash: tlLong(this.bot.accessHash),
      firstName: this.bot.spec.username,
      username: this.bot.spec.username,
    });
  }

  /** The TL peer of the store bot. */
  botPeer(): Api.PeerUser {
    return new Api.PeerUser({ userId: tlLong(this.bot.id) });
  }
}

function validateUser(spec: TelegramUserSpec): void {
  if (!Number.isSafeInteger(spec.userId) || spec.userId <= 0) {
    throw new SimTelegramError('SPEC_INVALID', `user id must be a positive integer, got ${spec.userId}`, { userId: spec.userId });
  }
  if (phoneDigits(spec.phone).length < 5) {
    throw new SimTelegramError('SPEC_INVALID', `user ${spec.userId} has no usable phone number`, { userId: spec.userId });
  }
  if (spec.stars < 0n) {
    throw new SimTelegramError('SPEC_INVALID', `user ${spec.userId} starts with a negative Stars balance`, { userId: spec.userId });
  }
  if (spec.password === '') {
    throw new SimTelegramError('SPEC_INVALID', `user ${spec.userId} has an empty 2FA password (leave it out for none)`, { userId: spec.userId });
  }
}

function validateBot(spec: StoreBotSpec): void {
  if (!Number.isSafeInteger(spec.userId) || spec.userId <= 0) {
    throw new SimTelegramError('SPEC_INVALID', `bot id must be a positive integer, got ${spec.userId}`, { userId: spec.userId });
  }
  if (spec.webAppUrls.length === 0) {
    throw new SimTelegramError('SPEC_INVALID', `bot ${spec.username} has no web app URL`, { username: spec.username });
  }
  if (!/^[A-Za-z0-9_]{4,32}$/.test(spec.username)) {
    throw new SimTelegramError('SPEC_INVALID', `bot username "${spec.username}" is not a Telegram username`, { username: spec.username });
  }
}
