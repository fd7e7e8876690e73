/** What happens to an encrypted client message, in Telegram's order (https://core.telegram.org/mtproto/description,
 *  /service_messages_about_messages): the auth key must be known (else -404 and close), msg_key must match (else
 *  close), msg_id must be sane (else bad_msg_notification), the salt must be current (else bad_server_salt, and the
 *  client re-sends); a new session id opens a session (new_session_created); then containers and gzip_packed are
 *  opened, duplicates ignored, seqno parity checked, content-related messages acknowledged, and each message goes to
 *  the service handlers or to the RPC dispatcher. */
import { gunzipSync } from 'node:zlib';
import { BinaryReader } from 'telegram/extensions/index.js';
import { TypeNotFoundError } from 'telegram/errors/Common.js';
import type { LayerCodec } from '../layers/layer-codec.js';
import { codecForLayer } from '../layers/layer-choice.js';
import { UnknownConstructorError, UnservedFieldError } from '../layers/layer-decoder.js';
import type { AuthKeyRecord, AuthKeyStore } from './auth-keys.js';
import { decryptClientMessage, type MessageEnvelope } from './message-crypto.js';
import { BAD_MSG, checkClientMsgId, checkSeqNoParity, type BadMsgCode } from './message-checks.js';
import { MtprotoProtocolError, TRANSPORT_ERROR_NOT_FOUND } from './protocol-error.js';
import type { RpcDispatcher } from './rpc-dispatch.js';
import { acknowledgedByAnswer, answerServiceMessage, serviceMessageName, type ServiceLink } from './service-messages.js';
import { badMsgNotification, badServerSalt, CTOR, newSessionCreated, rpcError } from './service-tl.js';
import { Session, type SessionRegistry } from './sessions.js';
import type { StatsCounter } from './stats.js';

/** The connection a message came on, as the intake needs it. */
export interface ClientLink extends ServiceLink {
  /** True when the transport may append up to 15 random bytes to a payload (padded intermediate). */
  readonly paddedTransport: boolean;
  /** Queues an acknowledgment of a content-related client message. */
  ack(session: Session, msgId: bigint): void;
}

export interface MessageIntakeDeps {
  readonly keys: AuthKeyStore;
  readonly sessions: SessionRegistry;
  readonly dispatcher: RpcDispatcher;
  readonly stats: StatsCounter;
  readonly now: () => number;
}

/** A gzip_packed message may not unpack to more than this. */
const MAX_UNPACKED_BYTES = 16 * 1024 * 1024;

/** The receiving half of the server for encrypted messages. */
export class MessageIntake {
  constructor(private readonly deps: MessageIntakeDeps) {}

  /** Takes one encrypted packet. Throws MtprotoProtocolError when the connection must close. */
  receive(link: ClientLink, packet: Buffer): void {
    const keyId = packet.readBigUInt64LE(0);
    const authKey = this.deps.keys.get(keyId);
    if (!authKey) {
      throw new MtprotoProtocolError('AUTH_KEY_UNKNOWN', 'message under an unknown auth key', {}, TRANSPORT_ERROR_NOT_FOUND);
    }
    const m = decryptClientMessage(authKey.key, packet, link.paddedTransport);
    const nowMs = this.deps.now();
    const existing = this.deps.sessions.get(authKey, m.sessionId);
    const idProblem = checkClientMsgId(m.msgId, nowMs);
    if (idProblem !== undefined) return this.rejectMsg(link, existing ?? detached(authKey, m), m.msgId, m.seqNo, idProblem);
    if (!authKey.salts.accepts(m.salt, nowMs / 1000)) {
      const session = existing ?? detached(authKey, m);
      session.attach(link);
      this.deps.stats.badSalt();
      session.send({ body: badServerSalt(m.msgId, m.seqNo, authKey.salts.current(nowMs / 1000)), kind: 'answer', contentRelated: true });
      return;
    }
    let session = existing;
    if (!session) {
      session = this.deps.sessions.open(authKey, m.sessionId, m.msgId);
      session.attach(link);
      const salt = authKey.salts.current(nowMs / 1000);
      session.send({ body: newSessionCreated(m.msgId, session.uniqueId, salt), kind: 'unsolicited', contentRelated: true });
    } else {
      session.attach(link);
    }
    this.message(link, session, m.msgId, m.seqNo, m.body, false);
  }

