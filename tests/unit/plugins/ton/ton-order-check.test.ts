import { randomBytes, randomUUID } from 'node:crypto';
import { Address } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutomintConfigSchema } from '../../../../core/config/schema.js';
import { toNano, type Units } from '../../../../core/money.js';
import { discoverPlugins, type DiscoveredPlugin } from '../../../../core/plugins/host.js';
import type { PaymentAccount, StoreOrder } from '../../../../core/plugins/payment.js';
import { formatOffset } from '../../../../plugins/ton/ton-payment.js';
import { deriveWalletKeys } from '../../../../plugins/ton/wallet-keys.js';
import { startChain, type SimChain } from '../../../../sim/chain/index.js';
import { NO_STORE, startRun, type Run } from '../../../plugins/ton/plugin-run.js';
import { MANUAL_BLOCKS_MS } from './wallet-history.js';

const signal = new AbortController().signal;
const ACCOUNT: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };

describe('checking a TON order before paying it', () => {
  let chain: SimChain;
  let discovered: DiscoveredPlugin[];
  let words: string;
  let store: string;
  const runs: Run[] = [];

  /** A run of the plugin on the test's wallet (10 TON) with these keys in its TON block. */
  async function run(ton: Record<string, unknown> = {}): Promise<Run> {
    const config = AutomintConfigSchema.parse({
      accounts: [{ name: 'main', wallet: 'main' }],
      wallets: [{ name: 'main', method: 'ton', mnemonic: words }],
      targets: [{ collection: 19, character: 2, packs: 3, methods: ['ton'] }],
      budget: { TON: '10' },
      plugins: { ton: { endpoint: chain.endpoint, gasReserve: '0.1', ...ton } },
    });
    const r = await startRun(config, discovered);
    runs.push(r);
    return r;
  }

  function order(over: Partial<StoreOrder> = {}, amount: Units = toNano('1')): StoreOrder {
    return { orderId: `order-${randomUUID()}`, count: 1, currency: 'TON', amount, destination: store, expiresAt: Date.now() + 15 * 60_000, ...over };
  }

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: MANUAL_BLOCKS_MS });
    discovered = await discoverPlugins();
    words = (await mnemonicNew()).join(' ');
    await chain.fundWalletV5R1((await deriveWalletKeys('main', words)).publicKey, toNano('10'));
    // The store's wallet is an active contract, as a store's receiving wallet is.
    store = (await chain.treasury('store')).toString({ bounceable: false });
  });

  afterAll(async () => {
    for (const r of runs.splice(0)) await r.ton.close();
    await chain?.close();
  });

  it('passes an order to an active store wallet that the balance covers with the gas reserve', async () => {
    const { ton } = await run();
    expect(await ton.steps(ACCOUNT).check(order({}, toNano('9.9')), signal)).toBeNull();
  });

  it('refuses an order whose destination is no TON address, or that names no expiry', async () => {
    const { ton } = await run();
    expect(await ton.steps(ACCOUNT).check(order({ destination: 'nowhere' }), signal)).toBe('destination nowhere is not a TON address');
    const endless = order({ expiresAt: null });
    expect(await ton.steps(ACCOUNT).check(endless, signal)).toBe(`order ${endless.orderId} has no expiry`);
  });

  it('refuses an order to an address that is no active contract on chain (a made-up or mistyped store wallet)', async () => {
    const madeUp = new Address(0, randomBytes(32)).toString({ bounceable: false });
    const { ton } = await run();
    expect(await ton.steps(ACCOUNT).check(order({ destination: madeUp }), signal))
      .toBe(`destination ${madeUp} is not an active contract on chain (a store's receiving wallet is one): set plugins.ton.storeWallets to the store's wallet`);
    // Checked only when asked to: without the look-up the address is pinned as the store's.
    const { ton: unchecked } = await run({ requireActiveDestination: false });
    expect(await unchecked.steps(ACCOUNT).check(order({ destination: madeUp }), signal)).toBeNull();
  });

  it('takes its order policy from the config: the expiry margin in seconds, as milliseconds', async () => {
    const { ton } = await run({ expiryMarginSec: 20, toleranceBps: 250 });
    expect(ton.orderPolicy).toMatchObject({ expiryMarginMs: 20_000, toleranceBps: 250 });
  });

  it('refuses an order the guard refuses: a destination that is not an allowed store wallet', async () => {
    const elsewhere = (await chain.treasury('elsewhere')).toString({ bounceable: false });
    const { ton } = await run({ storeWallets: [store] });
    expect(await ton.steps(ACCOUNT).check(order({ destination: elsewhere }), signal)).toBe(`destination ${elsewhere} is not an allowed store wallet`);
  });

  it('refuses an order the balance does not cover with the gas reserve, saying by how much', async () => {
    const { ton } = await run();
    expect(await ton.steps(ACCOUNT).check(order({}, toNano('9.91')), signal))
      .toBe('wallet balance 10 TON is below 10.01 TON (amount + gas reserve)');
  });

  it('counts the orders already being paid from the wallet, and says so when they tip the balance', async () => {
    const { ton } = await run();
    const steps = ton.steps(ACCOUNT);
    const taken = await steps.prepare(order({}, toNano('4')), signal);
    try {
      expect(await steps.check(order({}, toNano('5.9')), signal)).toBeNull();
      expect(await steps.check(order({}, toNano('6')), signal))
        .toBe('wallet balance 10 TON is below 10.1 TON (amount + 4 TON of orders already being paid + gas reserve)');
    } finally {
      taken.dispose();
    }
  });

  it('refuses to prepare an order whose destination is no TON address', async () => {
    const { ton } = await run();
    const o = order({ destination: 'nowhere' });
    await expect(ton.steps(ACCOUNT).prepare(o, signal)).rejects.toMatchObject({
      code: 'TON_BAD_DESTINATION', message: 'destination nowhere is not a TON address', details: { orderId: o.orderId },
    });
  });
});

describe('the clock offset in words', () => {
  it("says how far and which way this machine's clock is off the chain's", () => {
    expect(formatOffset(-12_345)).toBe('12.3 s ahead of');
    expect(formatOffset(4_000)).toBe('4.0 s behind');
    expect(formatOffset(0)).toBe('0.0 s behind');
  });
});
