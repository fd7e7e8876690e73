import { Address, beginCell, Cell, loadTransaction, type Transaction } from '@ton/core';
import { Blockchain, internal } from '@ton/sandbox';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChainTransfer } from '../../../../sim/chain/transfer.js';
import { TransferLog, transferOf } from '../../../../sim/chain/transfer-log.js';

const shop = new Address(0, Buffer.alloc(32, 3));

function transfer(overrides: Partial<ChainTransfer> = {}): ChainTransfer {
  return { from: '0:' + '11'.repeat(32), to: shop.toRawString(), amount: 5n, comment: 'c', lt: 1n, txHash: 'ab', utime: 1, success: true, ...overrides };
}

describe('transfer log', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('keeps transfers per receiver, oldest first, found by raw or friendly address', () => {
    const log = new TransferLog();
    log.publish(transfer({ lt: 1n }));
    log.publish(transfer({ lt: 2n, to: '0:' + '44'.repeat(32) }));
    log.publish(transfer({ lt: 3n }));
    expect(log.transfersTo(shop.toRawString()).map((t) => t.lt)).toEqual([1n, 3n]);
    expect(log.transfersTo(shop.toString({ bounceable: false, testOnly: true })).map((t) => t.lt)).toEqual([1n, 3n]);
  });

  it('keeps calling the other listeners when one throws, and stops calling an unsubscribed one', () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const log = new TransferLog();
    const seen: bigint[] = [];
    log.onTransfer(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = log.onTransfer((t) => seen.push(t.lt));
    log.publish(transfer({ lt: 1n }));
    unsubscribe();
    log.publish(transfer({ lt: 2n }));
    expect(seen).toEqual([1n]);
    expect(process.emitWarning).toHaveBeenCalledTimes(2);
  });
});

describe('transfers read from transactions', () => {
  let blockchain: Blockchain;
  beforeAll(async () => {
    blockchain = await Blockchain.create();
  });

  async function receive(to: Address, bounce: boolean, body: Cell): Promise<Transaction> {
    const from = (await blockchain.treasury('payer')).address;
    const result = await blockchain.sendMessage(internal({ from, to, value: 1_000_000_000n, bounce, body }));
    const tx = result.transactions.find((t) => t.inMessage?.info.dest?.toString() === to.toString());
    return loadTransaction(tx!.raw.beginParse());
  }

  it('reports amount, comment and sender of a transfer to an active wallet', async () => {
    const store = (await blockchain.treasury('store')).address;
    const tx = await receive(store, false, beginCell().storeUint(0, 32).storeStringTail('order-7').endCell());
    const t = transferOf(tx, tx.hash());
    expect(t).toMatchObject({ to: store.toRawString(), amount: 1_000_000_000n, comment: 'order-7', success: true, lt: tx.lt });
    expect(t!.txHash).toBe(tx.hash().toString('hex'));
  });

  it('counts a non-bounceable transfer to an undeployed address as credited', async () => {
    const fresh = new Address(0, Buffer.alloc(32, 0x5a));
    const tx = await receive(fresh, false, Cell.EMPTY);
    expect(transferOf(tx, tx.hash())).toMatchObject({ comment: null, success: true });
    expect((await blockchain.getContract(fresh)).balance).toBe(1_000_000_000n);
  });

  it('counts a bounced transfer as not credited', async () => {
    const fresh = new Address(0, Buffer.alloc(32, 0x6b));
    const tx = await receive(fresh, true, Cell.EMPTY);
    expect(transferOf(tx, tx.hash())).toMatchObject({ success: false });
  });
});
