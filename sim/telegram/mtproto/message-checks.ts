/** The checks Telegram applies to every message a client sends before it looks at the content, and the
 *  bad_msg_notification codes it answers a failed check with (https://core.telegram.org/mtproto/service_messages_about_messages). */
import { msgIdSeconds } from './msg-id.js';

/** error_code values of bad_msg_notification. */
export const BAD_MSG = {
  /** msg_id too low: the client's clock is behind, or the id is older than 300 s. */
  ID_TOO_LOW: 16,
  /** msg_id too high: more than 30 s ahead of the server's clock. */
  ID_TOO_HIGH: 17,
  /** The two lower bits of a client msg_id must be zero. */
  ID_NOT_DIVISIBLE_BY_4: 18,
  /** A container's msg_id repeats one the session already received. */
  CONTAINER_ID_REPEATED: 19,
  /** The message is older than anything the session still remembers; it cannot tell whether it saw it. */
  MESSAGE_TOO_OLD: 20,
  /** A container came with an odd seqno (msgs_ack is taken with either parity, as Telegram takes it). */
  EVEN_SEQNO_EXPECTED: 34,
  /** A content-related message (a query, a ping) came with an even seqno. */
  ODD_SEQNO_EXPECTED: 35,
  /** The server salt is wrong (sent as bad_server_salt, with the right one). */
  BAD_SERVER_SALT: 48,
  /** A container is malformed, nested, or holds ids not below its own. */
  CONTAINER_INVALID: 64,
} as const;

export type BadMsgCode = (typeof BAD_MSG)[keyof typeof BAD_MSG];

/** How far a client msg_id may lag or lead the server clock, in seconds. */
export const MSG_ID_MAX_PAST_S = 300;
export const MSG_ID_MAX_FUTURE_S = 30;

/** The bad_msg code for a client msg_id, or undefined when it is acceptable at `nowMs`. */
export function checkClientMsgId(msgId: bigint, nowMs: number): BadMsgCode | undefined {
  if (msgId % 4n !== 0n) return BAD_MSG.ID_NOT_DIVISIBLE_BY_4;
  const nowS = nowMs / 1000;
  const claimed = msgIdSeconds(msgId);
  if (claimed < nowS - MSG_ID_MAX_PAST_S) return BAD_MSG.ID_TOO_LOW;
  if (claimed > nowS + MSG_ID_MAX_FUTURE_S) return BAD_MSG.ID_TOO_HIGH;
  return undefined;
}

/** The bad_msg code for a seqno whose parity does not match the message's kind, or undefined. Content-related
 *  messages carry odd seqnos, the rest even ones. */
export function checkSeqNoParity(seqNo: number, contentRelated: boolean): BadMsgCode | undefined {
  const odd = (seqNo & 1) === 1;
  if (contentRelated && !odd) return BAD_MSG.ODD_SEQNO_EXPECTED;
  if (!contentRelated && odd) return BAD_MSG.EVEN_SEQNO_EXPECTED;
  return undefined;
}
