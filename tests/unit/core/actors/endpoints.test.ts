import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import {
  endpointResolver,
  endpointsLogic,
  EndpointsStopped,
  FAILOVER_AFTER,
  RECOVERY_PROBE_MS,
  responseReader,
  SAVE_EVERY_MS,
  flushEndpoints,
  type EndpointsInput,
  type EndpointStats,
} from '../../../../core/actors/endpoints.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { SavedEndpointStats } from '../../../../core/ledger/endpoint-stats.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import type { EndpointResolver } from '../../../../core/store/request-gate.js';
import { RESPONSE_TTL_MS, type Fetched, type Fetcher, type ResponseKey, type ResponseReader } from '../../../../core/store/response-cache.js';
import type { StoreOperation } from '../../../../core/store/store-error.js';

const PRIMARY = 'https://api.stickerdom.store';
const MIRROR = 'https://mirror-1.example';
const MIRROR_2 = 'https://mirror-2.example';
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

type EndpointsActor = Actor<typeof endpointsLogic>;

describe('endpoints actor', () => {
  let actor: EndpointsActor | undefined;
  let resolver: EndpointResolver;

  const start = (mirrors: string[] = [MIRROR]): void => {
    actor?.stop();
    actor = createActor(endpointsLogic, { input: { primary: PRIMARY, mirrors } });
    actor.start();
    resolver = endpointResolver(actor);
  };
  /** Reports `n` finished calls on `baseUrl` with `status` (null: no answer arrived). */
  const outcome = (baseUrl: string, status: number | null, n = 1, ms = 50): void => {
    for (let i = 0; i < n; i++) resolver.report({ op: 'collection', baseUrl, outcome: { status, headers: {}, ms } });
  };
  const report = (): Promise<EndpointStats[]> => new Promise((reply) => actor!.send({ type: 'REPORT', reply }));
  const statsOf = async (baseUrl: string): Promise<EndpointStats> => (await report()).find((s) => s.baseUrl === baseUrl)!;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor?.stop();
    actor = undefined;
    vi.useRealTimers();
  });

  it('sends every operation to the primary while it is healthy', async () => {
    start();
    for (const op of ['settings', 'collection', 'priceTon', 'buyTon'] as const) expect(await resolver.resolve(op)).toBe(PRIMARY);
    outcome(PRIMARY, 200, 50);
    expect(await resolver.resolve('buyTon')).toBe(PRIMARY);
  });

  it(`fails over to the mirror after ${FAILOVER_AFTER} transport failures in a row`, async () => {
    start();
    outcome(PRIMARY, null, FAILOVER_AFTER - 1);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    outcome(PRIMARY, null);
    expect(await resolver.resolve('collection')).toBe(MIRROR);
  });

  it('fails over on a run of 5xx answers, and on 5xx mixed with transport failures', async () => {
    start();
    outcome(PRIMARY, 502, FAILOVER_AFTER);
    expect(await resolver.resolve('priceTon')).toBe(MIRROR);

    start();
    for (const status of [500, null, 503, null, 504]) outcome(PRIMARY, status);
    expect(await resolver.resolve('priceTon')).toBe(MIRROR);
  });

  it('does not fail over when a good answer breaks the run of failures', async () => {
    start();
    outcome(PRIMARY, null, FAILOVER_AFTER - 1);
    outcome(PRIMARY, 200);
    outcome(PRIMARY, 503, FAILOVER_AFTER - 1);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    expect(await statsOf(PRIMARY)).toMatchObject({ ok: 1, failed: 2 * (FAILOVER_AFTER - 1), badRun: FAILOVER_AFTER - 1 });
  });

  it('never fails over on 4xx, 401, 403, 404 or 429 answers, however many', async () => {
    start();
    for (const status of [400, 401, 403, 404, 409, 429]) outcome(PRIMARY, status, 3 * FAILOVER_AFTER);
    expect(await resolver.resolve('buyTon')).toBe(PRIMARY);
    expect(await statsOf(PRIMARY)).toMatchObject({ failed: 0, badRun: 0 });
  });

  it('counts a 4xx answer as a sign of life that ends a run of failures', async () => {
    start();
    outcome(PRIMARY, null, FAILOVER_AFTER - 1);
    outcome(PRIMARY, 429);
    outcome(PRIMARY, null, FAILOVER_AFTER - 1);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
  });

  it('moves on to the next mirror when the first one fails too', async () => {
    start([MIRROR, MIRROR_2]);
    outcome(PRIMARY, null, FAILOVER_AFTER);
    outcome(MIRROR, 500, FAILOVER_AFTER);
    expect(await resolver.resolve('collection')).toBe(MIRROR_2);
  });

  it('keeps using the primary when every URL is failing', async () => {
    start([MIRROR]);
    outcome(PRIMARY, null, FAILOVER_AFTER);
    outcome(MIRROR, null, FAILOVER_AFTER);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
  });

  it('stays on the primary when there is no mirror to fail over to', async () => {
    start([]);
    outcome(PRIMARY, null, 3 * FAILOVER_AFTER);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
  });

  it(`sends one probe call to a failed primary ${RECOVERY_PROBE_MS / 1000} s after its last failure, and returns to it when it answers`, async () => {
    start();
    outcome(PRIMARY, null, FAILOVER_AFTER);
    outcome(MIRROR, 200, 20);
    vi.advanceTimersByTime(RECOVERY_PROBE_MS - 1);
    expect(await resolver.resolve('collection')).toBe(MIRROR);
    vi.advanceTimersByTime(1);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    // Only one call probes; the rest keep going to the mirror until the probe's answer is in.
    expect(await resolver.resolve('collection')).toBe(MIRROR);
    expect(await resolver.resolve('buyTon')).toBe(MIRROR);
    outcome(PRIMARY, 200);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    expect(await resolver.resolve('buyTon')).toBe(PRIMARY);
  });

  it('benches the primary for another interval when its probe fails', async () => {
    start();
    outcome(PRIMARY, null, FAILOVER_AFTER);
    vi.advanceTimersByTime(RECOVERY_PROBE_MS);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    vi.advanceTimersByTime(2_000);
    outcome(PRIMARY, null);
    vi.advanceTimersByTime(RECOVERY_PROBE_MS - 1);
    expect(await resolver.resolve('collection')).toBe(MIRROR);
    vi.advanceTimersByTime(1);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
  });

  it('probes again after an interval when a probe never reports back', async () => {
    start();
    outcome(PRIMARY, null, FAILOVER_AFTER);
    vi.advanceTimersByTime(RECOVERY_PROBE_MS);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    vi.advanceTimersByTime(RECOVERY_PROBE_MS - 1);
    expect(await resolver.resolve('collection')).toBe(MIRROR);
    vi.advanceTimersByTime(1);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
  });

  it('keeps per-URL counts and a smoothed latency of the calls that were answered', async () => {
    start();
    outcome(PRIMARY, 200, 1, 100);
    outcome(PRIMARY, 404, 1, 200);
    outcome(PRIMARY, null, 1, 10_000);
    outcome(MIRROR, 200, 1, 30);
    const stats = await report();
    expect(stats.map((s) => s.baseUrl)).toEqual([PRIMARY, MIRROR]);
    expect(stats[0]).toMatchObject({ ok: 2, failed: 1, badRun: 1, latencyMs: 100 * 0.8 + 200 * 0.2 });
    expect(stats[1]).toMatchObject({ ok: 1, failed: 0, badRun: 0, latencyMs: 30 });
  });

  it('ignores outcomes for a URL it does not know', async () => {
    start();
    outcome('https://elsewhere.example', null, 2 * FAILOVER_AFTER);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    expect((await report()).map((s) => s.baseUrl)).toEqual([PRIMARY, MIRROR]);
  });

  it('rejects a resolve once the actor has stopped instead of leaving the call waiting forever', async () => {
    start();
    actor!.stop();
    // A stopped actor drops events: without the status check this promise would never settle.
    const settled = await Promise.race([
      resolver.resolve('buyTon').then(() => 'resolved', (e: unknown) => e),
      Promise.resolve().then(() => 'pending'),
    ]);
    expect(settled).toBeInstanceOf(EndpointsStopped);
    expect(settled).toMatchObject({ code: 'ENDPOINTS_STOPPED', details: { op: 'buyTon' } });
  });

  it('hands out copies of its stats, not its own records', async () => {
    start();
    const first = await report();
    first[0]!.badRun = 99;
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    expect((await statsOf(PRIMARY)).badRun).toBe(0);
  });
});

