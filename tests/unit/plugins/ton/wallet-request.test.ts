import { Address, beginCell, external, type Cell, type Transaction } from '@ton/core';
import { WalletContractV5R1 } from '@ton/ton';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedRequestOf } from '../../../../plugins/ton/wallet-request.js';
import { walletHistory, type WalletHistory } from './wallet-history.js';

const SIGNED = WalletContractV5R1.OpCodes.auth_signed_external;

describe('reading which seqno a wallet transaction used', () => {
  let h: WalletHistory;
  let tx: Transaction;

  /** The same transaction as if its inbound message had been an external one with this body. */
  function withBody(body: Cell): Transaction {
    return { ...tx, inMessage: external({ to: h.wallet.address, body }) };
  }

  beforeAll(async () => {
    h = await walletHistory();
    tx = h.txs[0]!;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('reads the seqno and valid_until of each message the wallet executed, and nothing from incoming transfers', () => {
    const [seq2, topUp2, seq1, topUp1, seq0, funding] = h.txs;
    expect(signedRequestOf(seq2!)).toEqual({ seqno: 2, validUntil: h.single.validUntil });
    expect(signedRequestOf(seq1!)).toEqual({ seqno: 1, validUntil: h.uncommented.validUntil });
    expect(signedRequestOf(seq0!)).toEqual({ seqno: 0, validUntil: h.batch.validUntil });
    for (const incoming of [topUp2, topUp1, funding]) expect(signedRequestOf(incoming!)).toBeNull();
  });

  it('reads a request of exactly the four fields it needs (op, wallet id, valid_until, seqno)', () => {
    const body = beginCell().storeUint(SIGNED, 32).storeUint(7, 32).storeUint(1_700_000_000, 32).storeUint(41, 32).endCell();
    expect(signedRequestOf(withBody(body))).toEqual({ seqno: 41, validUntil: 1_700_000_000 });
  });

  it('reads nothing from a transaction without an inbound message (a tick-tock)', () => {
    expect(signedRequestOf({ ...tx, inMessage: undefined })).toBeNull();
  });

  it('reads nothing from an external message of another shape: another op, too short, a cell it cannot open', () => {
    const otherOp = beginCell().storeUint(SIGNED + 1, 32).storeUint(7, 32).storeUint(1_700_000_000, 32).storeUint(41, 32).endCell();
    expect(signedRequestOf(withBody(otherOp))).toBeNull();
    const short = beginCell().storeUint(SIGNED, 32).storeUint(7, 32).storeUint(1_700_000_000, 32).storeUint(41, 31).endCell();
    expect(signedRequestOf(withBody(short))).toBeNull();
    // A library cell: exotic, so it cannot be read as plain bits.
    const library = beginCell().storeUint(2, 8).storeBuffer(Buffer.alloc(32, 1)).endCell({ exotic: true });
    expect(signedRequestOf(withBody(library))).toBeNull();
  });

  it('reads nothing from an internal inbound message, even one whose body looks like a signed request', () => {
    const body = beginCell().storeUint(SIGNED, 32).storeUint(7, 32).storeUint(1_700_000_000, 32).storeUint(41, 32).endCell();
    const from = new Address(0, Buffer.alloc(32, 3));
    const inbound = { info: { type: 'internal' as const, ihrDisabled: true, bounce: false, bounced: false, src: from, dest: h.wallet.address,
      value: { coins: 1n }, ihrFee: 0n, forwardFee: 0n, createdLt: 0n, createdAt: 0 }, body };
    expect(signedRequestOf({ ...tx, inMessage: inbound })).toBeNull();
  });
});
