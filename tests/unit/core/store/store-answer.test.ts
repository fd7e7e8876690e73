import { describe, expect, it } from 'vitest';
import { readCappedBody } from '../../../../core/store/store-answer.js';

/** A body of `chunks` that records how many were read and whether it was destroyed. */
function body(chunks: number, size: number) {
  const seen = { read: 0, destroyed: false };
  const b = {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < chunks; i++) {
        seen.read++;
        yield Buffer.alloc(size, 0x20);
      }
    },
    destroy: () => {
      seen.destroyed = true;
    },
  };
  return { b, seen };
}
const tooBig = (): Error => new Error('too big');

describe('readCappedBody', () => {
  it('refuses a body whose content-length is over the limit without reading any of it', async () => {
    const { b, seen } = body(100, 1_000);
    await expect(readCappedBody(b, 10_000, tooBig, { 'content-length': '50000000' })).rejects.toThrow('too big');
    expect(seen).toEqual({ read: 0, destroyed: true });
  });

  it('stops reading an undeclared body at the first chunk past the limit, and destroys it', async () => {
    const { b, seen } = body(100, 1_000);
    await expect(readCappedBody(b, 10_000, tooBig)).rejects.toThrow('too big');
    expect(seen).toEqual({ read: 11, destroyed: true });
  });

  it('reads a body within the limit whole', async () => {
    const { b, seen } = body(10, 1_000);
    expect(await readCappedBody(b, 10_000, tooBig, { 'content-length': '10000' })).toHaveLength(10_000);
    expect(seen.destroyed).toBe(false);
  });
});
