/** Properties of the limiter over random request mixes: it never lets more out than any declared pool allows in any
 *  window, a higher priority never waits behind a lower one, no caller waits past maxWaitMs whatever the store's
 *  headers say, and the breaker opens after its threshold and half-opens after its cooldown. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterLogic, type LimiterInput, type LimiterReply } from '../../../../core/actors/limiter.js';
import { accountPool, ipPool, type PoolCatalog, type PoolCharge, type PoolLimit } from '../../../../core/store/rate-pools.js';
import { PRIORITY_RANK, type Priority } from '../../../../core/store/request-gate.js';
import type { StoreOperation } from '../../../../core/store/store-error.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const ACCOUNTS = ['alice', 'bob'] as const;
const OPS: readonly StoreOperation[] = ['collection', 'priceTon', 'buyTon'];
const PRIORITIES: readonly Priority[] = ['spend', 'read', 'poll'];

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Two accounts behind one IP, with the given limits and weights per operation. */
function catalog(account: PoolLimit, ip: PoolLimit, weights: Readonly<Record<string, { a: number; i: number }>>): PoolCatalog {
  return {
    limitFor: (p) => (p.startsWith('ip:') ? ip : account),
    chargesFor: (op, r) => {
      const w = weights[op] ?? { a: 1, i: 1 };
      return [{ pool: accountPool(r.account), weight: w.a }, { pool: ipPool(r.proxy), weight: w.i }];
    },
    counterPool: (_op, r) => accountPool(r.account),
  };
}

interface Call {
  readonly id: number;
  readonly account: string;
  readonly priority: Priority;
  readonly charges: readonly PoolCharge[];
  readonly askedAt: number;
  readonly askSeq: number;
  answer?: LimiterReply & { at: number; seq: number };
  cancelledSeq?: number;
}

/** A limiter whose every ask and answer is numbered in the order it happened. */
class Recorder {
  readonly actor: Actor<typeof limiterLogic>;
  readonly calls: Call[] = [];
  private seq = 0;

  constructor(input: LimiterInput, private readonly pools: PoolCatalog) {
    this.actor = createActor(limiterLogic, { input });
    this.actor.start();
  }

  ask(account: string, op: StoreOperation, priority: Priority): Call {
    const call: Call = {
      id: this.calls.length + 1, account, priority, charges: this.pools.chargesFor(op, { account }), askedAt: Date.now(), askSeq: this.seq++,
    };
    this.calls.push(call);
    this.actor.send({
      type: 'ACQUIRE', requestId: call.id, op, account, priority,
      reply: (r) => {
        if (call.answer) throw new Error(`call ${call.id} answered twice`);
        call.answer = { ...r, at: Date.now(), seq: this.seq++ };
      },
    });
    return call;
  }

  cancel(call: Call): void {
    call.cancelledSeq = this.seq++;
    this.actor.send({ type: 'CANCEL', requestId: call.id });
  }

  respond(call: Call, status: number | null, headers: Record<string, string>): void {
    this.actor.send({ type: 'RESPONSE', requestId: call.id, op: 'collection', account: call.account, status, headers, ms: 1 });
  }

  open(): Call[] {
    return this.calls.filter((c) => !c.answer && c.cancelledSeq === undefined);
  }

  granted(): Call[] {
    return this.calls.filter((c) => c.answer?.type === 'GRANTED');
  }
}

const limitArb = fc
  .record({ capacity: fc.integer({ min: 1, max: 12 }), refillPerSec: fc.double({ min: 0.5, max: 20, noNaN: true }) })
  .chain((l) => fc.record({
    capacity: fc.constant(l.capacity),
    refillPerSec: fc.constant(l.refillPerSec),
    reservedForSpend: fc.integer({ min: 0, max: l.capacity - 1 }),
    maxInFlight: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  }));
const weightsArb = fc.record(Object.fromEntries(OPS.map((op) => [op, fc.record({ a: fc.integer({ min: 1, max: 3 }), i: fc.integer({ min: 0, max: 2 }) })])));

