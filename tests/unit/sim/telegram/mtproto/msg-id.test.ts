import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BAD_MSG, checkClientMsgId, checkSeqNoParity } from '../../../../../sim/telegram/mtproto/message-checks.js';
import { msgIdAt, msgIdSeconds, ServerMsgIds } from '../../../../../sim/telegram/mtproto/msg-id.js';

describe('server msg_ids', () => {
  it('increase strictly and keep the residue of their kind, even when the clock stalls or steps back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -2000, max: 2000 }), fc.boolean()), { maxLength: 200 }), (steps) => {
        let now = 1_700_000_000_000;
        const ids = new ServerMsgIds(() => now);
        let last = 0n;
        for (const [delta, answer] of steps) {
          now += delta;
          const id = ids.next(answer ? 'answer' : 'unsolicited');
          expect(id).toBeGreaterThan(last);
          expect(id % 4n).toBe(answer ? 1n : 3n);
          last = id;
        }
      }),
    );
  });

  it('carry the unix time in their upper 32 bits', () => {
    const ids = new ServerMsgIds(() => 1_700_000_123_456);
    expect(msgIdSeconds(ids.next('answer'))).toBe(1_700_000_123);
  });
});

describe('client msg_id and seqno checks', () => {
  const now = 1_700_000_000_000;
  const good = msgIdAt(now) & ~3n;

  it('accepts a current msg_id divisible by 4', () => {
    expect(checkClientMsgId(good, now)).toBeUndefined();
  });

  it.each([
    ['not divisible by 4', good + 2n, BAD_MSG.ID_NOT_DIVISIBLE_BY_4],
    ['301 s old', msgIdAt(now - 301_000) & ~3n, BAD_MSG.ID_TOO_LOW],
    ['31 s ahead', msgIdAt(now + 31_000) & ~3n, BAD_MSG.ID_TOO_HIGH],
  ])('refuses a msg_id %s', (_what, id, code) => {
    expect(checkClientMsgId(id, now)).toBe(code);
  });

  it('accepts the edges of the window: 299 s old, 29 s ahead', () => {
    expect(checkClientMsgId(msgIdAt(now - 299_000) & ~3n, now)).toBeUndefined();
    expect(checkClientMsgId(msgIdAt(now + 29_000) & ~3n, now)).toBeUndefined();
  });

  it('wants odd seqnos for content-related messages and even ones otherwise', () => {
    expect(checkSeqNoParity(3, true)).toBeUndefined();
    expect(checkSeqNoParity(4, false)).toBeUndefined();
    expect(checkSeqNoParity(4, true)).toBe(BAD_MSG.ODD_SEQNO_EXPECTED);
    expect(checkSeqNoParity(3, false)).toBe(BAD_MSG.EVEN_SEQNO_EXPECTED);
  });
});
