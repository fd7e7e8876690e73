/** The watcher's failed polls: counted, loud every 30 s, blind at the profile's limit, told to the run; and a target
 *  read on its own entry, whatever the rest of the answer holds. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, setup, spawnChild, type Actor, type AnyStateMachine } from 'xstate';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { watcherLogic, type WatcherInput, type WatcherReport } from '../../../../core/actors/watcher.js';
import type { WatchReport } from '../../../../core/actors/failed-polls.js';
import { collectionSchema, type CollectionView } from '../../../../core/store/collection-answer.js';
import { StoreMalformed } from '../../../../core/store/store-error.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const TARGET = { key: '10:1', collection: 10, character: 1 };
const malformed = new StoreMalformed('data: not an object', { op: 'collection', url: 'u', status: 200 });

/** The collection as the reader reads `characters` (JSON values). */
const answer = (...characters: unknown[]): CollectionView => ({
  published: true, ...collectionSchema.parse({ collection: { id: 10, status: 'active' }, characters }),
});

describe('a watcher whose polls keep failing', () => {
  let actor: Actor<AnyStateMachine> | undefined;
  let told: WatcherReport[];
  let heard: WatchReport[];
  let logLines: { msg: string; level: number; failures?: number; cause?: string; note?: string }[];

  /** A watcher polling `script` (the last answer repeats) every second, beside a purchase and a sniper stand-in. */
  const run = (script: readonly (CollectionView | Error)[], extra: Partial<WatcherInput> = {}): void => {
    told = [];
    heard = [];
    logLines = [];
    let n = 0;
    const store = {
      collection: async (): Promise<CollectionView> => {
        const a = script[Math.min(n++, script.length - 1)]!;
        if (a instanceof Error) throw a;
        return a;
      },
    };
    const log = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line) as (typeof logLines)[number]) });
    const input: WatcherInput = {
      target: TARGET, pollers: [{ account: 'alice', store }], purchases: ['purchase:1'], pollIntervalMs: 1_000, maxWaitMs: 60_000,
      metrics: new RunMetrics(), log, blindAfter: { polls: 3, ms: 10_000 }, ...extra,
    };
    const machine = setup({
      actors: {
        watcher: watcherLogic,
        purchase: fromCallback<WatcherReport>(({ receive }) => receive((r) => told.push(r))),
        sniper: fromCallback<WatchReport>(({ receive }) => receive((r) => heard.push(r))),
      },
    }).createMachine({
      entry: [spawnChild('purchase', { systemId: 'purchase:1' }), spawnChild('sniper', { systemId: 'sniper' }), spawnChild('watcher', { id: 'watcher', input })],
    });
    actor = createActor(machine);
    actor.start();
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor?.stop();
    actor = undefined;
    vi.useRealTimers();
  });

  it("tells the run the target is blind once the profile's limit has passed, and keeps polling", async () => {
    run([malformed]);
    await vi.advanceTimersByTimeAsync(9_500);
    expect(heard).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ type: 'WATCH_FAILING', target: '10:1', blind: true, since: T0, cause: expect.stringMatching(/^STORE_MALFORMED: /) });
    expect(logLines.filter((l) => l.msg === 'target blind: polls keep failing')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(logLines.filter((l) => l.msg === 'poll failed')).toHaveLength(1);
    expect(told).toEqual([]);
  });

  it('warns every 30 s with the count and the last cause, and tells the run each time', async () => {
    run([malformed], { blindAfter: { polls: 3, ms: 3_600_000 } });
    await vi.advanceTimersByTimeAsync(95_000);
    const warnings = logLines.filter((l) => l.msg === 'polls keep failing');
    expect(warnings).toHaveLength(3);
    expect(warnings.map((w) => w.failures)).toEqual([31, 61, 91]);
    expect(warnings[0]?.cause).toMatch(/^STORE_MALFORMED: /);
    expect(heard.map((h) => h.type)).toEqual(['WATCH_FAILING', 'WATCH_FAILING', 'WATCH_FAILING']);
  });

  it('tells the run when the target is seen again after it went blind, and tells purchases the stock', async () => {
    run([...Array<Error>(12).fill(malformed), answer({ id: 1, left: 4 })]);
    await vi.advanceTimersByTimeAsync(14_000);
    expect(heard.map((h) => h.type)).toEqual(['WATCH_FAILING', 'WATCH_RECOVERED']);
    expect(heard[1]).toMatchObject({ blind: true, failures: 12 });
    expect(told[0]).toMatchObject({ type: 'STOCK', left: 4 });
  });

  it('counts a target whose stock cannot be read as a failed poll, never as sold out', async () => {
    run([answer({ id: 1, left: -5 })]);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(told).toEqual([]);
    expect(heard[0]).toMatchObject({ blind: true, cause: 'TARGET_STOCK_UNKNOWN: stock unknown: character 1: left -5 is not a stock' });
  });

  it('counts a target missing from the answer as a failed poll', async () => {
    run([answer({ id: 2, left: 4 })]);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(heard[0]).toMatchObject({ blind: true, cause: 'TARGET_MISSING: character 1 is not in collection 10' });
  });

  it('buys on the target while another character is unreadable, noting the skipped entry once at debug', async () => {
    run([answer({ id: 9, left: -5 }, { id: 'x' }, { id: 1, left: 4 })]);
    await vi.advanceTimersByTimeAsync(5_500);
    expect(told.filter((r) => r.type === 'STOCK')).toHaveLength(6);
    expect(heard).toEqual([]);
    const notes = logLines.filter((l) => l.msg === 'collection answer read leniently');
    expect(notes.map((l) => l.note)).toEqual(['character 9: left -5 is not a stock', 'characters[1]: skipped, "x" is not a character id']);
    expect(notes.every((l) => l.level === 20)).toBe(true);
  });
});
