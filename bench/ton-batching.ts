/** `npm run bench:batching [-- BLOCK_MS]`: N = 40 orders waiting on ONE wallet at once (several payers sharing it),
 *  paid through the TON plugin as the host pays them (prepare → send → confirm → dispose, each order its own payer)
 *  against the simulated chain (blocks every BLOCK_MS, default 1000 like the demo world). Measured with batching (the
 *  defaults: group commit, up to 255 transfers a message; the orders here are announced to no batcher, so the first
 *  leaves alone and the rest share the next message) and with `maxBatch: 1` (one message per order, as before),
 *  three runs each, interleaved; each run checks that every order was paid once with its own comment. Details go to
 *  stderr; the last line is one JSON object of medians:
 *  {"orders":40,"batched":{"perMessage":x,"perSecond":y},"single":{"perMessage":1,"perSecond":z},"speedup":y/z}. */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import pino from 'pino';
import { container } from 'tsyringe';
import { AutomintConfigSchema, pluginBlocks } from '../core/config/schema.js';
import { AutomintError } from '../core/errors.js';
import { toNano } from '../core/money.js';
import { discoverPlugins, registerPlugins } from '../core/plugins/host.js';
import type { PaymentAccount, PaymentMethod, Settlement, StoreOrder } from '../core/plugins/payment.js';
import { CONFIG, LOGGER } from '../core/plugins/tokens.js';
import type { StoreClient } from '../core/store/store-client.js';
import { startChain, type SimChain } from '../sim/chain/index.js';
import { median, round2 } from './median.js';

const ORDERS = 40;
const RUNS = 3;
const BLOCK_INTERVAL_MS = Number(process.argv[2] ?? 1000);
const AMOUNT = toNano('0.05');
/** Enough for every run's orders and fees, several times over. */
const FUNDING = toNano('100');

/** A bench run that did not pay every order exactly once: its numbers would mean nothing. */
class BenchFailed extends AutomintError {}

/** The steps under test never reach the store: orders are built here, paying the store's wallet. */
const NO_STORE = new Proxy({}, {
  get(_target, key) {
    throw new BenchFailed('BENCH_STORE_USED', `the store was not expected to be used (store.${String(key)})`);
  },
}) as StoreClient;

interface RunResult {
  readonly perMessage: number;
  readonly perSecond: number;
  readonly messages: number;
  readonly seconds: number;
}

const chain: SimChain = await startChain({ blockIntervalMs: BLOCK_INTERVAL_MS });
const words = await mnemonicNew();
await chain.fundWalletV5R1((await mnemonicToPrivateKey(words)).publicKey, FUNDING);
const store = (await chain.treasury('stickerdom-store')).toString({ bounceable: false });
const discovered = await discoverPlugins([]);

/** A fresh plugin instance (it reads the wallet's seqno from the chain) with `ton` in its config block. */
async function plugin(ton: Record<string, unknown>): Promise<{ method: PaymentMethod; account: PaymentAccount }> {
  const config = AutomintConfigSchema.parse({
    accounts: [{ name: 'bench', wallet: 'shared' }],
    wallets: [{ name: 'shared', method: 'ton', mnemonic: words.join(' ') }],
    targets: [{ collection: 1, character: 1, packs: ORDERS, methods: ['ton'] }],
    plugins: { ton: { endpoint: chain.endpoint, ...ton } },
  });
  const scope = container.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
  const { payments } = await registerPlugins(scope, discovered, pluginBlocks(config), new Set(['ton']));
  const method = payments.find((p) => p.id === 'ton')!;
  const account = { name: 'bench', wallet: 'shared', store: NO_STORE };
  await method.prepare(account, AbortSignal.timeout(30_000));
  return { method, account };
}

/** One payer's part: the host's steps after the order was verified (the ledger write is left out). */
async function pay(method: PaymentMethod, account: PaymentAccount, order: StoreOrder): Promise<Settlement> {
  const signal = AbortSignal.timeout(300_000);
  const attempt = await method.steps(account).prepare(order, signal);
  try {
    await attempt.send(signal).catch(() => undefined);
    return await attempt.confirm(signal);
  } finally {
    attempt.dispose();
  }
}

async function run(label: string, ton: Record<string, unknown>): Promise<RunResult> {
  const { method, account } = await plugin(ton);
  try {
    const orders: StoreOrder[] = Array.from({ length: ORDERS }, () => ({
      orderId: `bench-${randomUUID()}`, count: 1, currency: 'TON', amount: AMOUNT, destination: store, expiresAt: Date.now() + 10 * 60_000,
    }));
    const externals = chain.stats().externalsApplied;
    const started = performance.now();
    const settled = await Promise.all(orders.map((o) => pay(method, account, o)));
    const seconds = (performance.now() - started) / 1000;
    const messages = chain.stats().externalsApplied - externals;
    const unpaid = settled.filter((s) => s.outcome !== 'paid').length;
    const received = new Set(chain.transfersTo(store).map((t) => t.comment));
    const missing = orders.filter((o) => !received.has(o.orderId)).length;
    if (unpaid > 0 || missing > 0 || messages === 0) {
      throw new BenchFailed('BENCH_UNPAID', `${label}: ${unpaid} orders not paid, ${missing} transfers missing at the store`, { unpaid, missing, messages });
    }
    const result = { perMessage: ORDERS / messages, perSecond: ORDERS / seconds, messages, seconds };
    process.stderr.write(`${JSON.stringify({ run: label, ...result, perSecond: round2(result.perSecond), seconds: round2(seconds) })}\n`);
    return result;
  } finally {
    await method.close();
  }
}

try {
  const batched: RunResult[] = [];
  const single: RunResult[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    batched.push(await run(`batched#${i + 1}`, {}));
    single.push(await run(`single#${i + 1}`, { maxBatch: 1 }));
  }
  const medians = (rs: readonly RunResult[]) => ({
    perMessage: median(rs.map((r) => r.perMessage)),
    perSecond: median(rs.map((r) => r.perSecond)),
  });
  const b = medians(batched);
  const s = medians(single);
  process.stderr.write(`${JSON.stringify({ blockIntervalMs: BLOCK_INTERVAL_MS, runs: RUNS, amountTon: '0.05' })}\n`);
  console.log(JSON.stringify({
    orders: ORDERS,
    batched: { perMessage: round2(b.perMessage), perSecond: round2(b.perSecond) },
    single: { perMessage: round2(s.perMessage), perSecond: round2(s.perSecond) },
    speedup: round2(b.perSecond / s.perSecond),
  }));
} finally {
  await chain.close();
}
