import { randomUUID } from 'node:crypto';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutomintConfigSchema, type AutomintConfig } from '../../../core/config/schema.js';
import { toNano, type Units } from '../../../core/money.js';
import { discoverPlugins, type DiscoveredPlugin } from '../../../core/plugins/host.js';
import type { OpenIntent, PaymentAccount, PaymentAttempt, Settlement, StoreOrder } from '../../../core/plugins/payment.js';
import { startChain, type SimChain } from '../../../sim/chain/index.js';
import { startFlakyToncenter, type FlakyToncenter } from '../../support/flaky-toncenter.js';
import { NO_STORE, openIntent, startRun, type Run } from './plugin-run.js';

/** Blocks come on their own, often enough that confirmation is quick. */
const BLOCK_INTERVAL_MS = 100;
const FUNDED = toNano('3');
const signal = new AbortController().signal;

/** A chain of the describe's own, a fresh funded wallet per test, and runs of the plugin on it. */
function chainFixture() {
  const fx = {
    chain: undefined as unknown as SimChain,
    storeAddress: '',
    discovered: [] as DiscoveredPlugin[],
    runs: [] as Run[],
  };
  beforeAll(async () => {
    fx.chain = await startChain({ blockIntervalMs: BLOCK_INTERVAL_MS });
    fx.storeAddress = (await fx.chain.treasury('stickerdom')).toString({ bounceable: false });
    fx.discovered = await discoverPlugins();
  });
  afterEach(async () => {
    for (const r of fx.runs.splice(0)) await r.ton.close();
  });
  afterAll(async () => {
    await fx.chain?.close();
  });
  return fx;
}

type Fixture = ReturnType<typeof chainFixture>;

/** A wallet of the test's own, and how to start runs of the plugin on it (each one is a restart). */
async function freshWallet(fx: Fixture, accounts: readonly string[] = ['main']) {
  const words = await mnemonicNew();
  const address = (await fx.chain.fundWalletV5R1((await mnemonicToPrivateKey(words)).publicKey, FUNDED)).toRawString();
  const configWith = (ton: Record<string, unknown>): AutomintConfig => AutomintConfigSchema.parse({
    accounts: accounts.map((name) => ({ name, wallet: 'main' })),
    wallets: [{ name: 'main', method: 'ton', mnemonic: words.join(' ') }],
    targets: [{ collection: 19, character: 2, packs: 3, methods: ['ton'] }],
    budget: { TON: '10' },
    plugins: { ton: { endpoint: fx.chain.endpoint, validForSec: 20, expiryMarginSec: 3, gasReserve: '0.1', confirmPollMs: 50, ...ton } },
  });
  return {
    address,
    /** A run of the plugin on this wallet, with the machine's clock `clock` and these keys in its TON block. */
    async start(opts: { clock?: () => number; ton?: Record<string, unknown> } = {}): Promise<Run> {
      const run = await startRun(configWith(opts.ton ?? {}), fx.discovered, opts.clock ? { clock: opts.clock } : {});
      fx.runs.push(run);
      return run;
    },
  };
}

function account(name = 'main'): PaymentAccount {
  return { name, wallet: 'main', store: NO_STORE };
}

function order(fx: Fixture, amount: Units = toNano('0.2')): StoreOrder {
  return { orderId: `order-${randomUUID()}`, count: 1, currency: 'TON', amount, destination: fx.storeAddress, expiresAt: Date.now() + 15 * 60_000 };
}

function received(fx: Fixture, orderId: string) {
  return fx.chain.transfersTo(fx.storeAddress).filter((t) => t.comment === orderId);
}

/** A run that signed and recorded a transfer for a new order, then died before broadcasting it: the order and the
 *  intent the ledger kept. */
async function recordedThenKilled(run: Run, fx: Fixture): Promise<{ lost: StoreOrder; intent: OpenIntent }> {
  const lost = order(fx);
  const recorded = await run.ton.steps(account()).prepare(lost, signal);
  const intent = openIntent(lost, recorded);
  recorded.dispose();
  return { lost, intent };
}

/** The host's steps for one order: prepare, (record), send, confirm, let go. */
async function pay(run: Run, o: StoreOrder, who = account()): Promise<{ attempt: PaymentAttempt; settlement: Settlement }> {
  const attempt = await run.ton.steps(who).prepare(o, signal);
  try {
    await attempt.send(signal);
    return { attempt, settlement: await attempt.confirm(signal) };
  } finally {
    attempt.dispose();
  }
}

