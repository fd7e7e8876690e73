/** The bytes of the service messages the server sends (https://core.telegram.org/mtproto/service_messages and
 *  /service_messages_about_messages), written with the constructor ids of Telegram's mtproto schema. */
import { gzipSync } from 'node:zlib';
import type { FutureSalt } from './server-salts.js';
import { TlWriter } from './tl-bytes.js';

export const CTOR = {
  rpcResult: 0xf35c6d01,
  rpcError: 0x2144ca19,
  msgContainer: 0x73f1f8dc,
  gzipPacked: 0x3072cfa1,
  /** invokeWithLayer#da9b0d0d layer:int query:!X: the same in every layer. */
  invokeWithLayer: 0xda9b0d0d,
  /** invokeAfterMsg#cb9f372d msg_id:long query:!X, invokeAfterMsgs#3dc4b4f0 msg_ids:Vector<long> query:!X,
   *  invokeWithoutUpdates#bf9459b7 query:!X: wrappers the same in every layer. */
  invokeAfterMsg: 0xcb9f372d,
  invokeAfterMsgs: 0x3dc4b4f0,
  invokeWithoutUpdates: 0xbf9459b7,
  msgsAck: 0x62d6b459,
  pong: 0x347773c5,
  futureSalts: 0xae500895,
  msgsStateInfo: 0x04deb57d,
  destroySessionOk: 0xe22045fc,
  destroySessionNone: 0x62d350c9,
  newSessionCreated: 0x9ec20908,
  badMsgNotification: 0xa7eff811,
  badServerSalt: 0xedab447b,
  rpcAnswerUnknown: 0x5e2ad36e,
  rpcAnswerDroppedRunning: 0xcd78e586,
} as const;

/** Answers larger than this go out gzip_packed when that makes them smaller (Telegram packs big results too). */
export const GZIP_THRESHOLD_BYTES = 1024;

const w = (): TlWriter => new TlWriter();

/** rpc_result req_msg_id:long result:Object, the result gzip_packed when big and compressible. */
export function rpcResult(reqMsgId: bigint, result: Buffer): Buffer {
  return w().ctor(CTOR.rpcResult).long(reqMsgId).raw(maybeGzip(result)).finish();
}

/** rpc_error error_code:int error_message:string, as the result of rpc_result. */
export function rpcError(reqMsgId: bigint, code: number, message: string): Buffer {
  return rpcResult(reqMsgId, w().ctor(CTOR.rpcError).int(code).bytes(Buffer.from(message, 'utf8')).finish());
}

/** gzip_packed packed_data:bytes when that is shorter than `data`, else `data`. */
export function maybeGzip(data: Buffer): Buffer {
  if (data.length <= GZIP_THRESHOLD_BYTES) return data;
  const packed = w().ctor(CTOR.gzipPacked).bytes(gzipSync(data)).finish();
  return packed.length < data.length ? packed : data;
}

/** msgs_ack msg_ids:Vector<long>. */
export function msgsAck(msgIds: readonly bigint[]): Buffer {
  return w().ctor(CTOR.msgsAck).longVector(msgIds).finish();
}

/** pong msg_id:long ping_id:long, answering the ping sent as `msgId`. */
export function pong(msgId: bigint, pingId: bigint): Buffer {
  return w().ctor(CTOR.pong).long(msgId).long(pingId).finish();
}

/** future_salts req_msg_id:long now:int salts:vector<future_salt>. */
export function futureSalts(reqMsgId: bigint, nowS: number, salts: readonly FutureSalt[]): Buffer {
  // salts:vector<future_salt> is bare twice over: no vector constructor, no future_salt constructor per item.
  const out = w().ctor(CTOR.futureSalts).long(reqMsgId).int(nowS).int(salts.length);
  for (const s of salts) out.int(s.validSince).int(s.validUntil).long(s.salt);
  return out.finish();
}

/** msgs_state_info req_msg_id:long info:string, one state byte per asked msg_id. */
export function msgsStateInfo(reqMsgId: bigint, states: readonly number[]): Buffer {
  return w().ctor(CTOR.msgsStateInfo).long(reqMsgId).bytes(Buffer.from(states)).finish();
}

/** destroy_session_ok, or destroy_session_none when there was no such session. */
export function destroySessionResult(sessionId: bigint, destroyed: boolean): Buffer {
  return w().ctor(destroyed ? CTOR.destroySessionOk : CTOR.destroySessionNone).long(sessionId).finish();
}

/** new_session_created first_msg_id:long unique_id:long server_salt:long. */
export function newSessionCreated(firstMsgId: bigint, uniqueId: bigint, serverSalt: bigint): Buffer {
  return w().ctor(CTOR.newSessionCreated).long(firstMsgId).long(uniqueId).long(serverSalt).finish();
}

/** bad_msg_notification bad_msg_id:long bad_msg_seqno:int error_code:int. */
export function badMsgNotification(badMsgId: bigint, badMsgSeqNo: number, errorCode: number): Buffer {
  return w().ctor(CTOR.badMsgNotification).long(badMsgId).int(badMsgSeqNo).int(errorCode).finish();
}

/** bad_server_salt (error_code 48) with the salt to use instead. */
export function badServerSalt(badMsgId: bigint, badMsgSeqNo: number, newServerSalt: bigint): Buffer {
  return w().ctor(CTOR.badServerSalt).long(badMsgId).int(badMsgSeqNo).int(48).long(newServerSalt).finish();
}

/** The RpcDropAnswer result for a query that is unknown, still running, or already answered. */
export function rpcAnswerDropped(state: 'unknown' | 'running'): Buffer {
  return w().ctor(state === 'unknown' ? CTOR.rpcAnswerUnknown : CTOR.rpcAnswerDroppedRunning).finish();
}

/** One message of a container. */
export interface ContainedMessage {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/** msg_container messages:vector<%Message>. */
export function msgContainer(messages: readonly ContainedMessage[]): Buffer {
  const out = w().ctor(CTOR.msgContainer).int(messages.length);
  for (const m of messages) out.long(m.msgId).int(m.seqNo).int(m.body.length).raw(m.body);
  return out.finish();
}
