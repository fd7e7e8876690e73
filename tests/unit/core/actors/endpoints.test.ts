import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import {
  endpointResolver,
  endpointsLogic,
  EndpointsStopped,
  FAILOVER_AFTER,
  RECOVERY_PROBE_MS,
  type EndpointStats,
} from '../../../../core/actors/endpoints.js';
import type { EndpointResolver } from '../../../../core/store/request-gate.js';

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