  /** One message: checks that need its id and seqno, then its content. */
  private message(link: ClientLink, session: Session, msgId: bigint, seqNo: number, body: Buffer, contained: boolean): void {
    if (body.length < 4) throw malformed('message body shorter than a constructor');
    const isContainer = body.readUInt32LE(0) === CTOR.msgContainer;
    if (session.has(msgId)) {
      // A re-sent message is not processed twice; a container id may not repeat at all.
      if (isContainer) this.rejectMsg(link, session, msgId, seqNo, BAD_MSG.CONTAINER_ID_REPEATED);
      return;
    }
    if (session.forgot(msgId)) return this.rejectMsg(link, session, msgId, seqNo, BAD_MSG.MESSAGE_TOO_OLD);
    if (isContainer) {
      if (contained) return this.rejectMsg(link, session, msgId, seqNo, BAD_MSG.CONTAINER_INVALID);
      return this.container(link, session, msgId, seqNo, body);
    }
    const read = this.content(link, session, msgId, seqNo, body);
    if (read === undefined) return;
    const { obj, codec } = read;
    const serviceName = serviceMessageName(obj);
    const isQuery = serviceName === undefined && isRequest(obj);
    // msgs_ack is taken whatever its seqno parity, as Telegram takes it (a client that numbers its acks
    // content-related would otherwise loop on bad_msg 34), and is never acknowledged itself.
    const isAck = serviceName === 'MsgsAck';
    const parity = isAck ? undefined : checkSeqNoParity(seqNo, true);
    if (parity !== undefined && (isQuery || serviceName !== undefined)) return this.rejectMsg(link, session, msgId, seqNo, parity);
    // A service message answered directly (ping → pong, …) is acknowledged by that answer, not by msgs_ack.
    const needsAck = (seqNo & 1) === 1 && !isAck && !acknowledgedByAnswer(obj);
    // The session's contentRelated is what msgs_state_info reports as "requires acknowledgment" (+16 when not).
    session.record(msgId, { contentRelated: needsAck, query: isQuery });
    if (needsAck) link.ack(session, msgId);
    const nowMs = this.deps.now();
    if (serviceName !== undefined) {
      this.deps.stats.serviceMessage(serviceName);
      answerServiceMessage(obj, { link, session, sessions: this.deps.sessions, msgId, nowMs });
    } else if (isQuery) {
      this.deps.dispatcher.start(obj, session, msgId, codec);
    }
    // Anything else (a constructor such as msgs_state_info the client volunteers) needs no answer.
  }

  private container(link: ClientLink, session: Session, containerId: bigint, seqNo: number, body: Buffer): void {
    const inner = readContainer(body);
    if (!inner || inner.some((m) => m.msgId >= containerId)) {
      return this.rejectMsg(link, session, containerId, seqNo, BAD_MSG.CONTAINER_INVALID);
    }
    const parity = checkSeqNoParity(seqNo, false);
    if (parity !== undefined) return this.rejectMsg(link, session, containerId, seqNo, parity);
    session.record(containerId, { contentRelated: false, query: false });
    const nowMs = this.deps.now();
    for (const m of inner) {
      const problem = checkClientMsgId(m.msgId, nowMs);
      if (problem !== undefined) this.rejectMsg(link, session, m.msgId, m.seqNo, problem);
      else this.message(link, session, m.msgId, m.seqNo, m.body, true);
    }
  }

  /** The TL object of a message, gzip_packed opened, with the codec of the layer it was read in (undefined: GramJS's
   *  classes), which its answer is written in too; undefined when it does not parse (the client then gets rpc_error
   *  400 for a query, as Telegram does, and nothing otherwise). */
  private content(link: ClientLink, session: Session, msgId: bigint, seqNo: number, body: Buffer): { obj: object; codec: LayerCodec | undefined } | undefined {
    let bytes = body;
    if (bytes.readUInt32LE(0) === CTOR.gzipPacked) {
      try {
        bytes = gunzipSync(new BinaryReader(bytes.subarray(4)).tgReadBytes(), { maxOutputLength: MAX_UNPACKED_BYTES });
      } catch {
        throw malformed('gzip_packed does not unpack');
      }
      if (bytes.length < 4) throw malformed('gzip_packed holds less than a constructor');
    }
    let failure: unknown;
    const codec = layerCodecOf(bytes, session);
    try {
      // A query in another layer than GramJS's is read by that layer's schema; service messages (not in any API
      // layer) and GramJS's own layer by GramJS's classes.
      if (codec) return { obj: codec.decode(bytes), codec };
      const obj: unknown = new BinaryReader(bytes).tgReadObject();
      // GramJS's own core types (rpc_result, …) read asynchronously; a client has no business sending them.
      if (typeof obj === 'object' && obj !== null && !(obj instanceof Promise)) return { obj, codec: undefined };
    } catch (e) {
      failure = e;
    }
    if (seqNo & 1) {
      session.record(msgId, { contentRelated: true, query: true });
      link.ack(session, msgId);
      const message = unreadableQueryError(failure);
      this.deps.stats.rpcError(message);
      session.send({ body: rpcError(msgId, 400, message), kind: 'answer', contentRelated: true });
    }
    return undefined;
  }

