import { beginCell, Cell } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { readTextComment } from '../../../plugins/ton/text-comment.js';

describe('text comments', () => {
  it('reads op 0 followed by UTF-8 text, also across referenced cells', () => {
    const long = 'заказ '.repeat(40);
    expect(readTextComment(beginCell().storeUint(0, 32).storeStringTail(long).endCell())).toBe(long);
  });

  it('returns null for bodies that are not text comments', () => {
    expect(readTextComment(Cell.EMPTY)).toBeNull();
    expect(readTextComment(beginCell().storeUint(0x0f8a7ea5, 32).storeUint(1, 64).endCell())).toBeNull();
    expect(readTextComment(beginCell().storeUint(0, 32).storeUint(1, 3).endCell())).toBeNull();
  });
});
