import { randomUUID } from 'node:crypto';
import { Address } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AutomintConfigSchema } from '../../../../core/config/schema.js';
import { toNano, type Nano } from '../../../../core/money.js';
import { discoverPlugins, type DiscoveredPlugin } from '../../../../core/plugins/host.js';
import type { PaymentAccount, StoreOrder, TargetSpec } from '../../../../core/plugins/payment.js';
import type { StoreClient } from '../../../../core/store/store-client.js';
import type { TonOrder } from '../../../../core/store/responses.js';
import { TonWallet } from '../../../../plugins/ton/ton-wallet.js';
import { connectToncenter } from '../../../../plugins/ton/toncenter.js';
import type { RecordedIntents } from '../../../../plugins/ton/intent-records.js';
import { CLOCK_KEEP_FRESH_MS } from '../../../../plugins/ton/ton-payment.js';
import { deriveWalletKeys } from '../../../../plugins/ton/wallet-keys.js';
import { startChain, type SimChain } from '../../../../sim/chain/index.js';
import { startFlakyToncenter, type FlakyToncenter } from '../../../support/flaky-toncenter.js';
import { NO_STORE, startRun, type Run } from '../../../plugins/ton/plugin-run.js';
import { MANUAL_BLOCKS_MS } from './wallet-history.js';

const signal = new AbortController().signal;
const TARGET: TargetSpec = { key: '19:2', collection: 19, character: 2 };

/** A store whose TON orders the test answers by hand, recording how each was asked for. */
function handStore() {
  const asked: { req: unknown; opts: { signal?: AbortSignal; onSent?: () => void } }[] = [];
  const answers: { resolve: (o: TonOrder) => void; reject: (e: unknown) => void }[] = [];
  const store = {
    buyTon: (req: unknown, opts: { signal?: AbortSignal; onSent?: () => void }) => {
      asked.push({ req, opts });
      return new Promise<TonOrder>((resolve, reject) => answers.push({ resolve, reject }));
    },
  } as unknown as StoreClient;
  return { store, asked, answers };
}

