import { describe, expect, it } from 'vitest';
import { AuthKeyStore } from '../../../../../sim/telegram/mtproto/auth-keys.js';
import { msgIdAt } from '../../../../../sim/telegram/mtproto/msg-id.js';
import { Session, SessionRegistry, type MessageSink, type OutgoingMessage } from '../../../../../sim/telegram/mtproto/sessions.js';

const now = 1_700_000_000_000;
const id = (ms: number): bigint => msgIdAt(ms) & ~3n;
const key = () => new AuthKeyStore().mint();

class RecordingSink implements MessageSink {
  open = true;
  readonly got: OutgoingMessage[] = [];
  deliver(_s: Session, m: OutgoingMessage): void {
    this.got.push(m);
  }
}

describe('MTProto sessions', () => {
  it('numbers content-related messages with odd seqnos counting up, the rest with the even one between', () => {
    const s = new Session(key(), 1n, 4n);
    expect([s.nextSeqNo(true), s.nextSeqNo(false), s.nextSeqNo(true), s.nextSeqNo(true), s.nextSeqNo(false)]).toEqual([1, 2, 3, 5, 6]);
  });

  it('reports msgs_state_info states for received, skipped, too new and too old ids', () => {
    const s = new Session(key(), 1n, id(now));
    const a = id(now);
    const b = id(now + 2000);
    s.record(a, { contentRelated: true, query: true });
    s.markAcked(a);
    s.markAnswered(a);
    s.record(b, { contentRelated: false, query: false });
    expect(s.stateOf(a, now)).toBe(4 | 8 | 32 | 64);
    expect(s.stateOf(b, now)).toBe(4 | 16);
    expect(s.stateOf(id(now + 1000), now)).toBe(2);
    expect(s.stateOf(id(now + 5000), now)).toBe(3);
    expect(s.stateOf(id(now - 400_000), now)).toBe(1);
  });

  it('forgets the oldest ids past its memory and calls them too old', () => {
    const s = new Session(key(), 1n, id(now));
    for (let i = 0; i < 2100; i++) s.record(id(now) + BigInt(i) * 4n, { contentRelated: true, query: false });
    expect(s.forgot(id(now))).toBe(true);
    expect(s.has(id(now))).toBe(false);
    expect(s.has(id(now) + 2099n * 4n)).toBe(true);
  });

  it('keeps answers while it has no open connection and hands them to the next one', () => {
    const s = new Session(key(), 1n, 4n);
    const gone = new RecordingSink();
    s.attach(gone);
    gone.open = false;
    s.send({ body: Buffer.from('late'), kind: 'answer', contentRelated: true });
    expect(gone.got).toEqual([]);
    const next = new RecordingSink();
    s.attach(next);
    expect(next.got.map((m) => m.body.toString())).toEqual(['late']);
  });

  it('destroys one session or all of a key', () => {
    const sessions = new SessionRegistry();
    const k = key();
    sessions.open(k, 1n, 4n);
    sessions.open(k, 2n, 4n);
    expect(sessions.destroy(k, 1n)).toBe(true);
    expect(sessions.destroy(k, 1n)).toBe(false);
    sessions.forgetKey(k.id);
    expect(sessions.get(k, 2n)).toBeUndefined();
  });
});
