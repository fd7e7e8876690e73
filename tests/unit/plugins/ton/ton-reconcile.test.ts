import { randomUUID } from 'node:crypto';
import { mnemonicNew } from '@ton/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutomintConfigSchema } from '../../../../core/config/schema.js';
import { toNano } from '../../../../core/money.js';
import { discoverPlugins, type DiscoveredPlugin } from '../../../../core/plugins/host.js';
import type { OpenIntent, PaymentAccount } from '../../../../core/plugins/payment.js';
import type { RecordedIntents } from '../../../../plugins/ton/intent-records.js';
import type { TonIntentPayload } from '../../../../plugins/ton/ton-attempt.js';
import { TonWallet, type SignedTransfer } from '../../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../../plugins/ton/toncenter.js';
import { deriveWalletKeys } from '../../../../plugins/ton/wallet-keys.js';
import { startChain, type SimChain } from '../../../../sim/chain/index.js';
import { NO_STORE, startRun, type Run } from '../../../plugins/ton/plugin-run.js';
import { startFlakyToncenter } from '../../../support/flaky-toncenter.js';
import { MANUAL_BLOCKS_MS } from './wallet-history.js';


const signal = new AbortController().signal;
const ACCOUNT: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };

describe('reconciling a TON intent after a restart, from what the ledger kept', () => {
  let chain: SimChain;
  let discovered: DiscoveredPlugin[];
  const runs: Run[] = [];
  /** One wallet and run for the tests that need no config of their own: each signs at the wallet's next seqno. */
  let w: World;

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    discovered = await discoverPlugins();
    w = await world();
  });

  afterAll(async () => {
    for (const r of runs.splice(0)) await r.ton.close();
    await chain?.close();
  });

  /** A funded wallet, the plugin configured with it (no ledger: a bare run), and the same wallet to sign with by hand. */
  async function world(ton: Record<string, unknown> = {}, intents?: RecordedIntents) {
    const words = (await mnemonicNew()).join(' ');
    const keys = await deriveWalletKeys('main', words);
    const wallet = new TonWallet('main', keys, connectToncenter({ endpoint: chain.endpoint, timeout: 30_000 }));
    await chain.fundWalletV5R1(keys.publicKey, toNano('10'));
    const store = await chain.treasury('store');
    const config = AutomintConfigSchema.parse({
      accounts: [{ name: 'main', wallet: 'main' }],
      wallets: [{ name: 'main', method: 'ton', mnemonic: words }, { name: 'spare', method: 'ton', mnemonic: (await mnemonicNew()).join(' ') }],
      targets: [{ collection: 19, character: 2, packs: 3, methods: ['ton'] }],
      budget: { TON: '10' },
      plugins: { ton: { endpoint: chain.endpoint, confirmPollMs: 50, validForSec: 20, gasReserve: '0.1', ...ton } },
    });
    const run = await startRun(config, discovered, intents ? { intents } : {});
    runs.push(run);
    /** Signs one message paying `orderIds` (0.1 TON each) by the chain's clock, and the intent the ledger would hold for
     *  each order (as TonAttempt writes it, through JSON). */
    async function signed(orderIds: readonly string[], validForSec = 60): Promise<{ message: SignedTransfer; intents: OpenIntent[] }> {
      const { seqno } = await wallet.refresh();
      const message = await wallet.signBatch(orderIds.map((comment) => ({ to: store, amount: toNano('0.1'), comment })), wallet.clock.nowSec() + validForSec);
      const intents = orderIds.map((orderId) => {
        const payload: TonIntentPayload = {
          walletAddress: wallet.address.toString({ bounceable: false }), seqno, validUntil: message.validUntil, boc: message.boc,
          bocHash: message.bocHash, comment: orderId, batch: { size: orderIds.length, orderIds: [...orderIds] },
        };
        return {
          idempotencyKey: `ton:${wallet.address.toRawString()}:${seqno}:${orderId}`, orderId, amount: toNano('0.1'),
          destination: store.toString(), payload: JSON.parse(JSON.stringify(payload)) as Record<string, unknown>,
        };
      });
      return { message, intents };
    }
    return { run, wallet, store, signed };
  }

  type World = Awaited<ReturnType<typeof world>>;

  const orderIds = (n: number): string[] => Array.from({ length: n }, () => `order-${randomUUID()}`);

  it.each([
    ['a destination that is no TON address', { destination: 'nowhere' }, {}],
    ['no seqno', {}, { seqno: '3' }],
    ['no valid_until', {}, { validUntil: undefined }],
    ['no message', {}, { boc: '' }],
    ['no wallet', {}, { walletAddress: '' }],
  ])('leaves unknown an intent with %s, without looking at the chain', async (_what, intentOver, payloadOver) => {
    const { run, signed } = w;
    const { intents: [intent] } = await signed(orderIds(1));
    const broken = { ...intent!, ...intentOver, payload: { ...intent!.payload, ...payloadOver } };
    expect(await run.ton.reconcile(broken, signal)).toEqual({ outcome: 'unknown', reason: 'intent payload is incomplete' });
  });

  it.each([
    ['a batch that is no list', { orderIds: 'order-x' }],
    ['a batch with an order id that is not text', { orderIds: [7] }],
    ['a batch without this order', { orderIds: ['order-someone-else'] }],
  ])('leaves unknown an intent naming %s', async (_what, batch) => {
    const { run, signed } = w;
    const { intents: [intent] } = await signed(orderIds(1));
    expect(await run.ton.reconcile({ ...intent!, payload: { ...intent!.payload, batch } }, signal))
      .toEqual({ outcome: 'unknown', reason: 'intent payload names no batch with this order' });
  });

  it('leaves unknown an intent whose batch names this order beside something that is no order id', async () => {
    const { run, signed } = w;
    const { intents: [intent] } = await signed(orderIds(1));
    const batch = { orderIds: [intent!.orderId, 7] };
    expect(await run.ton.reconcile({ ...intent!, payload: { ...intent!.payload, batch } }, signal))
      .toEqual({ outcome: 'unknown', reason: 'intent payload names no batch with this order' });
  });

  it('leaves unknown an intent of a wallet the config does not have, or of no address at all', async () => {
    const { run, signed } = w;
    const { intents: [intent] } = await signed(orderIds(1));
    const elsewhere = (await chain.treasury('someone-else')).toString();
    expect(await run.ton.reconcile({ ...intent!, payload: { ...intent!.payload, walletAddress: elsewhere } }, signal))
      .toEqual({ outcome: 'unknown', reason: `no configured wallet has address ${elsewhere}` });
    expect(await run.ton.reconcile({ ...intent!, payload: { ...intent!.payload, walletAddress: 'not-an-address' } }, signal))
      .toEqual({ outcome: 'unknown', reason: 'no configured wallet has address not-an-address' });
  });

  it('finds paid an intent recorded before batching (no batch, no comment, no hash): its message paid its order alone', async () => {
    const { run, wallet, signed } = w;
    const { message, intents: [intent] } = await signed(orderIds(1));
    await wallet.broadcast(message.boc);
    await chain.produceBlock();
    const { batch: _batch, comment: _comment, bocHash: _hash, ...legacy } = intent!.payload;
    expect(await run.ton.reconcile({ ...intent!, payload: legacy }, signal)).toMatchObject({ outcome: 'paid' });
  });

  it('settles every member of an executed batch with its own share of the fee', async () => {
    const { run, wallet, signed } = w;
    const ids = orderIds(2);
    const { message, intents } = await signed(ids);
    await wallet.broadcast(message.boc);
    await chain.produceBlock();
    const settled = await Promise.all(intents.map((i) => run.ton.reconcile(i, signal)));
    expect(settled.map((s) => s.outcome)).toEqual(['paid', 'paid']);
    const [a, b] = settled as { txHash: string; fee: bigint }[];
    expect(a!.txHash).toBe(b!.txHash);
    // The remainder of the split goes to the first member: the shares differ by less than one member's count.
    expect(a!.fee - b!.fee).toBeGreaterThanOrEqual(0n);
    expect(a!.fee - b!.fee).toBeLessThan(2n);
  });

  it('settles the later members of a batch from the watch the first one made, without asking the chain again', async () => {
    const toncenter = await startFlakyToncenter(chain.endpoint);
    try {
      const { run, wallet, signed } = await world({ endpoint: toncenter.endpoint });
      const { message, intents: [first, second] } = await signed(orderIds(2));
      await wallet.broadcast(message.boc);
      await chain.produceBlock();
      expect(await run.ton.reconcile(first!, signal)).toMatchObject({ outcome: 'paid' });
      toncenter.forget();
      expect(await run.ton.reconcile(second!, signal)).toMatchObject({ outcome: 'paid' });
      expect(toncenter.methods()).toEqual([]);
    } finally {
      await toncenter.close();
    }
  });

  it('reads the ledger afresh for a batch whose first reading failed (a failed read is not remembered)', async () => {
    const recorded = new Map<string, { state: string; payload: Record<string, unknown> }>();
    let failures = 1;
    const intents: RecordedIntents = {
      get: async (key) => {
        if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
        return recorded.get(key);
      },
      confirmedDestinations: async () => [],
    };
    const { run, wallet, signed } = await world({}, intents);
    const { message, intents: members } = await signed(orderIds(2));
    for (const i of members) recorded.set(i.idempotencyKey, { state: 'sent', payload: i.payload });
    await wallet.broadcast(message.boc);
    await chain.produceBlock();
    await expect(run.ton.reconcile(members[0]!, signal)).rejects.toThrow('database is locked');
    expect(await run.ton.reconcile(members[0]!, signal)).toMatchObject({ outcome: 'paid' });
  });

  it('sends again a message that paid its order alone (the order is recorded), and finds it paid', async () => {
    const { run, signed } = w;
    const { intents: [intent] } = await signed(orderIds(1));
    const settling = run.ton.reconcile(intent!, signal);
    // Produces blocks until the reconciliation is over: the re-sent message lands in one of them.
    let over = false;
    void settling.finally(() => (over = true));
    while (!over) {
      await chain.produceBlock();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await settling).toMatchObject({ outcome: 'paid' });
  });

  it('never sends again a batch whose other orders it cannot see recorded (no ledger): it ends not paid once expired', async () => {
    const { run, signed } = w;
    const { intents } = await signed(orderIds(2), 20);
    const settling = Promise.all(intents.map((i) => run.ton.reconcile(i, signal)));
    let over = false;
    void settling.finally(() => (over = true));
    chain.advanceTime(60);
    while (!over) {
      await chain.produceBlock();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await settling).map((s) => s.outcome)).toEqual(['not-paid', 'not-paid']);
  });

  it('offers the balance above the gas reserve, and nothing when the reserve is not covered', async () => {
    expect(await (await world()).run.ton.capacity(ACCOUNT, signal)).toBe(toNano('9.9'));
    expect(await (await world({ gasReserve: '11' })).run.ton.capacity(ACCOUNT, signal)).toBe(0n);
  });

  it('refuses to work for an account without a TON wallet, naming what is missing', async () => {
    const { run } = w;
    await expect(run.ton.capacity({ ...ACCOUNT, wallet: undefined }, signal)).rejects.toMatchObject({
      code: 'TON_NO_WALLET', message: 'account main has no wallet; set accounts[].wallet to pay in TON', details: { account: 'main' },
    });
    await expect(run.ton.capacity({ ...ACCOUNT, wallet: 'other' }, signal)).rejects.toMatchObject({
      code: 'TON_NO_WALLET', message: 'no TON wallet named other', details: { account: 'main', wallet: 'other' },
    });
  });
});
