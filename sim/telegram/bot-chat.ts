/** Each user's private chat with the store bot, as far as payments show in it: the `messageActionPaymentSent`
 *  service messages Telegram posts when an invoice is paid, numbered per user (message ids are per account in
 *  private chats), and the user's update sequence (pts) they advance. */
import { Api } from 'telegram';
import { tlDate, tlLong } from './tl.js';

/** A service message just posted, with the pts it moved the user's state to. */
export interface PostedMessage {
  readonly message: Api.MessageService;
  readonly pts: number;
}

interface Mailbox {
  /** Oldest first, each with the pts its posting moved the user to. */
  readonly posted: PostedMessage[];
  nextId: number;
  pts: number;
}

/** The user ↔ bot chats of every user. */
export class BotChats {
  private readonly boxes = new Map<number, Mailbox>();

  constructor(private readonly botId: number) {}

  /** Posts "you paid `totalAmount` `currency` for invoice `slug`" in `userId`'s chat with the bot. */
  postPaymentSent(userId: number, payment: { currency: string; totalAmount: bigint; slug: string; at: number }): PostedMessage {
    const box = this.box(userId);
    const message = new Api.MessageService({
      id: box.nextId++,
      peerId: new Api.PeerUser({ userId: tlLong(this.botId) }),
      out: true,
      date: tlDate(payment.at),
      action: new Api.MessageActionPaymentSent({
        currency: payment.currency,
        totalAmount: tlLong(payment.totalAmount),
        invoiceSlug: payment.slug,
      }),
    });
    box.pts += 1;
    const posted = { message, pts: box.pts };
    box.posted.push(posted);
    return posted;
  }

  /** The user's messages with the bot, oldest first. */
  messages(userId: number): readonly Api.MessageService[] {
    return this.postedAfter(userId, 0).map((p) => p.message);
  }

  /** The user's message with this id, or undefined. */
  message(userId: number, id: number): Api.MessageService | undefined {
    return this.boxes.get(userId)?.posted.find((p) => p.message.id === id)?.message;
  }

  /** The messages that moved the user's pts past `pts`, oldest first (what updates.getDifference from `pts` owes). */
  postedAfter(userId: number, pts: number): readonly PostedMessage[] {
    const posted = this.boxes.get(userId)?.posted ?? [];
    return posted.filter((p) => p.pts > pts);
  }

  /** The user's current pts (0 before anything happened). */
  pts(userId: number): number {
    return this.boxes.get(userId)?.pts ?? 0;
  }

  private box(userId: number): Mailbox {
    let box = this.boxes.get(userId);
    if (!box) {
      box = { posted: [], nextId: 1, pts: 0 };
      this.boxes.set(userId, box);
    }
    return box;
  }
}