describe('endpoints actor: response caches', () => {
  let actor: EndpointsActor | undefined;
  let reader: ResponseReader;

  const start = (input: Partial<EndpointsInput> = {}): void => {
    actor = createActor(endpointsLogic, { input: { primary: PRIMARY, mirrors: [], ...input } });
    actor.start();
    reader = responseReader(actor);
  };
  const key = (op: StoreOperation, url = '/api/v1/x', scope = 'alice'): ResponseKey => ({ op, scope, url });
  /** A fetch answering `values` in turn (the last one repeats), counting its calls. */
  const scripted = <T>(...values: T[]) => {
    let calls = 0;
    const fetch: Fetcher<T> = async () => ({ value: values[Math.min(calls++, values.length - 1)]!, etag: null });
    return { fetch, calls: () => calls };
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

  it(`serves a TON price from the cache for ${RESPONSE_TTL_MS.priceTon! / 1000} s, then asks the store again`, async () => {
    start();
    const { fetch, calls } = scripted(2_500_000_000n, 2_600_000_000n);
    expect(await reader.read(key('priceTon'), fetch)).toBe(2_500_000_000n);
    vi.advanceTimersByTime(RESPONSE_TTL_MS.priceTon! - 1);
    expect(await reader.read(key('priceTon'), fetch)).toBe(2_500_000_000n);
    expect(calls()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await reader.read(key('priceTon'), fetch)).toBe(2_600_000_000n);
    expect(calls()).toBe(2);
  });

  it('takes its times from its input', async () => {
    start({ responseTtlMs: { collection: 1_000 } });
    const { fetch, calls } = scripted('a', 'b');
    await reader.read(key('collection'), fetch);
    expect(await reader.read(key('collection'), fetch)).toBe('a');
    expect(await reader.read(key('priceTon'), fetch)).toBe('b');
    expect(calls()).toBe(2);
  });

  it('keeps a shared request going while one waiter is left, and cancels it when the last one gives up', async () => {
    start();
    const signals: AbortSignal[] = [];
    let release!: (v: Fetched<string>) => void;
    const fetch: Fetcher<string> = ({ signal }) => {
      signals.push(signal);
      return new Promise((r) => (release = r));
    };
    const a = new AbortController();
    const b = new AbortController();
    const first = reader.read(key('collection'), fetch, a.signal).catch((e: unknown) => e);
    const second = reader.read(key('collection'), fetch, b.signal);
    await vi.advanceTimersByTimeAsync(0);
    a.abort(new Error('a gave up'));
    expect(await first).toMatchObject({ message: 'a gave up' });
    expect(signals[0]!.aborted).toBe(false);
    release({ value: 'view', etag: null });
    expect(await second).toBe('view');

    const c = new AbortController();
    const third = reader.read(key('collection', '/api/v1/y'), fetch, c.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    c.abort(new Error('c gave up'));
    expect(await third).toMatchObject({ message: 'c gave up' });
    expect(signals[1]!.aborted).toBe(true);
    // A read after the cancellation starts its own request instead of joining the cancelled one.
    const fourth = reader.read(key('collection', '/api/v1/y'), fetch);
    await vi.advanceTimersByTimeAsync(0);
    expect(signals).toHaveLength(3);
    release({ value: 'again', etag: null });
    expect(await fourth).toBe('again');
  });

  it('rejects a read once the actor has stopped', async () => {
    start();
    actor!.stop();
    const e = await reader.read(key('priceTon'), scripted(1).fetch).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(EndpointsStopped);
  });
});

describe('endpoints actor: persisted stats', () => {
  let ledger: Ledger;
  const actors: EndpointsActor[] = [];

  const start = (saved: EndpointsInput['saved'], mirrors: string[] = [MIRROR]): { actor: EndpointsActor; resolver: EndpointResolver } => {
    const actor = createActor(endpointsLogic, { input: { primary: PRIMARY, mirrors, saved } });
    actors.push(actor);
    actor.start();
    return { actor, resolver: endpointResolver(actor) };
  };
  const outcome = (resolver: EndpointResolver, baseUrl: string, status: number | null, n = 1, ms = 40): void => {
    for (let i = 0; i < n; i++) resolver.report({ op: 'collection', baseUrl, outcome: { status, headers: {}, ms } });
  };
  /** The repository, counting saves. */
  const counting = () => {
    const saves: SavedEndpointStats[][] = [];
    return {
      saves,
      saved: {
        load: (urls?: readonly string[]) => ledger.endpointStats.load(urls),
        save: async (rows: readonly SavedEndpointStats[]) => {
          saves.push([...rows]);
          await ledger.endpointStats.save(rows);
        },
      },
    };
  };
  const row = async (baseUrl: string): Promise<SavedEndpointStats | undefined> =>
    (await ledger.endpointStats.load([baseUrl]))[0];

  beforeEach(async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    ledger = await openLedger(':memory:');
  });
  afterEach(async () => {
    for (const a of actors.splice(0)) a.stop();
    vi.useRealTimers();
    await ledger.close();
  });

  it('writes nothing mid-run while calls are answered, and the counts once when it stops', async () => {
    const { saves, saved } = counting();
    const { actor, resolver } = start(saved);
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 30; i++) {
      outcome(resolver, PRIMARY, 200, 5);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(saves).toHaveLength(0);
    actor.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(saves).toHaveLength(1);
    expect(await row(PRIMARY)).toMatchObject({ ok: 150, failed: 0, badRun: 0 });
  });

  it('writes nothing at all when it does nothing', async () => {
    await ledger.endpointStats.save([{ baseUrl: PRIMARY, ok: 10, failed: 1, badRun: 0, latencyMs: 30, lastBadAt: T0 - 5_000 }]);
    const { saves, saved } = counting();
    const { actor } = start(saved);
    await vi.advanceTimersByTimeAsync(SAVE_EVERY_MS * 5);
    actor.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(saves).toHaveLength(0);
  });

  it('writes a run of failures at once after calm, then at most once per SAVE_EVERY_MS, and the rest when it stops', async () => {
    const { saves, saved } = counting();
    const { actor, resolver } = start(saved);
    await vi.advanceTimersByTimeAsync(0);
    outcome(resolver, PRIMARY, null);
    await vi.advanceTimersByTimeAsync(0);
    expect(saves).toHaveLength(1);
    expect(await row(PRIMARY)).toMatchObject({ failed: 1, badRun: 1, lastBadAt: T0 });
    outcome(resolver, PRIMARY, null);
    await vi.advanceTimersByTimeAsync(SAVE_EVERY_MS - 1);
    expect(saves).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(saves).toHaveLength(2);
    expect(await row(PRIMARY)).toMatchObject({ failed: 2, badRun: 2 });
    outcome(resolver, PRIMARY, 200, 3);
    actor.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(saves).toHaveLength(3);
    expect(await row(PRIMARY)).toMatchObject({ ok: 3, failed: 2, badRun: 0 });
  });

  it('has every count in the ledger once a flush resolves, and writes nothing more when it stops after', async () => {
    const { saves, saved } = counting();
    const { actor, resolver } = start(saved);
    await vi.advanceTimersByTimeAsync(0);
    outcome(resolver, PRIMARY, 200, 4);
    await flushEndpoints(actor);
    expect(await row(PRIMARY)).toMatchObject({ ok: 4 });
    actor.stop();
    await vi.advanceTimersByTimeAsync(SAVE_EVERY_MS);
    expect(saves).toHaveLength(1);
    // A stopped actor answers a flush at once.
    await flushEndpoints(actor);
  });

  it('starts from the stats the last run saved: a primary that was failing stays benched until its probe time', async () => {
    const first = start(ledger.endpointStats);
    await vi.advanceTimersByTimeAsync(0);
    outcome(first.resolver, PRIMARY, 200, 3, 80);
    outcome(first.resolver, PRIMARY, null, FAILOVER_AFTER);
    outcome(first.resolver, MIRROR, 200, 4, 20);
    first.actor.stop();
    await vi.advanceTimersByTimeAsync(0);

    vi.advanceTimersByTime(1_000);
    const second = start(ledger.endpointStats);
    await vi.advanceTimersByTimeAsync(0);
    expect(await second.resolver.resolve('collection')).toBe(MIRROR);
    const stats = await new Promise<EndpointStats[]>((reply) => second.actor.send({ type: 'REPORT', reply }));
    expect(stats.find((s) => s.baseUrl === PRIMARY)).toMatchObject({ ok: 3, failed: FAILOVER_AFTER, badRun: FAILOVER_AFTER, latencyMs: 80 });
    expect(stats.find((s) => s.baseUrl === MIRROR)).toMatchObject({ ok: 4, latencyMs: 20 });
    vi.advanceTimersByTime(RECOVERY_PROBE_MS);
    expect(await second.resolver.resolve('collection')).toBe(PRIMARY);
  });

  it('adds the saved counts to what this run saw before they loaded, and keeps this run\'s failure run', async () => {
    await ledger.endpointStats.save([{ baseUrl: PRIMARY, ok: 10, failed: 9, badRun: FAILOVER_AFTER, latencyMs: 300, lastBadAt: T0 - 5_000 }]);
    let releaseLoad!: () => void;
    const gate = new Promise<void>((r) => (releaseLoad = r));
    const { saves, saved } = counting();
    const { actor, resolver } = start({ load: async (urls) => { await gate; return saved.load(urls); }, save: saved.save });
    outcome(resolver, PRIMARY, 200, 2, 50);
    await vi.advanceTimersByTimeAsync(SAVE_EVERY_MS * 3);
    // Nothing is written before the load is in: it would overwrite the last run's record.
    expect(saves).toHaveLength(0);
    releaseLoad();
    await vi.advanceTimersByTimeAsync(0);
    const stats = await new Promise<EndpointStats[]>((reply) => actor.send({ type: 'REPORT', reply }));
    expect(stats[0]).toMatchObject({ ok: 12, failed: 9, badRun: 0, latencyMs: 50 });
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    await vi.advanceTimersByTimeAsync(0);
    expect(await row(PRIMARY)).toMatchObject({ ok: 12, failed: 9, badRun: 0 });
  });

  it('ignores saved URLs it is not configured with', async () => {
    await ledger.endpointStats.save([{ baseUrl: 'https://old-mirror.example', ok: 1, failed: 50, badRun: 50, latencyMs: null, lastBadAt: T0 }]);
    const { actor } = start(ledger.endpointStats, []);
    await vi.advanceTimersByTimeAsync(0);
    const stats = await new Promise<EndpointStats[]>((reply) => actor.send({ type: 'REPORT', reply }));
    expect(stats.map((s) => s.baseUrl)).toEqual([PRIMARY]);
  });

  it('runs on when the ledger cannot be read or written', async () => {
    const { actor, resolver } = start({
      load: async () => {
        throw new Error('disk gone');
      },
      save: async () => {
        throw new Error('disk gone');
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    outcome(resolver, PRIMARY, 200, 3);
    await vi.advanceTimersByTimeAsync(SAVE_EVERY_MS);
    expect(await resolver.resolve('collection')).toBe(PRIMARY);
    expect(actor.getSnapshot().status).toBe('active');
  });
});