describe("a TON account's wallet, its order requests and its clock", () => {
  let chain: SimChain;
  let toncenter: FlakyToncenter;
  let discovered: DiscoveredPlugin[];
  let words: string;
  let storeWallet: string;
  const runs: Run[] = [];

  /** A run of the plugin on the test's wallet (10 TON), reading the chain through the flaky toncenter. */
  async function run(ton: Record<string, unknown> = {}, clock?: () => number, intents?: RecordedIntents): Promise<Run> {
    const config = AutomintConfigSchema.parse({
      accounts: [{ name: 'main', wallet: 'main' }],
      wallets: [{ name: 'main', method: 'ton', mnemonic: words }],
      targets: [{ collection: 19, character: 2, packs: 3, methods: ['ton'] }],
      budget: { TON: '10' },
      plugins: { ton: { endpoint: toncenter.endpoint, gasReserve: '0.1', ...ton } },
    });
    const r = await startRun(config, discovered, { ...(clock ? { clock } : {}), ...(intents ? { intents } : {}) });
    runs.push(r);
    return r;
  }

  function order(amount = toNano('1')): StoreOrder {
    return { orderId: `order-${randomUUID()}`, count: 1, currency: 'TON', amount, destination: storeWallet, expiresAt: Date.now() + 15 * 60_000 };
  }

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    toncenter = await startFlakyToncenter(chain.endpoint);
    discovered = await discoverPlugins();
    words = (await mnemonicNew()).join(' ');
    await chain.fundWalletV5R1((await deriveWalletKeys('main', words)).publicKey, toNano('10'));
    storeWallet = (await chain.treasury('store')).toString({ bounceable: false });
  });

  // Each test's runs end with it: a run armed by one test must not read the chain while the next one counts calls.
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.ton.close();
  });

  afterAll(async () => {
    await toncenter?.close();
    await chain?.close();
  });

  it('warms the account up before the drop: reads its wallet and says it is ready, with its address, balance and seqno (a funded wallet not yet deployed)', async () => {
    const r = await run();
    const account: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };
    await r.ton.prepare(account, signal);
    const wallet = new TonWallet('main', await deriveWalletKeys('main', words), connectToncenter({ endpoint: chain.endpoint }));
    expect(r.logs.find((l) => l['msg'] === 'ton wallet ready')).toMatchObject({
      account: 'main', wallet: 'main', address: wallet.address.toString({ bounceable: false }), balance: '10', seqno: 0, deployed: false,
    });
    // Its clock is read on the way: the offset is known from then on.
    expect(r.ton.clockOffsetMs!()).not.toBeNull();
  });

  it('arms an account without spending anything: no message sent, and the first order signed at the seqno the chain has', async () => {
    const r = await run();
    const account: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };
    const before = toncenter.methods().length;
    await r.ton.prepare(account, signal);
    // The signer was warmed on a message never sent (and one the wallet contract would refuse: valid until 1970).
    expect(toncenter.methods().slice(before).filter((m) => m.startsWith('sendBoc'))).toEqual([]);
    const attempt = await r.ton.steps(account).prepare(order(toNano('0.1')), signal);
    expect(attempt.payload).toMatchObject({ seqno: 0 });
    attempt.dispose();
  });

  it('looks while arming at the store wallets earlier runs paid, so the first order naming one needs no look-up', async () => {
    const asked: [string, number][] = [];
    const intents: RecordedIntents = {
      get: async () => undefined,
      confirmedDestinations: async (method, limit) => {
        asked.push([method, limit]);
        return [storeWallet];
      },
    };
    const r = await run({}, undefined, intents);
    const account: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };
    await r.ton.prepare(account, signal);
    await r.ton.prepare(account, signal);
    // Once per run, however many accounts arm.
    expect(asked).toEqual([['ton', 3]]);
    expect(r.logs.find((l) => String(l['msg']).includes('paid before are active'))).toMatchObject({ active: 1 });
    const before = toncenter.calls('getAddressInformation');
    expect(await r.ton.steps(account).check(order(), signal)).toBeNull();
    expect(toncenter.calls('getAddressInformation')).toBe(before);
  });

  it('arms anyway when the ledger cannot say which wallets were paid: the first order looks its destination up', async () => {
    const intents: RecordedIntents = {
      get: async () => undefined,
      confirmedDestinations: async () => {
        throw new Error('SQLITE_BUSY: database is locked');
      },
    };
    const r = await run({}, undefined, intents);
    const account: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };
    await r.ton.prepare(account, signal);
    expect(r.logs.find((l) => l['level'] === 40 && String(l['msg']).includes('could not be read from the ledger'))).toBeDefined();
    const before = toncenter.calls('getAddressInformation');
    expect(await r.ton.steps(account).check(order(), signal)).toBeNull();
    expect(toncenter.calls('getAddressInformation')).toBeGreaterThan(before);
  });

  it("keeps the chain's clock fresh from arming to the end of the run, with one read per interval for every account", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const r = await run();
      await r.ton.prepare({ name: 'main', wallet: 'main', store: NO_STORE }, signal);
      await r.ton.prepare({ name: 'second', wallet: 'main', store: NO_STORE }, signal);
      const before = toncenter.calls('getAddressInformation');
      vi.advanceTimersByTime(CLOCK_KEEP_FRESH_MS);
      await until(() => toncenter.calls('getAddressInformation') === before + 1);
      vi.advanceTimersByTime(CLOCK_KEEP_FRESH_MS);
      await until(() => toncenter.calls('getAddressInformation') === before + 2);
      await r.ton.close();
      vi.advanceTimersByTime(3 * CLOCK_KEEP_FRESH_MS);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(toncenter.calls('getAddressInformation')).toBe(before + 2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses to warm up an account without a TON wallet', async () => {
    const r = await run();
    await expect(r.ton.prepare({ name: 'spare', wallet: undefined, store: NO_STORE }, signal)).rejects.toMatchObject({ code: 'TON_NO_WALLET' });
  });

  it("judges this machine's clock by the one it was given: a clock a minute fast is told, and measured, as such", async () => {
    const r = await run({}, () => Date.now() + 60_000);
    await r.ton.prepare({ name: 'main', wallet: 'main', store: NO_STORE }, signal);
    const offset = r.ton.clockOffsetMs!()!;
    // The chain's clock is this machine's real one (give or take its last block's age).
    expect(offset).toBeLessThan(-50_000);
    expect(offset).toBeGreaterThan(-70_000);
    expect(r.logs.find((l) => l['level'] === 40 && String(l['msg']).includes('ahead of the TON chain'))).toBeDefined();
  });

  it('tries a failed look-up of the destination three times in all before calling it unverified', async () => {
    const r = await run();
    const steps = r.ton.steps({ name: 'main', wallet: 'main', store: NO_STORE });
    // Two failures: the third try answers, and the order passes.
    toncenter.failNext('getAddressInformation', 2);
    const before = toncenter.calls('getAddressInformation');
    expect(await steps.check(order(), signal)).toBeNull();
    expect(toncenter.failuresLeft('getAddressInformation')).toBe(0);
    expect(toncenter.calls('getAddressInformation') - before).toBeGreaterThanOrEqual(3);
    // Three failures on a fresh run (nothing known active yet): never paid unchecked, and no fourth try.
    const fresh = await run();
    toncenter.failNext('getAddressInformation', 3);
    const start = toncenter.calls('getAddressInformation');
    await expect(fresh.ton.steps({ name: 'main', wallet: 'main', store: NO_STORE }).check(order(), signal))
      .rejects.toMatchObject({ code: 'TON_DESTINATION_UNVERIFIED' });
    expect(toncenter.calls('getAddressInformation') - start).toBe(3);
  });

  it('asks the store for the order as the host wants it, passing on its signal and its sent-notice', async () => {
    const r = await run();
    const { store, asked, answers } = handStore();
    const steps = r.ton.steps({ name: 'main', wallet: 'main', store });
    const ask = new AbortController();
    const onSent = (): void => undefined;
    const creating = steps.createOrder(TARGET, 2, { signal: ask.signal, onSent });
    await until(() => asked.length === 1);
    expect(asked[0]!.req).toEqual({ collection: 19, character: 2, count: 2 });
    expect(asked[0]!.opts.signal).toBe(ask.signal);
    expect(asked[0]!.opts.onSent).toBe(onSent);
    const expiresAt = Date.now() + 600_000;
    answers[0]!.resolve({ orderId: 'o-1', amount: toNano('2') as Nano, destination: storeWallet, expiresAt });
    // The store stated no count: the order is for the count asked.
    expect(await creating).toEqual({ orderId: 'o-1', count: 2, currency: 'TON', amount: toNano('2'), destination: storeWallet, expiresAt });
    // A count the store states is kept, for the host's check to compare.
    const again = steps.createOrder(TARGET, 2, { signal, onSent });
    await until(() => asked.length === 2);
    answers[1]!.resolve({ orderId: 'o-2', amount: toNano('3') as Nano, destination: storeWallet, expiresAt, count: 3 });
    expect(await again).toMatchObject({ orderId: 'o-2', count: 3 });
  });

  it('stops holding the forming batch for an order whose request failed: the batch leaves before its window ends', async () => {
    // The longest window there is, so that a batch kept waiting for the failed order could not be mistaken for one
    // that was not.
    const r = await run({ batchWindowMs: 1_000 });
    const { store, asked, answers } = handStore();
    const steps = r.ton.steps({ name: 'main', wallet: 'main', store });
    const failing = steps.createOrder(TARGET, 1, { signal, onSent: () => undefined });
    await until(() => asked.length === 1);
    // An order of the same wallet joins while the other's request is out: the batch waits for it.
    const joinedAt = performance.now();
    const paying = steps.prepare(order(toNano('0.1')), signal);
    answers[0]!.reject(new Error('connection reset before the store answered'));
    await expect(failing).rejects.toThrow('connection reset');
    const attempt = await paying;
    expect(performance.now() - joinedAt).toBeLessThan(1_000);
    attempt.dispose();
  });
  it('reads the seqno again while the drop\'s first order is out when the wallet was armed long ago (it may have been used since)', async () => {
    const r = await run();
    const account: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };
    await r.ton.prepare(account, signal);
    // Meanwhile the wallet pays someone else from another program: its seqno moves on.
    const elsewhere = new TonWallet('main', await deriveWalletKeys('main', words), connectToncenter({ endpoint: chain.endpoint }));
    const { seqno } = await elsewhere.refresh();
    const paid = await elsewhere.sign(Address.parse(storeWallet), toNano('0.1'), 'paid elsewhere', Math.floor(Date.now() / 1000) + 60);
    await elsewhere.broadcast(paid.boc);
    await chain.produceBlock();
    // Half a minute and more after arming.
    const realNow = performance.now.bind(performance);
    const later = vi.spyOn(performance, 'now').mockImplementation(() => realNow() + 31_000);
    try {
      const { store, asked, answers } = handStore();
      const steps = r.ton.steps({ ...account, store });
      const before = toncenter.calls('getAddressInformation');
      const creating = steps.createOrder(TARGET, 1, { signal, onSent: () => undefined });
      await until(() => asked.length === 1);
      // Read while the store has not answered yet.
      await until(() => toncenter.calls('getAddressInformation') > before);
      const o = order(toNano('0.1'));
      answers[0]!.resolve({ orderId: o.orderId, amount: o.amount as Nano, destination: o.destination, expiresAt: o.expiresAt! });
      const placed = await creating;
      const attempt = await steps.prepare(placed, signal);
      expect(attempt.payload).toMatchObject({ seqno: seqno + 1 });
      attempt.dispose();
    } finally {
      later.mockRestore();
    }
  });
});

/** Resolves once `done()` holds (checked every few ms). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}
