import { randomUUID } from 'node:crypto';
import { Address } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import pino from 'pino';
import { container } from 'tsyringe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutomintConfigSchema, type AutomintConfig } from '../../../core/config/schema.js';
import { toNano, type Units } from '../../../core/money.js';
import { discoverPlugins, registerPlugins, type DiscoveredPlugin } from '../../../core/plugins/host.js';
import type { OpenIntent, PaymentAccount, PaymentAttempt, Settlement, StoreOrder } from '../../../core/plugins/payment.js';
import { PluginError } from '../../../core/plugins/plugin-error.js';
import { CONFIG, LOGGER } from '../../../core/plugins/tokens.js';
import { TonPaymentError } from '../../../plugins/ton/ton-payment-error.js';
import { startChain, type SimChain } from '../../../sim/chain/index.js';
import { NO_STORE, openIntent, startRun, type Run } from './plugin-run.js';

/** Blocks come on their own, often enough that confirmation is quick and rare enough that it is not instant. */
const BLOCK_INTERVAL_MS = 100;
const VALID_FOR_SEC = 10;
/** Short, so a test can let it run out while an order waits for the wallet. */
const EXPIRY_MARGIN_SEC = 3;
const GAS_RESERVE = toNano('0.1');
const FUNDED = toNano('3');

/** Runs `fn` and returns the PluginError it rejects with (fails the test on anything else). */
async function pluginErrorOf(fn: () => Promise<unknown>): Promise<PluginError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof PluginError) return e;
    throw e;
  }
  return expect.fail('expected a PluginError, but the plugins registered');
}

