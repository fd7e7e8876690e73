import { Address, beginCell, Cell, external, storeMessage, type Message } from '@ton/core';
import { internal } from '@ton/sandbox';
import { describe, expect, it } from 'vitest';
import { parseExternalBoc } from '../../../../sim/chain/external-message.js';

const wallet = new Address(0, Buffer.alloc(32, 7));
const body = beginCell().storeUint(0x7369676e, 32).storeUint(42, 64).endCell();

function boc(message: Message): string {
  return beginCell().store(storeMessage(message)).endCell().toBoc().toString('base64');
}

describe('external messages submitted to sendBoc', () => {
  it('decodes an inbound external message and reports the hash of its cell', () => {
    const message = external({ to: wallet, body });
    const parsed = parseExternalBoc(boc(message));
    expect(parsed.message.info.dest.equals(wallet)).toBe(true);
    expect(parsed.message.body.equals(body)).toBe(true);
    expect(parsed.hash.equals(beginCell().store(storeMessage(message)).endCell().hash())).toBe(true);
  });

  it('gives the same normalized hash whatever StateInit the sender attached', () => {
    const plain = parseExternalBoc(boc(external({ to: wallet, body })));
    const withInit = parseExternalBoc(boc(external({ to: wallet, body, init: { code: Cell.EMPTY, data: Cell.EMPTY } })));
    expect(withInit.hash.equals(plain.hash)).toBe(false);
    expect(withInit.normalizedHash.equals(plain.normalizedHash)).toBe(true);
    const other = parseExternalBoc(boc(external({ to: wallet, body: beginCell().storeUint(1, 8).endCell() })));
    expect(other.normalizedHash.equals(plain.normalizedHash)).toBe(false);
  });

  it.each([
    ['text that is not a BOC', Buffer.from('hello').toString('base64'), 'cannot deserialize'],
    ['a cell that is not a message', beginCell().storeUint(1, 1).endCell().toBoc().toString('base64'), 'cannot parse message'],
    ['an internal message', boc(internal({ from: wallet, to: wallet, value: 1n })), 'not an inbound external message'],
  ])('refuses %s', (_what, text, reason) => {
    expect(() => parseExternalBoc(text)).toThrow(expect.objectContaining({ code: 'BOC_INVALID', message: expect.stringContaining(reason) }));
  });
});
