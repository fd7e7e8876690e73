/** The run's events end to end: the demo drop bought in-process with a notifier plugin loaded by path (as a third
 *  party's would be) whose three subscribers record every event, throw on every event, and take 10 s over each. The
 *  recorder must see the sequence a bought target goes through, every event carrying the run's trace id; the other
 *  two must change nothing: every wanted pack bought, each at its price, paid once, within the budget. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig, worldVerdict } from '../../cli/demo.js';
import { runBot } from '../../core/run/run-bot.js';
import type { RunSummary } from '../../core/run/summary.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { knownSecrets } from '../../core/telemetry/secret-registry.js';
import { startTracing, type Tracing } from '../../core/telemetry/tracing.js';
import { toNano } from '../../core/money.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import type { RunEvent, RunEventOf, RunEventType } from '../../core/events/run-event.js';
import { startWorld, type World } from '../../sim/world.js';
import { ledgerKeyOf } from '../support/store-order-key.js';
import { BLOCK_MS, eventsProbe } from '../support/events-probe-plugin.js';

const probeFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/events-probe-plugin.ts');

let tracing: Tracing;
/** The run with the probe's subscribers, and the same drop bought from a fresh world without any. */
let probed: DemoRun;
let baseline: DemoRun;
let world: World;
let summary: RunSummary;
const logLines: string[] = [];

interface DemoRun {
  readonly world: World;
  readonly summary: RunSummary;
  readonly ms: number;
  readonly dataDir: string;
}