/** Polls `probe` until it holds (a state, not a fixed sleep), failing after `timeoutMs`. */
async function waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TON payment plugin through the host, against the simulated chain', () => {
  let chain: SimChain;
  let storeAddress: string;
  let tonBlock: Record<string, unknown>;
  let discovered: DiscoveredPlugin[];
  const account: PaymentAccount = { name: 'main', wallet: 'main', store: NO_STORE };
  const signal = new AbortController().signal;
  /** Every run a test started, closed after it. */
  const runs: Run[] = [];

  function order(amount: Units, expiresInMs = 10 * 60_000): StoreOrder {
    return { orderId: `order-${randomUUID()}`, count: 1, currency: 'TON', amount, destination: storeAddress, expiresAt: Date.now() + expiresInMs };
  }

  function received(orderId: string) {
    return chain.transfersTo(storeAddress).filter((t) => t.comment === orderId);
  }

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: BLOCK_INTERVAL_MS });
    storeAddress = (await chain.treasury('stickerdom')).toString({ bounceable: false });
    tonBlock = { endpoint: chain.endpoint, toleranceBps: 150, validForSec: VALID_FOR_SEC, expiryMarginSec: EXPIRY_MARGIN_SEC, gasReserve: '0.1', confirmPollMs: 50 };
    discovered = await discoverPlugins();
  });

  afterEach(async () => {
    for (const r of runs.splice(0)) await r.ton.close();
  });

  afterAll(async () => {
    await chain?.close();
  });

  /** A config for the wallet of `words`, with these keys added to (or changed in) the TON block. */
  function configWith(words: readonly string[], ton: Record<string, unknown> = {}): AutomintConfig {
    return AutomintConfigSchema.parse({
      accounts: [{ name: 'main', wallet: 'main' }],
      wallets: [{ name: 'main', method: 'ton', mnemonic: words.join(' ') }],
      targets: [{ collection: 19, character: 2, packs: 3, methods: ['ton'] }],
      budget: { TON: '10' },
      plugins: { ton: { ...tonBlock, ...ton } },
    });
  }

  /** A wallet of the test's own (funded with FUNDED, seqno 0), and a run of the plugin for it: each test starts from
   *  a wallet no other test has touched, so it passes alone (`-t`) as in the whole file. The run has prepared the
   *  wallet unless `prepare` is false. */
  interface Wallet {
    readonly words: string[];
    readonly address: string;
    readonly config: AutomintConfig;
    readonly run: Run;
  }
  async function freshWallet(opts: { prepare?: boolean } = {}): Promise<Wallet> {
    const words = await mnemonicNew();
    const { publicKey } = await mnemonicToPrivateKey(words);
    const address = (await chain.fundWalletV5R1(publicKey, FUNDED)).toRawString();
    const config = configWith(words);
    const run = await startRun(config, discovered);
    runs.push(run);
    if (opts.prepare !== false) await run.ton.prepare(account, signal);
    return { words, address, config, run };
  }

  /** Another run of the plugin on the same wallet (a restart). */
  async function restart(w: Wallet): Promise<Run> {
    const run = await startRun(w.config, discovered);
    runs.push(run);
    return run;
  }

  /** Pays `o` from the run's wallet and returns the attempt and its settlement (a paid one, else the test fails). */
  async function pay(run: Run, o: StoreOrder): Promise<{ attempt: PaymentAttempt; txHash: string; fee: bigint }> {
    const attempt = await run.ton.steps(account).prepare(o, signal);
    try {
      await attempt.send(signal);
      const settlement = await attempt.confirm(signal);
      if (settlement.outcome !== 'paid') return expect.fail(`expected paid, got ${settlement.outcome}: ${settlement.reason}`);
      return { attempt, txHash: settlement.txHash, fee: settlement.fee };
    } finally {
      attempt.dispose();
    }
  }

  it('registers as the TON method with the order policy of its config block', async () => {
    const { run } = await freshWallet({ prepare: false });
    expect(run.ton.currency).toBe('TON');
    // The fee allowance defaults to 0.02 TON, independent of the gas reserve the wallet keeps.
    expect(run.ton.orderPolicy).toMatchObject({ toleranceBps: 150, expiryMarginMs: EXPIRY_MARGIN_SEC * 1000, feeAllowance: toNano('0.02') });
    // The store's unpaid TON order limit is its shop setting crypto_orders_limit (ghost orders fill it).
    expect(run.ton.orderPolicy.unpaidOrdersLimit?.({ cryptoPaymentEnabled: true, cryptoOrdersLimit: 1 })).toBe(1);
  });

  it('logs the wallet ready on prepare, with its address, balance and seqno, and never the mnemonic', async () => {
    const { run, address, words } = await freshWallet({ prepare: false });
    await run.ton.prepare(account, signal);
    const ready = run.logs.filter((l) => l.msg === 'ton wallet ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ plugin: 'ton', account: 'main', wallet: 'main', balance: '3', seqno: 0, deployed: false });
    expect(Address.parse(String(ready[0]!.address)).toRawString()).toBe(address);
    expect(run.logs.map((l) => JSON.stringify(l)).join('\n')).not.toContain(words.slice(0, 3).join(' '));
  });

  it('refuses to prepare for an account without a wallet', async () => {
    const { run } = await freshWallet({ prepare: false });
    await expect(run.ton.prepare({ name: 'other', wallet: undefined, store: NO_STORE }, signal)).rejects.toMatchObject({ code: 'TON_NO_WALLET' });
  });

  it('offers the balance minus the gas reserve as capacity', async () => {
    const { run } = await freshWallet();
    expect(await run.ton.capacity(account, signal)).toBe(FUNDED - GAS_RESERVE);
  });

  it('refuses an order when the balance is below its amount plus the gas reserve', async () => {
    const { run } = await freshWallet();
    const steps = run.ton.steps(account);
    const refusal = await steps.check(order(FUNDED - GAS_RESERVE + 1n), signal);
    expect(refusal).toContain('below');
    expect(refusal).toContain('3 TON');
    expect(await steps.check(order(FUNDED - GAS_RESERVE), signal)).toBeNull();
  });

  it('refuses an order whose destination is not a TON address', async () => {
    const { run } = await freshWallet();
    const steps = run.ton.steps(account);
    expect(await steps.check({ ...order(toNano('0.1')), destination: 'not-an-address' }, signal)).toContain('not a TON address');
    await expect(steps.prepare({ ...order(toNano('0.1')), destination: 'not-an-address' }, signal)).rejects.toMatchObject({ code: 'TON_BAD_DESTINATION' });
  });

  it('pays an order: the store gets exactly the amount with the order id as comment, and confirm says paid', async () => {
    const { run, address } = await freshWallet();
    const paidOrder = order(toNano('0.5'));
    const walletBefore = await chain.balance(address);
    const paidAttempt = await run.ton.steps(account).prepare(paidOrder, signal);
    try {
      expect(paidAttempt.idempotencyKey).toBe(`ton:${address}:0:${paidOrder.orderId}`);
      expect(paidAttempt.payload).toMatchObject({ seqno: 0, comment: paidOrder.orderId });
      // Signed by the chain's clock, which this machine knows to within the second of the last block it read.
      expect(paidAttempt.payload.validUntil).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + VALID_FOR_SEC + 1);
      expect(received(paidOrder.orderId)).toEqual([]);

      await paidAttempt.send(signal);
      const settlement = await paidAttempt.confirm(signal);

      if (settlement.outcome !== 'paid') return expect.fail(`expected paid, got ${settlement.outcome}: ${settlement.reason}`);
      expect(settlement.txHash).toMatch(/^[0-9a-f]{64}$/);
      expect(settlement.fee).toBeGreaterThan(0n);
      expect(received(paidOrder.orderId)).toMatchObject([{ from: address, amount: paidOrder.amount, success: true }]);
      expect(await chain.balance(address)).toBe(walletBefore - paidOrder.amount - settlement.fee);
    } finally {
      paidAttempt.dispose();
    }
  });

  it('keeps its balance estimate exact after paying, so check still refuses one nanoton too much', async () => {
    const { run, address } = await freshWallet();
    await pay(run, order(toNano('0.5')));
    const steps = run.ton.steps(account);
    const balance = await chain.balance(address);
    expect(balance).toBeLessThan(FUNDED - toNano('0.5'));
    expect(await steps.check(order(balance - GAS_RESERVE + 1n), signal)).toContain('below');
    expect(await steps.check(order(balance - GAS_RESERVE), signal)).toBeNull();
  });

  it('refuses an order that names no expiry', async () => {
    const { run } = await freshWallet();
    expect(await run.ton.steps(account).check({ ...order(toNano('0.1')), expiresAt: null }, signal)).toContain('has no expiry');
  });

  it('refuses to sign, and frees the wallet, when the wait for the wallet used up the expiry margin', async () => {
    const { run } = await freshWallet();
    const steps = run.ton.steps(account);
    const holder = await steps.prepare(order(toNano('0.1')), signal);
    // Worth paying when it arrived (more than the margin left), but the wallet is busy with another order.
    const expiring = order(toNano('0.1'), EXPIRY_MARGIN_SEC * 1000 + 400);
    const outcome = steps.prepare(expiring, signal).then((a) => {
      a.dispose();
      return 'prepared';
    }, (e: unknown) => e);
    await waitFor(() => expiring.expiresAt! - Date.now() < EXPIRY_MARGIN_SEC * 1000 - 50, 'the margin to run out');
    holder.dispose();

    const refused = await outcome;
    expect(refused).toBeInstanceOf(TonPaymentError);
    expect(refused).toMatchObject({ code: 'TON_ORDER_EXPIRING', details: { orderId: expiring.orderId, marginMs: EXPIRY_MARGIN_SEC * 1000 } });
    // The wallet is free again: the next order is signed without waiting for anything.
    const next = await steps.prepare(order(toNano('0.1')), signal);
    next.dispose();
    expect(received(expiring.orderId)).toEqual([]);
  });

  it('keeps a transfer from outliving its order', async () => {
    const { run } = await freshWallet();
    const shortLived = order(toNano('0.1'), 5_000);
    const attempt = await run.ton.steps(account).prepare(shortLived, signal);
    attempt.dispose();
    expect(attempt.payload.validUntil).toBe(Math.floor(shortLived.expiresAt! / 1000));
  });

  it('calls an attempt that was never sent not paid once its validUntil has passed, and reuses its seqno', async () => {
    const { run } = await freshWallet();
    await pay(run, order(toNano('0.5'))); // seqno 0 is spent: the unsent attempt takes 1
    const unsent = order(toNano('0.2'));
    const attempt = await run.ton.steps(account).prepare(unsent, signal);
    let settlement: Settlement;
    try {
      expect(attempt.payload.seqno).toBe(1);
      settlement = await attempt.confirm(signal);
    } finally {
      attempt.dispose();
    }
    expect(settlement.outcome).toBe('not-paid');
    expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(attempt.payload.validUntil as number);
    expect(received(unsent.orderId)).toEqual([]);

    const next = await run.ton.steps(account).prepare(order(toNano('0.2')), signal);
    next.dispose();
    expect(next.payload.seqno).toBe(1);
  });

  describe('after a restart', () => {
    /** A first run that paid one order, then signed and recorded a transfer and died before broadcasting it; and the
     *  run that starts after it on the same wallet. Each test has its own. */
    async function crashedRun(): Promise<{
      wallet: Wallet; paid: { order: StoreOrder; attempt: PaymentAttempt; txHash: string }; recorded: { order: StoreOrder; intent: OpenIntent }; restarted: Run;
    }> {
      const wallet = await freshWallet();
      const paidOrder = order(toNano('0.5'));
      const { attempt: paidAttempt, txHash } = await pay(wallet.run, paidOrder);
      const o = order(toNano('0.4'));
      const attempt = await wallet.run.ton.steps(account).prepare(o, signal);
      const recorded = { order: o, intent: openIntent(o, attempt) };
      attempt.dispose();
      return { wallet, paid: { order: paidOrder, attempt: paidAttempt, txHash }, recorded, restarted: await restart(wallet) };
    }

    it('re-sends a recorded transfer that was never broadcast while it is still valid, and finds it paid', async () => {
      const { wallet, recorded, restarted } = await crashedRun();
      expect(received(recorded.order.orderId)).toEqual([]);
      const settlement = await restarted.ton.reconcile(recorded.intent, signal);
      expect(settlement).toMatchObject({ outcome: 'paid' });
      expect(received(recorded.order.orderId)).toMatchObject([{ from: wallet.address, amount: recorded.order.amount, success: true }]);
    });

    it('says paid for an intent that was already paid, without paying again', async () => {
      const { wallet, paid, recorded, restarted } = await crashedRun();
      // The recorded transfer is finished by a first reconciliation; reconciling it again must not pay it again.
      expect(await restarted.ton.reconcile(recorded.intent, signal)).toMatchObject({ outcome: 'paid' });
      const storeBefore = await chain.balance(storeAddress);
      const walletBefore = await chain.balance(wallet.address);

      const first = await restarted.ton.reconcile(openIntent(paid.order, paid.attempt), signal);
      const second = await restarted.ton.reconcile(recorded.intent, signal);

      expect(first).toEqual({ outcome: 'paid', txHash: paid.txHash, fee: expect.any(BigInt) });
      expect(second).toMatchObject({ outcome: 'paid' });
      expect(await chain.balance(storeAddress)).toBe(storeBefore);
      expect(await chain.balance(wallet.address)).toBe(walletBefore);
      expect(received(paid.order.orderId)).toHaveLength(1);
      expect(received(recorded.order.orderId)).toHaveLength(1);
    });

    it('pays the next order at the seqno after the reconciled one', async () => {
      const { recorded, restarted } = await crashedRun();
      expect(await restarted.ton.reconcile(recorded.intent, signal)).toMatchObject({ outcome: 'paid' });
      const next = order(toNano('0.3'));
      const attempt = await restarted.ton.steps(account).prepare(next, signal);
      try {
        expect(attempt.payload.seqno).toBe((recorded.intent.payload.seqno as number) + 1);
        await attempt.send(signal);
        expect(await attempt.confirm(signal)).toMatchObject({ outcome: 'paid' });
      } finally {
        attempt.dispose();
      }
      expect(received(next.orderId)).toMatchObject([{ amount: next.amount }]);
    });
  });

  it('leaves an intent it cannot read or whose wallet is not configured unknown', async () => {
    const { run } = await freshWallet();
    const foreign = order(toNano('0.1'));
    const attempt = await run.ton.steps(account).prepare(foreign, signal);
    attempt.dispose();
    const intent = openIntent(foreign, attempt);
    const elsewhere = (await chain.treasury('someone-else')).toString();

    expect(await run.ton.reconcile({ ...intent, payload: { ...intent.payload, walletAddress: elsewhere } }, signal))
      .toMatchObject({ outcome: 'unknown', reason: expect.stringContaining('no configured wallet') });
    expect(await run.ton.reconcile({ ...intent, payload: { ...intent.payload, seqno: undefined } }, signal))
      .toMatchObject({ outcome: 'unknown', reason: expect.stringContaining('incomplete') });
    expect(received(foreign.orderId)).toEqual([]);
  });

  describe('the store destination', () => {
    let elsewhere: string;

    beforeAll(async () => {
      elsewhere = (await chain.treasury('not-the-store')).toString();
    });

    /** A run of its own, on a wallet of its own, with these keys in the TON block. */
    async function runWith(ton: Record<string, unknown>): Promise<Run> {
      const { words } = await freshWallet({ prepare: false });
      const r = await startRun(configWith(words, ton), discovered);
      runs.push(r);
      return r;
    }

    function orderTo(destination: string): StoreOrder {
      return { ...order(toNano('0.1')), destination };
    }

    it('pays only the configured store wallets, whatever address form config and order use', async () => {
      const r = await runWith({ storeWallets: [Address.parse(storeAddress).toRawString()] });
      const steps = r.ton.steps(account);
      expect(await steps.check(orderTo(elsewhere), signal)).toBe(`destination ${elsewhere} is not an allowed store wallet`);
      expect(await steps.check(orderTo(storeAddress), signal)).toBeNull();
      expect(await steps.check(orderTo(Address.parse(storeAddress).toString()), signal)).toBeNull();
      expect(await steps.check(orderTo(elsewhere), signal)).toContain('is not an allowed store wallet');
    });

    it('refuses, with no allowlist, a destination that is not an active contract on chain', async () => {
      const steps = (await runWith({})).ton.steps(account);
      const nowhere = new Address(0, Buffer.alloc(32, 9)).toString({ bounceable: false }); // never deployed
      expect(await steps.check(orderTo(nowhere), signal)).toContain('is not an active contract on chain');
      // A treasury, like the store's wallet, is an active contract: it is pinned.
      expect(await steps.check(orderTo(storeAddress), signal)).toBeNull();
    });

    it('pins the first destination of a run and refuses a different one later', async () => {
      const r = await runWith({ requireActiveDestination: false });
      const steps = r.ton.steps(account);
      expect(await steps.check(orderTo(storeAddress), signal)).toBeNull();
      const refusal = await steps.check(orderTo(elsewhere), signal);
      expect(refusal).toContain(`destination ${elsewhere} differs from the store wallet ${storeAddress}`);
      expect(await steps.check(orderTo(Address.parse(storeAddress).toRawString()), signal)).toBeNull();
      expect(r.logs.filter((l) => String(l.msg).startsWith('ton store wallet pinned for this run'))).toMatchObject([{ level: 40, destination: storeAddress }]);
    });

    it('pins per plugin instance: another run pins the first destination it sees', async () => {
      const steps = (await runWith({ requireActiveDestination: false })).ton.steps(account);
      expect(await steps.check(orderTo(elsewhere), signal)).toBeNull();
      expect(await steps.check(orderTo(storeAddress), signal)).toContain('differs from the store wallet');
    });

    it('only logs an error about a different destination when onDestinationChange is warn', async () => {
      const r = await runWith({ onDestinationChange: 'warn', requireActiveDestination: false });
      const steps = r.ton.steps(account);
      expect(await steps.check(orderTo(storeAddress), signal)).toBeNull();
      const changed = orderTo(elsewhere);
      expect(await steps.check(changed, signal)).toBeNull();
      const warnings = r.logs.filter((l) => String(l.msg).startsWith('ton store wallet differs from the one pinned for this run'));
      expect(warnings).toMatchObject([{ level: 50, orderId: changed.orderId, pinned: storeAddress, destination: Address.parse(elsewhere).toString({ bounceable: false }) }]);
    });
  });

  describe('an invalid config block', () => {
    let words: string[];
    beforeAll(async () => {
      words = await mnemonicNew();
    });

    function blocksWith(ton: Record<string, unknown>): Record<string, unknown> {
      return { ton: { endpoint: chain.endpoint, ...ton } };
    }

    async function register(blocks: Record<string, unknown>): Promise<PluginError> {
      const scope = container.createChildContainer();
      scope.register(CONFIG, { useValue: configWith(words) });
      scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
      return pluginErrorOf(() => registerPlugins(scope, discovered, blocks, new Set(['ton'])));
    }

    it('names plugins.ton.toleranceBps when it is negative', async () => {
      const err = await register(blocksWith({ toleranceBps: -1 }));
      expect(err.code).toBe('PLUGIN_CONFIG_INVALID');
      expect(err.message).toContain('plugins.ton.toleranceBps');
      expect(err.details).toMatchObject({ plugin: 'ton', path: 'plugins.ton.toleranceBps' });
      expect(err.isConfigFault).toBe(true);
    });

    it('names the store wallet that is not a TON address, and a destination policy it does not know', async () => {
      const err = await register(blocksWith({ storeWallets: [storeAddress, 'not-an-address'], onDestinationChange: 'ignore' }));
      expect(err.code).toBe('PLUGIN_CONFIG_INVALID');
      expect(err.message).toContain('plugins.ton.storeWallets.1');
      expect(err.message).toContain('is not a TON address');
      expect(err.message).toContain('plugins.ton.onDestinationChange');
      expect(err.message).not.toContain('plugins.ton.storeWallets.0');
    });

    it('names an unknown key and every bad key at once', async () => {
      const err = await register(blocksWith({ toleranceBps: -1, gasReserve: 'lots', speed: 'max' }));
      expect(err.code).toBe('PLUGIN_CONFIG_INVALID');
      expect(err.message).toContain('plugins.ton.toleranceBps');
      expect(err.message).toContain('plugins.ton.gasReserve');
      expect(err.message).toContain('speed');
    });
  });
});
