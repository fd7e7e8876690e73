/** Judging one new collection: each character kept once across filters (a configured target, or one an earlier filter
 *  took, is not bought twice), TON prices asked only when a filter needs them, and each match logged and traced with
 *  the filter and why. */
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import { toNano, type Stars } from '../../../../core/money.js';
import { judgeCollection, noteMatch, SnipeSpan } from '../../../../core/snipe/judge-collection.js';
import { snipeFilters } from '../../../../core/snipe/snipe-filter.js';
import type { Collection } from '../../../../core/store/collection-answer.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';
const log = pino({ level: 'silent' });

const filters = (...matches: Array<Record<string, unknown>>) => snipeFilters(parseConfig(YAML.stringify({
  accounts: [{ name: 'alice', storeToken: TOKEN }],
  snipe: matches.map((match) => ({ packs: 1, methods: ['ton'], match })),
}), { env: {}, label: 'j.yaml' }).config);

const dogs: Collection = { id: 7, title: 'Dogs', status: 'active', notes: [], characters: [
  { id: 1, name: 'Rex', left: 5, priceStars: 10n as Stars, supply: 5, rarity: 'rare', problems: [] },
  { id: 2, name: 'Fido', left: 5, priceStars: 10n as Stars, supply: 50, rarity: 'common', problems: [] },
] };

const noPrices = { priceTon: async (): Promise<never> => { throw new Error('TON price asked without a TON price key'); } };

describe('judging a new collection', () => {
  afterEach(() => trace.disable());

  it('keeps each character once: a configured target and what an earlier filter took are left out', async () => {
    const taken = new Set(['7:2']);
    const chosen = await judgeCollection(filters({ rarity: ['rare'] }, {}), dogs, noPrices, taken, log);
    expect(chosen.map((c) => [c.filter, c.character])).toEqual([[0, 1]]);
    expect(chosen[0]!.why).toBe('rarity rare is one of [rare]');
    expect([...taken].sort()).toEqual(['7:1', '7:2']);
  });

  it('asks the store for TON prices only for a filter with price.TON, an unreadable one taking nothing', async () => {
    const asked: number[] = [];
    const store = { priceTon: async (_c: number, ch: number) => {
      asked.push(ch);
      if (ch === 2) throw new Error('store said no');
      return toNano('2');
    } };
    const chosen = await judgeCollection(filters({ price: { TON: '3' } }), dogs, store, new Set(), log);
    expect(asked.sort()).toEqual([1, 2]);
    expect(chosen.map((c) => c.character)).toEqual([1]);
  });

  it('traces a match as a span with the filter, the collection, the character and why', () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    noteMatch({ filter: 2, collection: 7, character: 1, name: 'Rex', why: 'rarity rare is one of [rare]' }, log, false);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(SnipeSpan.match);
    expect(span?.attributes).toMatchObject({
      [SnipeSpan.filter]: 'snipe[2]', 'automint.collection.id': 7, [SnipeSpan.character]: 1, [SnipeSpan.why]: 'rarity rare is one of [rare]',
    });
  });
});
