/** What the watcher tells the run's events: the collection published once, stock when the count left changes (not
 *  every poll), the sell-out; each after the purchases were told, so no event stands between a poll and an order. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, setup, spawnChild, type Actor, type AnyStateMachine } from 'xstate';
import { RunMetrics } from '../../../../core/actors/run-metrics.js';
import { watcherLogic, type WatcherInput, type WatcherReport } from '../../../../core/actors/watcher.js';
import type { RunEventDraft } from '../../../../core/events/run-event.js';
import type { CollectionView } from '../../../../core/store/collection-answer.js';
import type { Stars } from '../../../../core/money.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const notPublished: CollectionView = { published: false };
const withStock = (left: number): CollectionView => ({
  published: true, id: 10, title: 'Blue Cats', status: 'active',
  characters: [{ id: 1, name: 'Tom', left, priceStars: 250n as Stars, supply: 20, problems: [] }], notes: [],
});

describe('watcher events', () => {
  let actor: Actor<AnyStateMachine> | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor?.stop();
    vi.useRealTimers();
  });

  it('tells the collection published once, stock when the count changes, the sell-out, each after the purchases heard', async () => {
    const script = [notPublished, withStock(5), withStock(5), withStock(3), withStock(0), withStock(0), withStock(2)];
    let polls = 0;
    const store = { collection: async (): Promise<CollectionView> => script[Math.min(polls++, script.length - 1)]! };
    const heard: string[] = [];
    const describeDraft = (e: RunEventDraft): string =>
      e.type === 'stock.seen' ? `event stock ${e.left}` : e.type === 'collection.published' ? `event published ${e.collection} ${e.title}` : `event ${e.type}`;
    const input: WatcherInput = {
      target: { key: '10:1', collection: 10, character: 1 }, pollers: [{ account: 'alice', store }], purchases: ['purchase:1'],
      pollIntervalMs: 1_000, maxWaitMs: 60_000, metrics: new RunMetrics(), log: pino({ level: 'silent' }),
      events: { emit: (e) => void heard.push(describeDraft(e)), emitOnce: (_k, e) => void heard.push(describeDraft(e)) },
    };
    const machine = setup({
      actors: {
        watcher: watcherLogic,
        purchase: fromCallback<WatcherReport>(({ receive }) => receive((r) => void heard.push(r.type === 'STOCK' ? `STOCK ${r.left}` : r.type))),
      },
    }).createMachine({ entry: [spawnChild('purchase', { systemId: 'purchase:1' }), spawnChild('watcher', { id: 'watcher', input })] });
    actor = createActor(machine);
    actor.start();
    await vi.advanceTimersByTimeAsync(6_500);
    expect(heard).toEqual([
      'event published 10 Blue Cats',
      'STOCK 5', 'event stock 5',
      'STOCK 5',
      'STOCK 3', 'event stock 3',
      'SOLD_OUT', 'event sold-out',
      'STOCK 2', 'event stock 2',
    ]);
  });
});
