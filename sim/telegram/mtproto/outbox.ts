/** What one connection has to send, batched per turn of the event loop: the messages of each session, with one
 *  msgs_ack for the client messages that need acknowledging, go out as a single encrypted message or packed into a
 *  msg_container (https://core.telegram.org/mtproto/service_messages#containers). */
import { encryptServerMessage } from './message-crypto.js';
import type { ServerMsgIds } from './msg-id.js';
import type { OutgoingMessage, Session } from './sessions.js';
import { msgContainer, msgsAck, type ContainedMessage } from './service-tl.js';

/** Telegram's own bounds for a container. */
const MAX_CONTAINED = 100;
const MAX_CONTAINER_BYTES = 512 * 1024;

export interface OutboxDeps {
  readonly msgIds: ServerMsgIds;
  readonly now: () => number;
  /** Writes one encrypted MTProto payload to the connection; false when it is closed. */
  readonly write: (payload: Buffer) => boolean;
}

interface Pending {
  readonly messages: OutgoingMessage[];
  readonly acks: bigint[];
}

/** The sending half of one connection. */
export class Outbox {
  private readonly pending = new Map<Session, Pending>();
  private scheduled = false;

  constructor(private readonly deps: OutboxDeps) {}

  /** Queues a message of `session`. */
  add(session: Session, message: OutgoingMessage): void {
    this.entry(session).messages.push(message);
    this.schedule();
  }

  /** Queues an acknowledgment of a client message of `session`. */
  ack(session: Session, msgId: bigint): void {
    this.entry(session).acks.push(msgId);
    this.schedule();
  }

  /** Sends everything queued now. Messages that find the connection closed go back to their session. */
  flush(): void {
    this.scheduled = false;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [session, { messages, acks }] of batches) {
      const all: OutgoingMessage[] = acks.length ? [{ body: msgsAck(acks), kind: 'answer', contentRelated: false }, ...messages] : messages;
      // Writes are synchronous, so the connection is either open for the whole batch or closed from its start.
      const sent = [...chunks(all)].every((chunk) => this.sendChunk(session, chunk));
      if (sent) for (const id of acks) session.markAcked(id);
      else for (const m of messages) session.send(m);
    }
  }

  private sendChunk(session: Session, chunk: readonly OutgoingMessage[]): boolean {
    const [only] = chunk;
    if (chunk.length === 1 && only) {
      return this.encryptAndWrite(session, this.deps.msgIds.next(only.kind), session.nextSeqNo(only.contentRelated), only.body);
    }
    const contained: ContainedMessage[] = chunk.map((m) => ({
      msgId: this.deps.msgIds.next(m.kind),
      seqNo: session.nextSeqNo(m.contentRelated),
      body: m.body,
    }));
    // The container's id comes after (and so is greater than) the ids it holds.
    const kind = chunk.some((m) => m.kind === 'answer') ? 'answer' : 'unsolicited';
    return this.encryptAndWrite(session, this.deps.msgIds.next(kind), session.nextSeqNo(false), msgContainer(contained));
  }

  private encryptAndWrite(session: Session, msgId: bigint, seqNo: number, body: Buffer): boolean {
    const key = session.authKey;
    const salt = key.salts.current(Math.floor(this.deps.now() / 1000));
    return this.deps.write(encryptServerMessage(key.key, key.id, { salt, sessionId: session.id, msgId, seqNo, body }));
  }

  private entry(session: Session): Pending {
    let e = this.pending.get(session);
    if (!e) {
      e = { messages: [], acks: [] };
      this.pending.set(session, e);
    }
    return e;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}

/** Splits messages into runs a container may hold. */
function* chunks(messages: readonly OutgoingMessage[]): Generator<OutgoingMessage[]> {
  let run: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (run.length && (run.length === MAX_CONTAINED || bytes + m.body.length > MAX_CONTAINER_BYTES)) {
      yield run;
      run = [];
      bytes = 0;
    }
    run.push(m);
    bytes += m.body.length + 16;
  }
  if (run.length) yield run;
}