describe('settling a TON payment by its message, whatever the machine\'s clock says', () => {
  const fx = chainFixture();

  it.each([0, -90, -30, 30, 90, 600])('pays, and finds the payment again after a restart, with the clock %i s off', async (skewSec) => {
    const clock = (): number => Date.now() + skewSec * 1000;
    const wallet = await freshWallet(fx);
    const run = await wallet.start({ clock });
    await run.ton.prepare(account(), signal);
    const o = order(fx);

    const { attempt, settlement } = await pay(run, o);

    // Signed by the chain's clock: valid for validForSec from now, whichever way the machine's clock is off.
    const validUntil = attempt.payload.validUntil as number;
    expect(validUntil - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(18);
    expect(validUntil - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(22);
    expect(settlement).toMatchObject({ outcome: 'paid' });
    expect(received(fx, o.orderId)).toHaveLength(1);
    const restarted = await wallet.start({ clock });
    expect(await restarted.ton.reconcile(openIntent(o, attempt), signal)).toEqual(settlement);
    // An offset past 5 s is worth a warning; a small one is not.
    const warned = run.logs.filter((l) => l.level === 40 && typeof l.offsetMs === 'number');
    expect(warned.length).toBe(Math.abs(skewSec) > 5 ? 1 : 0);
    if (warned.length > 0) expect(Math.round((warned[0]!.offsetMs as number) / 1000)).toBeCloseTo(-skewSec, -1);
  });

  it('proves a recorded message not paid as soon as another message took its seqno, long before it expires', async () => {
    const wallet = await freshWallet(fx);
    // Messages valid for 10 minutes: the proof cannot come from their expiry within this test.
    const ton = { validForSec: 600, confirmTimeoutSec: 700 };
    const { lost, intent } = await recordedThenKilled(await wallet.start({ ton }), fx);

    const restarted = await wallet.start({ ton });
    const other = order(fx);
    const { attempt: otherAttempt, settlement } = await pay(restarted, other);
    expect(settlement.outcome).toBe('paid');
    expect(otherAttempt.payload.seqno).toBe(intent.payload.seqno);

    const started = Date.now();
    const settled = await restarted.ton.reconcile(intent, signal);
    expect(settled).toMatchObject({ outcome: 'not-paid', reason: expect.stringContaining(`another message used seqno ${String(intent.payload.seqno)}`) });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(received(fx, lost.orderId)).toEqual([]);

    // Proven not paid, the order is paid again with a new message: exactly once.
    const again = await pay(restarted, lost);
    expect(again.settlement.outcome).toBe('paid');
    expect(again.attempt.payload.seqno).toBe((intent.payload.seqno as number) + 1);
    expect(await restarted.ton.reconcile(intent, signal)).toMatchObject({ outcome: 'not-paid' });
    expect(received(fx, lost.orderId)).toHaveLength(1);
  });

  it('settles every member of a batch killed half-recorded once other messages overtook it', async () => {
    const wallet = await freshWallet(fx, ['a', 'b', 'c', 'd']);
    const ton = { validForSec: 600, confirmTimeoutSec: 700 };
    const crashed = await wallet.start({ ton });
    // The first order takes the free wallet alone; the three arriving while it is out form the next batch.
    const [head, ...members] = [order(fx), order(fx), order(fx), order(fx)];
    const leading = crashed.ton.steps(account('a')).prepare(head!, signal);
    const joining = members.map((o, i) => crashed.ton.steps(account(['b', 'c', 'd'][i])).prepare(o, signal));
    (await leading).dispose(); // never recorded: its message is never sent, and the wallet moves on to the batch
    const attempts = await Promise.all(joining);
    expect(attempts.map((a) => (a.payload.batch as { size: number }).size)).toEqual([3, 3, 3]);
    // Two of three recorded their intents, then the process died: the message was never broadcast.
    const intents = attempts.slice(0, 2).map((a, i) => openIntent(members[i]!, a));
    for (const a of attempts) a.dispose();

    const restarted = await wallet.start({ ton });
    // The wallet moves on: two more messages after the one that took the batch's seqno.
    for (let i = 0; i < 3; i++) expect((await pay(restarted, order(fx))).settlement.outcome).toBe('paid');

    for (const intent of intents) {
      expect(await restarted.ton.reconcile(intent, signal)).toMatchObject({ outcome: 'not-paid', reason: expect.stringContaining('another message used seqno') });
    }
    for (const o of [head!, ...members]) expect(received(fx, o.orderId)).toEqual([]);
  });
});

describe('broadcasting a TON payment while toncenter fails', () => {
  const fx = chainFixture();
  let flaky: FlakyToncenter;

  beforeAll(async () => {
    flaky = await startFlakyToncenter(fx.chain.endpoint);
  });

  afterAll(async () => {
    await flaky?.close();
  });

  it('sends the same message again after 503s, and the order is paid within the run', async () => {
    const wallet = await freshWallet(fx);
    const run = await wallet.start({ ton: { endpoint: flaky.endpoint } });
    await run.ton.prepare(account(), signal);
    const o = order(fx);
    const before = flaky.calls('sendBoc');
    flaky.failNext('sendBoc', 2, 503);

    const { settlement } = await pay(run, o);

    expect(settlement.outcome).toBe('paid');
    expect(flaky.calls('sendBoc') - before).toBe(3);
    expect(received(fx, o.orderId)).toHaveLength(1);
  });

  it('leaves unknown a paid message that the transaction listing does not show yet, and proves nothing', async () => {
    const wallet = await freshWallet(fx);
    const o = order(fx);
    const { attempt, settlement } = await pay(await wallet.start(), o);
    expect(settlement.outcome).toBe('paid');
    flaky.listNothing(true);
    try {
      const lagging = await wallet.start({ ton: { endpoint: flaky.endpoint } });
      expect(await lagging.ton.reconcile(openIntent(o, attempt), signal))
        .toMatchObject({ outcome: 'unknown', reason: expect.stringContaining(`seqno moved past ${String(attempt.payload.seqno)}`) });
    } finally {
      flaky.listNothing(false);
    }
  });

  it('looks at the store\'s wallet on chain once for orders arriving together, not once per order', async () => {
    const wallet = await freshWallet(fx);
    const run = await wallet.start({ ton: { endpoint: flaky.endpoint } });
    await run.ton.prepare(account(), signal);
    const before = flaky.calls('getAddressInformation');
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => run.ton.steps(account()).check(order(fx), signal)));
    expect(verdicts).toEqual([null, null, null, null, null]);
    expect(flaky.calls('getAddressInformation') - before).toBe(1);
    // Seen active once, it is not looked at again in this run.
    expect(await run.ton.steps(account()).check(order(fx), signal)).toBeNull();
    expect(flaky.calls('getAddressInformation') - before).toBe(1);
  });

  it('neither pays nor pins a store wallet it could not look at, and checks it again', async () => {
    const wallet = await freshWallet(fx);
    const run = await wallet.start({ ton: { endpoint: flaky.endpoint } });
    await run.ton.prepare(account(), signal);
    flaky.failNext('getAddressInformation', 3, 503);
    await expect(run.ton.steps(account()).check(order(fx), signal)).rejects.toMatchObject({ code: 'TON_DESTINATION_UNVERIFIED' });
    expect(flaky.failuresLeft('getAddressInformation')).toBe(0);
    expect(run.logs.some((l) => String(l.msg).startsWith('ton store wallet pinned'))).toBe(false);
    expect(await run.ton.steps(account()).check(order(fx), signal)).toBeNull();
    expect(run.logs.filter((l) => String(l.msg).startsWith('ton store wallet pinned'))).toHaveLength(1);
  });

  it('keeps sending through a toncenter outage while the message is valid', async () => {
    const wallet = await freshWallet(fx);
    const run = await wallet.start({ ton: { endpoint: flaky.endpoint } });
    await run.ton.prepare(account(), signal);
    const o = order(fx);
    const sendsBefore = flaky.calls('sendBoc');
    flaky.down();
    const paying = pay(run, o);
    await new Promise((r) => setTimeout(r, 2_000));
    flaky.up();
    expect((await paying).settlement.outcome).toBe('paid');
    expect(flaky.calls('sendBoc') - sendsBefore).toBeGreaterThanOrEqual(2);
    expect(received(fx, o.orderId)).toHaveLength(1);
  });
});

describe('an unsent TON message, judged by the chain\'s clock', () => {
  const fx = chainFixture();

  it('is not paid once the chain\'s clock passes its valid_until, without waiting for it in real time', async () => {
    const wallet = await freshWallet(fx);
    const ton = { validForSec: 600, confirmTimeoutSec: 700 };
    const { lost, intent } = await recordedThenKilled(await wallet.start({ ton }), fx);
    // Recorded, a restart would send it again: take its chance away by moving the chain's clock past its valid_until;
    // the wallet contract then refuses it for good.
    fx.chain.advanceTime(700);
    const started = Date.now();
    const restarted = await wallet.start({ ton });
    expect(await restarted.ton.reconcile(intent, signal)).toMatchObject({ outcome: 'not-paid', reason: expect.stringContaining('expired') });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(received(fx, lost.orderId)).toEqual([]);
    // The seqno it held is free again, and the next message is signed by the chain's clock (10 min ahead of ours).
    const next = await pay(restarted, order(fx));
    expect(next.settlement.outcome).toBe('paid');
    expect(next.attempt.payload.seqno).toBe(intent.payload.seqno);
  });
});