/** A hostile header value: numbers of every size and sign, dates, text. */
const headerValueArb = fc.oneof(
  fc.integer({ min: -1e6, max: 1e13 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.constantFrom('', 'soon', '-0', '1e9', 'Infinity', ' 3 ', '0x10', String(Math.floor(T0 / 1000) - 100), String(Math.floor(T0 / 1000) + 100)),
  fc.string({ maxLength: 20 }),
);

const stepArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('ask' as const), account: fc.constantFrom(...ACCOUNTS), op: fc.constantFrom(...OPS), priority: fc.constantFrom(...PRIORITIES), dt: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('respond' as const), pick: fc.nat(), status: fc.constantFrom(200, 200, 404, 500, 429, null), dt: fc.integer({ min: 0, max: 300 }),
    headers: fc.record({ 'retry-after': headerValueArb, 'x-ratelimit-remaining': headerValueArb, 'x-ratelimit-reset': headerValueArb, 'x-ratelimit-limit': headerValueArb }, { requiredKeys: [] }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(), dt: fc.integer({ min: 0, max: 300 }) }) },
);

type Step = typeof stepArb extends fc.Arbitrary<infer S> ? S : never;

/** Runs the steps against a fresh limiter and then lets an hour pass, answering every call still out. */
function run(r: Recorder, steps: readonly Step[]): void {
  const inFlight: Call[] = [];
  for (const step of steps) {
    vi.advanceTimersByTime(step.dt);
    if (step.kind === 'ask') r.ask(step.account, step.op, step.priority);
    else if (step.kind === 'cancel') {
      const open = r.open();
      const c = open[step.pick % Math.max(1, open.length)];
      if (c) r.cancel(c);
    } else {
      const out = r.granted().filter((c) => !inFlight.includes(c));
      const c = out[step.pick % Math.max(1, out.length)];
      if (c) {
        inFlight.push(c);
        r.respond(c, step.status, step.headers);
      }
    }
  }
  // Calls nobody answered end too, so that in-flight caps cannot hold the rest forever.
  for (let i = 0; i < 200 && r.open().length > 0; i++) {
    vi.advanceTimersByTime(60_000);
    for (const c of r.granted().filter((g) => !inFlight.includes(g))) {
      inFlight.push(c);
      r.respond(c, 200, {});
    }
  }
}

