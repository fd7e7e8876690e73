/** MTProto sessions (https://core.telegram.org/mtproto/description#session): a client-chosen 64-bit id under one auth
 *  key, outliving connections. The server remembers per session what it received (for duplicates, msgs_state_req
 *  and "too old"), the seqno of what it sent, the queries still running, and answers that found no open connection
 *  (sent when the session shows up again). */
import { randomBytes } from 'node:crypto';
import type { AuthKeyRecord } from './auth-keys.js';
import { MSG_ID_MAX_PAST_S } from './message-checks.js';
import { msgIdSeconds, type ServerMessageKind } from './msg-id.js';

/** A message the server sends inside a session. */
export interface OutgoingMessage {
  readonly body: Buffer;
  readonly kind: ServerMessageKind;
  readonly contentRelated: boolean;
}

/** Where a session's messages go: the connection it last spoke on. */
export interface MessageSink {
  readonly open: boolean;
  deliver(session: Session, message: OutgoingMessage): void;
}

/** A query whose handler has not finished; `succeeded` settles with its outcome. */
export interface RunningQuery {
  readonly succeeded: Promise<boolean>;
  dropped: boolean;
}

interface Received {
  readonly contentRelated: boolean;
  readonly query: boolean;
  acked: boolean;
  answered: boolean;
}

/** How many received msg_ids (and finished query outcomes) a session remembers. */
const REMEMBERED = 2048;
/** Answers kept for a session while it has no open connection. */
const MAX_UNDELIVERED = 256;

/** One session of one auth key. */
export class Session {
  readonly uniqueId = randomBytes(8).readBigInt64LE();
  readonly running = new Map<bigint, RunningQuery>();
  private readonly received = new Map<bigint, Received>();
  private readonly outcomes = new Map<bigint, boolean>();
  private readonly undelivered: OutgoingMessage[] = [];
  private sink: MessageSink | undefined;
  private sentContent = 0;
  private forgottenBelow = 0n;
  private highest = 0n;

  constructor(
    readonly authKey: AuthKeyRecord,
    readonly id: bigint,
    /** The msg_id of the first message the session received (new_session_created names it). */
    readonly firstMsgId: bigint,
  ) {}

  /** The seqno of the next server message: odd and counting for content-related ones, even otherwise. */
  nextSeqNo(contentRelated: boolean): number {
    if (!contentRelated) return this.sentContent * 2;
    return this.sentContent++ * 2 + 1;
  }

  /** Routes the session's messages through `sink` from now on and hands it what waited for a connection. */
  attach(sink: MessageSink): void {
    this.sink = sink;
    for (const m of this.undelivered.splice(0)) sink.deliver(this, m);
  }

  /** Sends a message over the session's connection, or keeps it until the session has one again. */
  send(message: OutgoingMessage): void {
    if (this.sink?.open) this.sink.deliver(this, message);
    else if (this.undelivered.length < MAX_UNDELIVERED) this.undelivered.push(message);
  }

  has(msgId: bigint): boolean {
    return this.received.has(msgId);
  }

  /** True when `msgId` is below what the session still remembers (bad_msg 20 territory). */
  forgot(msgId: bigint): boolean {
    return msgId < this.forgottenBelow;
  }

  record(msgId: bigint, what: { contentRelated: boolean; query: boolean }): void {
    this.received.set(msgId, { ...what, acked: false, answered: false });
    if (msgId > this.highest) this.highest = msgId;
    if (this.received.size > REMEMBERED) {
      const oldest = this.received.keys().next().value;
      if (oldest !== undefined) {
        this.received.delete(oldest);
        if (oldest >= this.forgottenBelow) this.forgottenBelow = oldest + 1n;
      }
    }
  }

  markAcked(msgId: bigint): void {
    const r = this.received.get(msgId);
    if (r) r.acked = true;
  }

  markAnswered(msgId: bigint): void {
    const r = this.received.get(msgId);
    if (r) r.answered = true;
  }

  /** Remembers how a query ended, for invokeAfterMsg. */
  finish(msgId: bigint, succeeded: boolean): void {
    this.running.delete(msgId);
    this.outcomes.set(msgId, succeeded);
    if (this.outcomes.size > REMEMBERED) {
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) this.outcomes.delete(oldest);
    }
  }

  /** How a finished query ended; undefined when it is unknown or still running. */
  outcome(msgId: bigint): boolean | undefined {
    return this.outcomes.get(msgId);
  }

  /** The msgs_state_info byte for one msg_id (https://core.telegram.org/mtproto/service_messages_about_messages). */
  stateOf(msgId: bigint, nowMs: number): number {
    const r = this.received.get(msgId);
    if (r) {
      return 4 | (r.acked ? 8 : 0) | (r.contentRelated ? 0 : 16) | (r.query ? 32 : 0) | (r.answered ? 64 : 0);
    }
    if (msgId < this.forgottenBelow || msgIdSeconds(msgId) < nowMs / 1000 - MSG_ID_MAX_PAST_S) return 1;
    if (msgId > this.highest) return 3;
    return 2;
  }
}

/** Sessions kept per auth key; GramJS opens a new one on every reconnect, so the oldest are let go. */
const MAX_SESSIONS_PER_KEY = 64;

/** The sessions of every auth key. */
export class SessionRegistry {
  private readonly byKey = new Map<bigint, Map<bigint, Session>>();

  get(authKey: AuthKeyRecord, sessionId: bigint): Session | undefined {
    return this.byKey.get(authKey.id)?.get(sessionId);
  }

  /** Starts a session whose first message is `firstMsgId`. */
  open(authKey: AuthKeyRecord, sessionId: bigint, firstMsgId: bigint): Session {
    let sessions = this.byKey.get(authKey.id);
    if (!sessions) {
      sessions = new Map();
      this.byKey.set(authKey.id, sessions);
    }
    const session = new Session(authKey, sessionId, firstMsgId);
    sessions.set(sessionId, session);
    if (sessions.size > MAX_SESSIONS_PER_KEY) {
      const oldest = sessions.keys().next().value;
      if (oldest !== undefined) sessions.delete(oldest);
    }
    return session;
  }

  /** Forgets one session; true when it existed. */
  destroy(authKey: AuthKeyRecord, sessionId: bigint): boolean {
    return this.byKey.get(authKey.id)?.delete(sessionId) ?? false;
  }

  /** Forgets every session of an auth key. */
  forgetKey(authKeyId: bigint): void {
    this.byKey.delete(authKeyId);
  }
}
