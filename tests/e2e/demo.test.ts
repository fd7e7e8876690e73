/** The demo scenario end to end, in-process: the simulated world (store + chain over real sockets), config/demo.yaml,
 *  the real plugins and actors, tracing exported over OTLP/HTTP to a receiver this test starts. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig, worldVerdict } from '../../cli/demo.js';
import { runBot, ledgerPath } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { knownSecrets } from '../../core/telemetry/secret-registry.js';
import { startTracing } from '../../core/telemetry/tracing.js';
import { toNano } from '../../core/money.js';
import { openLedger } from '../../core/ledger/database.js';
import type { ReservationRow } from '../../core/ledger/budget.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { startWorld, type World } from '../../sim/world.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { ledgerKeyOf } from '../support/store-order-key.js';

let world: World;
let receiver: OtlpReceiver;
let summary: RunSummary;
let dataDir: string;
let dbBytes: Buffer;
let config: AutomintConfig;
/** The ledger's budget reservations as the run left them. */
let reservations: ReservationRow[];
const logLines: string[] = [];
const initialBalances = new Map<string, bigint>();

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const previous = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  const tracing = await startTracing({ serviceName: 'automint' });
  if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previous;

  world = await startWorld({ blockIntervalMs: 400 });
  for (const b of world.buyers) initialBalances.set(b.name, await world.chain.balance(b.address));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-e2e-'));
  config = await loadDemoConfig(world, dataDir);
  const destination = new Writable({ write(chunk, _enc, done) { logLines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const log = createLogger({ level: 'debug', format: 'json', secrets: knownSecrets, destination });
  summary = await runBot({ config, log, tracing, command: 'demo' });
  await tracing.shutdown(5000);
  dbBytes = await readFile(ledgerPath(config));
  const ledger = await openLedger(ledgerPath(config), { mustExist: true });
  try {
    reservations = await ledger.budget.list();
  } finally {
    await ledger.close();
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
  await receiver?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('demo drop, end to end', () => {
  it('buys every wanted pack and reports success', () => {
    expect(summary.ok).toBe(true);
    expect(summary.packs).toBe(25);
    // Both methods buy the Blue Cat in parallel; the Golden Dog is TON only.
    expect(summary.paid['ton']).toBeGreaterThan(0);
    expect(summary.paid['stars']).toBeGreaterThan(0);
    const paid = summary.orders.filter((o) => o.state === 'paid');
    const packsBy = (currency: string) => paid.filter((o) => o.currency === currency).reduce((n, o) => n + o.count, 0);
    expect(packsBy('TON') + packsBy('XTR')).toBe(25);
    // 5 Golden Dogs at 5 TON, the other TON packs Blue Cats at 2.5 TON, every Stars pack a Blue Cat at 250 Stars.
    expect(summary.spent.TON).toBe(toNano('25') + toNano('2.5') * BigInt(packsBy('TON') - 5));
    expect(summary.spent.XTR).toBe(250n * BigInt(packsBy('XTR')));
    expect(summary.unknown).toBe(0);
  });

  it('consumes from the ledger\'s budget exactly what each paid order and its fee cost, and stays within the config budget', () => {
    const paid = summary.orders.filter((o) => o.state === 'paid');
    const consumed = reservations.filter((r) => r.state === 'consumed');
    // One consumed reservation per paid order, of its amount plus its fee; nothing consumed for any other order.
    expect(consumed.map((r) => r.orderId).sort()).toEqual(paid.map((o) => o.orderId).sort());
    for (const o of paid) {
      expect(consumed.find((r) => r.orderId === o.orderId), `reservation of order ${o.orderId}`).toMatchObject({ currency: o.currency, amount: o.amount + (o.fee ?? 0n) });
    }
    // Nothing is left held once the run is over.
    expect(reservations.filter((r) => r.state === 'held')).toEqual([]);
    for (const currency of ['TON', 'XTR'] as const) {
      const total = consumed.filter((r) => r.currency === currency).reduce((sum, r) => sum + r.amount, 0n);
      const fees = paid.filter((o) => o.currency === currency).reduce((sum, o) => sum + (o.fee ?? 0n), 0n);
      expect(total).toBe(summary.spent[currency] + fees);
      expect(total).toBeGreaterThan(0n);
      expect(total).toBeLessThanOrEqual(config.budget[currency]);
    }
    // TON pays fees on chain; the ledger counts them against the budget.
    expect(paid.filter((o) => o.currency === 'TON').every((o) => (o.fee ?? 0n) > 0n)).toBe(true);
  });

  it('pays every paid order exactly once on chain, and the store agrees with the ledger', () => {
    const orders = world.store.orders();
    const verdict = worldVerdict(orders);
    expect(verdict.doublePaid).toBe(0);
    expect(verdict.mismatched).toBe(0);
    const storePaid = new Set(orders.filter((o) => o.state === 'paid').map(ledgerKeyOf));
    const ledgerPaid = new Set(summary.orders.filter((o) => o.state === 'paid').map((o) => o.orderId));
    expect(storePaid).toEqual(ledgerPaid);
    for (const o of orders.filter((x) => x.state === 'paid')) {
      expect(o.payments.filter((p) => p.verdict === 'paid')).toHaveLength(1);
    }
    expect(world.store.unmatchedTransfers()).toEqual([]);
  });

  it('leaves stock and balances consistent: each wallet lost exactly what its paid orders and fees cost', async () => {
    for (const b of world.buyers) {
      const paid = summary.orders.filter((o) => o.account === b.name && o.state === 'paid' && o.currency === 'TON');
      const cost = paid.reduce((sum, o) => sum + o.amount + (o.fee ?? 0n), 0n);
      expect(await world.chain.balance(b.address)).toBe(initialBalances.get(b.name)! - cost);
    }
    const storeOrders = world.store.orders().filter((o) => o.state === 'paid');
    for (const character of [1, 2]) {
      const boughtByUs = storeOrders.filter((o) => o.characterId === character).reduce((n, o) => n + o.count, 0);
      expect(boughtByUs).toBe(character === 1 ? 20 : 5);
      expect(world.store.stock(1, character)).toBeGreaterThanOrEqual(0);
    }
  });

  it('exports a span per actor and per state, with events, over OTLP', () => {
    const names = new Set(receiver.spans().map((s) => s.name));
    expect(names).toContain('automint.run');
    expect(names).toContain('actor sniper');
    for (const id of ['purchase:1:1:alice', 'purchase:1:1:bob', 'purchase:1:2:alice', 'pay:ton:purchase:1:1:alice', 'pay:stars:purchase:1:1:bob', 'auth:alice', 'limiter', 'endpoints', 'watcher:1:1']) {
      expect(names).toContain(`actor ${id}`);
    }
    for (const state of ['arming', 'armed', 'buying', 'ordering', 'verifying', 'recording', 'sending', 'confirming']) {
      expect(names).toContain(`state ${state}`);
    }
    const payer = receiver.spans().find((s) => s.name === 'actor pay:ton:purchase:1:1:bob');
    expect(payer?.attributes).toMatchObject({ 'automint.payment.method': 'ton', 'automint.account': 'bob', 'automint.purchase.id': 'purchase:1:1:bob' });
    const events = receiver.spans().flatMap((s) => s.events.map((e) => e.attributes['xstate.event']));
    expect(events).toContain('STOCK');
    expect(events).toContain('PAYER.PAID');
    expect(events).toContain('xstate.done.actor.pay:ton:purchase:1:1:bob');
  });

  it('never lets a secret into a log line, a span or the ledger', () => {
    // The whole values, and every run of four consecutive mnemonic words (a partial leak); single words are common English.
    const windows = (words: string[]): string[] => words.slice(0, -3).map((_w, i) => words.slice(i, i + 4).join(' '));
    const secrets = world.buyers.flatMap((b) => [
      b.token, b.mnemonic, ...windows(b.mnemonic.split(' ')), b.session, b.session.slice(20, 80), b.phone, ...(b.password ? [b.password] : []),
    ]);
    secrets.push(world.store.telegramBot.token);
    const spanText = receiver.rawBodies().join('\n');
    const db = dbBytes.toString('latin1');
    expect(logLines.length).toBeGreaterThan(10);
    expect(spanText.length).toBeGreaterThan(1000);
    for (const secret of new Set(secrets)) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
      expect(spanText.includes(secret)).toBe(false);
      expect(db.includes(secret)).toBe(false);
    }
    // The JWTs the store issued at login and the initData they were issued for are never seen by the test, so their
    // shapes are searched for instead: a JWT header, and initData's signed fields.
    const shapes = [/eyJ[A-Za-z0-9_-]{10,}\.eyJ/, /auth_date=\d/, /query_id=/, /tgWebAppData/, /hash=[0-9a-f]{64}/];
    for (const shape of shapes) {
      expect(logLines.filter((l) => shape.test(l))).toEqual([]);
      expect(shape.test(spanText)).toBe(false);
      expect(shape.test(db)).toBe(false);
    }
  });

  it('logs in through Telegram and pays Stars invoices from the session saved in the data folder (mode 0600)', async () => {
    const { stat } = await import('node:fs/promises');
    for (const b of world.buyers) {
      expect((await stat(path.join(dataDir, 'sessions', `${b.name}.session`))).mode & 0o777).toBe(0o600);
    }
    expect(world.store.stats().auth.issued).toBeGreaterThanOrEqual(2);
    const starsPaid = world.telegram.payments();
    expect(starsPaid.length).toBe(summary.paid['stars']);
    expect(new Set(starsPaid.map((p) => p.slug))).toEqual(new Set(summary.orders.filter((o) => o.state === 'paid' && o.currency === 'XTR').map((o) => o.orderId)));
  });

  it('joins log lines to the trace', () => {
    const traceIds = new Set(receiver.spans().map((s) => s.traceId));
    const withTrace = logLines.map((l) => JSON.parse(l) as { trace_id?: string }).filter((l) => l.trace_id);
    expect(withTrace.length).toBeGreaterThan(0);
    expect(withTrace.every((l) => traceIds.has(l.trace_id!))).toBe(true);
  });
});
