/** TON text comments: a message body that starts with op 0 (32 zero bits) followed by UTF-8 text, continued
 *  through references ("snake" format) when it does not fit one cell. */
import type { Cell } from '@ton/core';

/** The comment carried by `body`, or null when the body is not a text comment. */
export function readTextComment(body: Cell): string | null {
  const slice = body.beginParse();
  if (slice.remainingBits < 32 || slice.loadUint(32) !== 0) return null;
  try {
    return slice.loadStringTail();
  } catch {
    // Bits that are not whole bytes, or a broken snake: a raw body, not text.
    return null;
  }
}