  private rejectMsg(link: ClientLink, session: Session, msgId: bigint, seqNo: number, code: BadMsgCode): void {
    session.attach(link);
    this.deps.stats.badMsg(code);
    session.send({ body: badMsgNotification(msgId, seqNo, code), kind: 'answer', contentRelated: true });
  }
}

interface Contained {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/** The messages of a msg_container, or undefined when its layout is broken. */
function readContainer(body: Buffer): Contained[] | undefined {
  if (body.length < 8) return undefined;
  const count = body.readInt32LE(4);
  if (count < 1 || count > 1024) return undefined;
  const out: Contained[] = [];
  let at = 8;
  for (let i = 0; i < count; i++) {
    if (body.length - at < 16) return undefined;
    const length = body.readInt32LE(at + 12);
    if (length < 4 || length % 4 !== 0 || body.length - at - 16 < length) return undefined;
    out.push({ msgId: body.readBigInt64LE(at), seqNo: body.readInt32LE(at + 8), body: body.subarray(at + 16, at + 16 + length) });
    at += 16 + length;
  }
  return at === body.length ? out : undefined;
}

/** A session object for answering a message whose session the server does not (yet) have: not registered, so the
 *  next acceptable message still opens the session properly. */
function detached(authKey: AuthKeyRecord, m: MessageEnvelope): Session {
  return new Session(authKey, m.sessionId, m.msgId);
}

/** The codec of the layer a query is in: the layer it announces (invokeWithLayer, recorded on its auth key even if
 *  the query then fails to read, as the client counts the layer announced once answered) or the one its auth key
 *  announced before; undefined for GramJS's layer and for what no API layer holds (service messages). */
function layerCodecOf(bytes: Buffer, session: Session): LayerCodec | undefined {
  const announced = announcedLayer(bytes);
  if (announced !== undefined) session.authKey.layer = announced;
  const codec = codecForLayer(session.authKey.layer);
  return codec?.knows(bytes.readUInt32LE(0)) ? codec : undefined;
}

/** The layer an invokeWithLayer announces, looked for through the wrappers that may come before it (the same in
 *  every layer); initConnection goes inside invokeWithLayer, so it is not looked through. */
function announcedLayer(bytes: Buffer): number | undefined {
  let at = 0;
  for (let depth = 0; depth < 8 && bytes.length >= at + 8; depth++) {
    const ctor = bytes.readUInt32LE(at);
    if (ctor === CTOR.invokeWithLayer) return bytes.readInt32LE(at + 4);
    if (ctor === CTOR.invokeAfterMsg) at += 4 + 8;
    else if (ctor === CTOR.invokeWithoutUpdates) at += 4;
    else if (ctor === CTOR.invokeAfterMsgs && bytes.length >= at + 12) at += 12 + 8 * Math.max(0, bytes.readInt32LE(at + 8));
    else return undefined;
  }
  return undefined;
}

/** The rpc_error message for a query that cannot be read: an unknown method, an unknown constructor inside a known
 *  one, a field the simulator does not serve, or bytes that do not parse. */
function unreadableQueryError(e: unknown): string {
  if (e instanceof UnknownConstructorError) return e.nested ? 'INPUT_CONSTRUCTOR_INVALID' : 'INPUT_METHOD_INVALID';
  if (e instanceof TypeNotFoundError) return 'INPUT_METHOD_INVALID';
  if (e instanceof UnservedFieldError) return 'INPUT_FIELD_NOT_SIMULATED';
  return 'INPUT_FETCH_ERROR';
}

function isRequest(obj: object): boolean {
  return 'classType' in obj && obj.classType === 'request';
}

function malformed(message: string): MtprotoProtocolError {
  return new MtprotoProtocolError('MESSAGE_MALFORMED', message);
}