describe('limiter properties', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never grants more than any declared pool allows in any window, and answers every caller once', () => {
    fc.assert(
      fc.property(limitArb, limitArb, weightsArb, fc.integer({ min: 100, max: 5_000 }), fc.array(stepArb, { minLength: 1, maxLength: 100 }),
        (account, ip, weights, maxWaitMs, steps) => {
          vi.setSystemTime(T0);
          // Headers could teach a larger limit; this property is about the declared ones, so they are left out.
          const quiet = steps.map((s) => (s.kind === 'respond' ? { ...s, headers: {} } : s));
          const pools = catalog(account, ip, weights);
          const r = new Recorder({ maxWaitMs, safetyMarginPct: 0, breakerThreshold: 1_000, breakerCooldownMs: 1_000, requestTimeoutMs: 5_000, pools }, pools);
          try {
            run(r, quiet);
            for (const c of r.calls) expect(c.answer !== undefined || c.cancelledSeq !== undefined, `call ${c.id} answered`).toBe(true);
            const byPool = new Map<string, { at: number; weight: number }[]>();
            for (const c of r.granted()) {
              for (const ch of c.charges) {
                if (ch.weight > 0) byPool.set(ch.pool, [...(byPool.get(ch.pool) ?? []), { at: c.answer!.at, weight: ch.weight }]);
              }
            }
            for (const [pool, grants] of byPool) {
              const limit = pool.startsWith('ip:') ? ip : account;
              grants.sort((a, b) => a.at - b.at);
              for (let i = 0; i < grants.length; i++) {
                let sum = 0;
                for (let j = i; j < grants.length; j++) {
                  sum += grants[j]!.weight;
                  const window = grants[j]!.at - grants[i]!.at;
                  expect(sum, `${pool} over ${window} ms`).toBeLessThanOrEqual(limit.capacity + (limit.refillPerSec * window) / 1000 + 1e-6);
                }
              }
            }
          } finally {
            r.actor.stop();
          }
        }),
      { numRuns: 150 },
    );
  });

  it('never grants a call while a call of higher priority on the same pools is still waiting', () => {
    fc.assert(
      fc.property(limitArb, limitArb, weightsArb, fc.array(stepArb, { minLength: 1, maxLength: 100 }), (account, ip, weights, steps) => {
        vi.setSystemTime(T0);
        const pools = catalog(account, ip, weights);
        const r = new Recorder({ maxWaitMs: 3_000, safetyMarginPct: 0, breakerThreshold: 1_000, breakerCooldownMs: 1_000, requestTimeoutMs: 5_000, pools }, pools);
        try {
          run(r, steps);
          for (const low of r.granted()) {
            const g = low.answer!.seq;
            for (const high of r.calls) {
              if (high.account !== low.account || PRIORITY_RANK[high.priority] >= PRIORITY_RANK[low.priority] || high.askSeq > g) continue;
              const endedAt = Math.min(high.answer?.seq ?? Infinity, high.cancelledSeq ?? Infinity);
              expect(endedAt, `${low.priority} call ${low.id} granted while ${high.priority} call ${high.id} waited`).toBeLessThan(g);
            }
          }
        } finally {
          r.actor.stop();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never keeps a caller waiting longer than maxWaitMs, whatever the store headers say', () => {
    fc.assert(
      fc.property(limitArb, fc.integer({ min: 100, max: 5_000 }), fc.array(stepArb, { minLength: 1, maxLength: 100 }), (account, maxWaitMs, steps) => {
        vi.setSystemTime(T0);
        const pools = catalog(account, { capacity: 100, refillPerSec: 100, reservedForSpend: 0 }, {});
        const r = new Recorder({ maxWaitMs, safetyMarginPct: 0, breakerThreshold: 1_000, breakerCooldownMs: 1_000, requestTimeoutMs: 5_000, pools }, pools);
        try {
          run(r, steps);
          for (const c of r.calls) {
            if (!c.answer) continue;
            expect(c.answer.at - c.askedAt, `call ${c.id} waited`).toBeLessThanOrEqual(maxWaitMs);
            if (c.answer.type === 'DENIED') expect(Number.isFinite(c.answer.retryAt)).toBe(true);
          }
        } finally {
          r.actor.stop();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('opens the breaker after the threshold of failures in a row and half-opens it after the cooldown', async () => {
    const outcomeArb = fc.record({ status: fc.constantFrom(200, 404, 500, 429, null, null), gapMs: fc.integer({ min: 5, max: 12_000 }) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1_000, max: 10_000 }), fc.array(outcomeArb, { minLength: 1, maxLength: 40 }),
        async (threshold, cooldownMs, outcomes) => {
          vi.setSystemTime(T0);
          const wide: PoolLimit = { capacity: 1_000, refillPerSec: 1_000, reservedForSpend: 0 };
          const pools: PoolCatalog = { limitFor: () => wide, chargesFor: (_o, rt) => [{ pool: accountPool(rt.account), weight: 1 }], counterPool: (_o, rt) => accountPool(rt.account) };
          const r = new Recorder({ maxWaitMs: 60_000, safetyMarginPct: 0, breakerThreshold: threshold, breakerCooldownMs: cooldownMs, requestTimeoutMs: 5_000, pools }, pools);
          // The model: cockatiel's consecutive breaker as the brief states it.
          let state: 'closed' | 'open' = 'closed';
          let fails = 0;
          let openedAt = 0;
          try {
            for (const o of outcomes) {
              vi.advanceTimersByTime(o.gapMs);
              const now = Date.now();
              const c = r.ask('alice', 'collection', 'poll');
              if (state === 'open' && now - openedAt < cooldownMs) {
                expect(c.answer).toMatchObject({ type: 'DENIED', reason: 'circuit open', retryAt: openedAt + cooldownMs });
                continue;
              }
              expect(c.answer?.type).toBe('GRANTED');
              const trial = state === 'open';
              r.respond(c, o.status, { 'retry-after': '0' });
              await flush();
              const failed = o.status === 429 || o.status === null;
              if (trial) {
                if (failed) openedAt = now;
                else (state = 'closed'), (fails = 0);
              } else if (failed) {
                if (++fails >= threshold) (state = 'open'), (openedAt = now);
              } else fails = 0;
            }
          } finally {
            r.actor.stop();
          }
        }),
      { numRuns: 100 },
    );
  });
});