/** Buys the demo drop from a fresh world, with the probe notifier loaded or not. */
async function buyDemo(withProbe: boolean): Promise<DemoRun> {
  const w = await startWorld({ blockIntervalMs: 300 });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-events-'));
  const demo = await loadDemoConfig(w, dataDir);
  const plugins = (withProbe ? { ...demo.plugins, paths: [probeFile], 'events-probe': {} } : demo.plugins) as AutomintConfig['plugins'];
  const destination = new Writable({ write(chunk, _enc, done) { if (withProbe) logLines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const log = createLogger({ level: 'info', format: 'json', secrets: knownSecrets, destination });
  const started = Date.now();
  const s = await runBot({ config: { ...demo, plugins }, log, tracing, command: 'demo' });
  return { world: w, summary: s, ms: Date.now() - started, dataDir };
}

beforeAll(async () => {
  tracing = await startTracing({ serviceName: 'automint-test' });
  probed = await buyDemo(true);
  ({ world, summary } = probed);
  baseline = await buyDemo(false);
}, 120_000);

afterAll(async () => {
  await tracing?.shutdown(2_000);
  for (const r of [probed, baseline]) {
    await r?.world.close();
    if (r) await rm(r.dataDir, { recursive: true, force: true });
  }
});

const recorded = (): readonly RunEvent[] => eventsProbe().recorded;
const ofType = <T extends RunEventType>(type: T): RunEventOf<T>[] => recorded().filter((e): e is RunEventOf<T> => e.type === type);

describe('run events, end to end', () => {
  it('buys the whole drop at its prices, each order paid once, whatever the throwing and blocking subscribers do', () => {
    expect(summary.ok).toBe(true);
    expect(summary.packs).toBe(25);
    const paid = summary.orders.filter((o) => o.state === 'paid');
    const packsBy = (currency: string): number => paid.filter((o) => o.currency === currency).reduce((n, o) => n + o.count, 0);
    expect(packsBy('TON') + packsBy('XTR')).toBe(25);
    // 5 Golden Dogs at 5 TON, the other TON packs Blue Cats at 2.5 TON, every Stars pack a Blue Cat at 250 Stars.
    expect(summary.spent.TON).toBe(toNano('25') + toNano('2.5') * BigInt(packsBy('TON') - 5));
    expect(summary.spent.XTR).toBe(250n * BigInt(packsBy('XTR')));
    expect(summary.unknown).toBe(0);
    const orders = world.store.orders();
    const verdict = worldVerdict(orders);
    expect(verdict.doublePaid).toBe(0);
    expect(verdict.mismatched).toBe(0);
    expect(new Set(orders.filter((o) => o.state === 'paid').map(ledgerKeyOf))).toEqual(new Set(paid.map((o) => o.orderId)));
  });

  it('buys what a run without subscribers buys, at the same prices', () => {
    expect(baseline.summary.ok).toBe(true);
    const perTarget = (s: RunSummary): Record<string, number> => Object.fromEntries(s.targets.map((t) => [t.target, t.paid]));
    expect(perTarget(summary)).toEqual(perTarget(baseline.summary));
    // Which method won each pack is a race; what a pack cost in each currency is not.
    const pricePerPack = (s: RunSummary): string[] => [...new Set(s.orders.filter((o) => o.state === 'paid')
      .map((o) => `${o.target} ${o.currency} ${(o.amount / BigInt(o.count)).toString()}`))].sort();
    expect(pricePerPack(summary)).toEqual(pricePerPack(baseline.summary));
    expect(worldVerdict(baseline.world.store.orders()).doublePaid).toBe(0);
  });

  it('counts what the failing and the blocking subscribers lost, and ends the run within the drain bound', () => {
    const [recorder, thrower, blocker] = eventsProbe().subscriptions.map((s) => s.stats());
    expect(recorder).toMatchObject({ name: 'recorder', dropped: 0, failed: 0, delivered: recorded().length });
    // Every event reached the thrower and failed there; the next ones kept coming.
    expect(thrower).toMatchObject({ name: 'thrower', delivered: 0, dropped: 0, failed: recorded().length });
    // The blocker got to at most a few events (10 s each); the others were dropped from its queue of 8.
    expect(blocker!.dropped).toBeGreaterThan(0);
    expect(blocker!.delivered + blocker!.dropped + eventsProbe().blockerCalls).toBeGreaterThanOrEqual(recorded().length - 1);
    expect(eventsProbe().blockerCalls).toBeLessThanOrEqual(Math.ceil(probed.ms / BLOCK_MS) + 1);
    // A subscriber stuck for 10 s per event holds the end of the run for the drain bound (2 s) at most.
    expect(probed.ms).toBeLessThan(baseline.ms + 10_000);
    expect(eventsProbe().closed).toBe(true);
    // The failures were logged, not once per event.
    const failureLines = logLines.filter((l) => l.includes('run events: subscriber failed'));
    expect(failureLines.length).toBeGreaterThan(0);
    expect(failureLines.length).toBeLessThan(recorded().length / 4);
  });

  it('tells a bought target\'s story in order: published, stock seen, order created, payment sent and paid, target reached', () => {
    const types = recorded().map((e) => e.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-2)).toBe('run.summary');
    expect(types.at(-1)).toBe('run.stopped');
    const golden = recorded().filter((e) => !('target' in e) || e.target === '1:2');
    const story = golden.map((e) => e.type).filter((t) => ['stock.seen', 'order.created', 'payment.sent', 'payment.paid', 'target.reached'].includes(t));
    // The first of each, in the order they happened.
    const firsts = [...new Set(story)];
    expect(firsts).toEqual(['stock.seen', 'order.created', 'payment.sent', 'payment.paid', 'target.reached']);
    expect(types.indexOf('collection.published')).toBeLessThan(types.indexOf('stock.seen'));
    expect(ofType('target.reached').map((e) => e.target).sort()).toEqual(['1:1', '1:2']);
    // Every paid order: created, then sent, then paid, with its amount in the currency's smallest unit.
    const paidOrders = summary.orders.filter((o) => o.state === 'paid');
    expect(ofType('payment.paid').map((e) => e.orderId).sort()).toEqual(paidOrders.map((o) => o.orderId).sort());
    for (const o of paidOrders) {
      const at = (type: RunEventType): number => recorded().findIndex((e) => e.type === type && 'orderId' in e && e.orderId === o.orderId);
      expect(at('order.created')).toBeGreaterThanOrEqual(0);
      expect(at('order.created')).toBeLessThan(at('payment.sent'));
      expect(at('payment.sent')).toBeLessThan(at('payment.paid'));
      expect(ofType('payment.paid').find((e) => e.orderId === o.orderId)).toMatchObject({
        account: o.account, target: o.target, method: o.method, amountUnits: o.amount.toString(), currency: o.currency, packs: o.count, by: 'payer',
      });
    }
    expect(ofType('run.summary')[0]).toMatchObject({
      verdict: 'complete', packs: 25, spentUnits: { TON: summary.spent.TON.toString(), XTR: summary.spent.XTR.toString() },
    });
    expect(ofType('run.stopped')[0]).toMatchObject({ outcome: 'complete', stopReason: null });
  });

  it('stamps every event with the run\'s trace id, the one its log lines carry', () => {
    const ids = new Set(recorded().map((e) => e.traceId));
    expect(ids.size).toBe(1);
    const [traceId] = [...ids];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const logged = new Set(logLines.map((l) => (JSON.parse(l) as { trace_id?: string }).trace_id).filter(Boolean));
    expect(logged.has(traceId)).toBe(true);
  });

  it('carries no secret in any event', () => {
    const text = JSON.stringify(recorded());
    const secrets = world.buyers.flatMap((b) => [b.token, b.mnemonic, b.session, b.phone, ...(b.password ? [b.password] : [])]);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    for (const shape of [/eyJ[A-Za-z0-9_-]{10,}\.eyJ/, /auth_date=\d/, /query_id=/, /hash=[0-9a-f]{64}/]) expect(shape.test(text)).toBe(false);
  });
});
