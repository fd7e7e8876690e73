/** The service messages Telegram answers itself, without any RPC handler
 *  (https://core.telegram.org/mtproto/service_messages): ping and ping_delay_disconnect → pong; get_future_salts →
 *  future_salts; msgs_state_req → msgs_state_info; destroy_session → destroy_session_ok / _none; rpc_drop_answer →
 *  rpc_result with rpc_answer_*; msgs_ack, http_wait and msg_resend_req are taken without an answer. An answer that
 *  is not an rpc_result is also the message's acknowledgment: Telegram puts no msgs_ack for those
 *  (https://core.telegram.org/mtproto/service_messages_about_messages: the server acknowledges a message by its
 *  response; ping and pong "do not require acknowledgments"). */
import { Api } from 'telegram';
import {
  destroySessionResult,
  futureSalts,
  msgsStateInfo,
  pong,
  rpcAnswerDropped,
  rpcResult,
} from './service-tl.js';
import type { MessageSink, OutgoingMessage, Session, SessionRegistry } from './sessions.js';
import { fromBigInteger } from './tl-bytes.js';

/** The connection side a service message may act on. */
export interface ServiceLink extends MessageSink {
  /** ping_delay_disconnect: close the connection unless another ping comes within `seconds`. */
  closeAfter(seconds: number): void;
}

export interface ServiceContext {
  readonly link: ServiceLink;
  readonly session: Session;
  readonly sessions: SessionRegistry;
  /** msg_id of the service message. */
  readonly msgId: bigint;
  readonly nowMs: number;
}

/** The className of `obj` when it is a service message the server takes itself, else undefined. */
export function serviceMessageName(obj: unknown): string | undefined {
  if (!SERVICE_CLASSES.some((c) => obj instanceof c)) return undefined;
  return (obj as { className: string }).className;
}

const SERVICE_CLASSES = [
  Api.Ping,
  Api.PingDelayDisconnect,
  Api.GetFutureSalts,
  Api.MsgsStateReq,
  Api.DestroySession,
  Api.RpcDropAnswer,
  Api.MsgsAck,
  Api.HttpWait,
  Api.MsgResendReq,
] as const;

/** True for the service messages answered by a pong, future_salts, msgs_state_info or destroy_session_*: the answer
 *  acknowledges them, so they are not put in a msgs_ack. rpc_drop_answer is answered by an rpc_result and acknowledged
 *  like any RPC query. */
export function acknowledgedByAnswer(obj: unknown): boolean {
  return ANSWERED_DIRECTLY.some((c) => obj instanceof c);
}

const ANSWERED_DIRECTLY = [Api.Ping, Api.PingDelayDisconnect, Api.GetFutureSalts, Api.MsgsStateReq, Api.DestroySession] as const;

/** Answers a service message (one for which serviceMessageName is defined). */
export function answerServiceMessage(obj: unknown, ctx: ServiceContext): void {
  const reply = (body: Buffer): void => {
    // msgs_state_info reports the answer as generated (+64), as it does for answered queries.
    ctx.session.markAnswered(ctx.msgId);
    ctx.session.send(answer(body));
  };
  if (obj instanceof Api.Ping) {
    reply(pong(ctx.msgId, fromBigInteger(obj.pingId)));
  } else if (obj instanceof Api.PingDelayDisconnect) {
    ctx.link.closeAfter(obj.disconnectDelay);
    reply(pong(ctx.msgId, fromBigInteger(obj.pingId)));
  } else if (obj instanceof Api.GetFutureSalts) {
    const nowS = Math.floor(ctx.nowMs / 1000);
    reply(futureSalts(ctx.msgId, nowS, ctx.session.authKey.salts.upcoming(obj.num, nowS)));
  } else if (obj instanceof Api.MsgsStateReq) {
    reply(msgsStateInfo(ctx.msgId, obj.msgIds.map((id) => ctx.session.stateOf(fromBigInteger(id), ctx.nowMs))));
  } else if (obj instanceof Api.DestroySession) {
    const sessionId = fromBigInteger(obj.sessionId);
    reply(destroySessionResult(sessionId, ctx.sessions.destroy(ctx.session.authKey, sessionId)));
  } else if (obj instanceof Api.RpcDropAnswer) {
    const running = ctx.session.running.get(fromBigInteger(obj.reqMsgId));
    if (running) running.dropped = true;
    reply(rpcResult(ctx.msgId, rpcAnswerDropped(running ? 'running' : 'unknown')));
  }
  // msgs_ack, http_wait (meaningless over TCP) and msg_resend_req (answers are not kept once sent) need nothing.
}

function answer(body: Buffer): OutgoingMessage {
  return { body, kind: 'answer', contentRelated: true };
}
