/** Inbound external messages as clients submit them to `sendBoc`: decoding the BOC, and the two hashes toncenter
 *  reports for one (the message cell hash and the TEP-467 normalized hash that later finds its transaction). */
import { Address, beginCell, Cell, loadMessage, type Message } from '@ton/core';
import { ToncenterError } from './errors.js';

/** A decoded inbound external message with its identity. */
export interface ExternalIn {
  readonly message: Message & { info: { type: 'external-in'; dest: Address } };
  /** Hash of the message cell. */
  readonly hash: Buffer;
  /** TEP-467 normalized hash: independent of the source, import fee and StateInit the sender chose. */
  readonly normalizedHash: Buffer;
}

/** Decodes a base64 BOC that must hold exactly one inbound external message. */
export function parseExternalBoc(base64: string): ExternalIn {
  let roots: Cell[];
  try {
    roots = Cell.fromBoc(Buffer.from(base64, 'base64'));
  } catch (e) {
    throw new ToncenterError('BOC_INVALID', `LITE_SERVER_UNKNOWN: cannot deserialize bag-of-cells: ${(e as Error).message}`);
  }
  if (roots.length !== 1) {
    throw new ToncenterError('BOC_INVALID', `LITE_SERVER_UNKNOWN: expected one root cell, found ${roots.length}`, {
      roots: roots.length,
    });
  }
  const root = roots[0]!;
  let message: Message;
  try {
    message = loadMessage(root.beginParse());
  } catch (e) {
    throw new ToncenterError('BOC_INVALID', `LITE_SERVER_UNKNOWN: cannot parse message: ${(e as Error).message}`);
  }
  const info = message.info;
  if (info.type !== 'external-in') {
    throw new ToncenterError('BOC_INVALID', `LITE_SERVER_UNKNOWN: not an inbound external message (${info.type})`, {
      type: info.type,
    });
  }
  return {
    message: message as ExternalIn['message'],
    hash: root.hash(),
    normalizedHash: normalizedHashOf(info.dest, message.body),
  };
}

/** ext_in_msg_info with src addr_none, import_fee 0, no StateInit and the body always in a reference (TEP-467). */
function normalizedHashOf(dest: Address, body: Cell): Buffer {
  return beginCell()
    .storeUint(0b10, 2) // ext_in_msg_info$10
    .storeUint(0, 2) // src: addr_none$00
    .storeAddress(dest)
    .storeCoins(0n) // import_fee
    .storeBit(false) // init: nothing
    .storeBit(true) // body: ^X
    .storeRef(body)
    .endCell()
    .hash();
}
