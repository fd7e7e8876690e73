/** The limiter under a flood of polls, against a store that counts requests in fixed windows and publishes its limit
 *  (as the simulated store does): whatever the polls do, a purchase's spending calls are granted at once as long as
 *  they ask for no more than the share of the limit reserved for spending, and the polls never bring a 429 or a wait
 *  beyond their own pace. In fake time. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { limiterLogic, type LimiterReply } from '../../../../core/actors/limiter.js';
import { accountPool, ipPool, marginFraction, type PoolCatalog, type PoolLimit } from '../../../../core/store/rate-pools.js';
import type { Priority } from '../../../../core/store/request-gate.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const WIDE_IP: PoolLimit = { capacity: 10_000, refillPerSec: 10_000, reservedForSpend: 0 };

/** A store allowing `limit` requests per fixed window of `windowMs`, publishing its count (epoch-second resets). */
class FixedWindowStore {
  http429 = 0;
  private windowStart = -1;
  private used = 0;

  constructor(readonly limit: number, readonly windowMs: number) {}

  answer(now: number): { status: number; headers: Record<string, string> } {
    const start = now - (now % this.windowMs);
    if (start !== this.windowStart) (this.windowStart = start), (this.used = 0);
    const end = start + this.windowMs;
    const common = { 'x-ratelimit-reset': String(Math.ceil(end / 1000)), 'x-ratelimit-limit': String(this.limit) };
    if (this.used >= this.limit) {
      this.http429++;
      return { status: 429, headers: { ...common, 'x-ratelimit-remaining': '0', 'retry-after': String(Math.ceil((end - now) / 1000)) } };
    }
    this.used++;
    return { status: 200, headers: { ...common, 'x-ratelimit-remaining': String(this.limit - this.used) } };
  }
}

/** The share of a pool's limit kept for spending calls, as the declared limit states it. */
const spendShare = (l: PoolLimit): number => l.reservedForSpend / l.capacity;

const caseArb = fc
  .record({
    capacity: fc.integer({ min: 4, max: 12 }),
    refillPerSec: fc.integer({ min: 2, max: 10 }),
    windowMs: fc.constantFrom(1_000, 2_000, 5_000),
    marginPct: fc.constantFrom(0, 5, 10, 20),
    pollers: fc.integer({ min: 1, max: 6 }),
    pollGapMs: fc.integer({ min: 0, max: 40 }),
    answerMs: fc.integer({ min: 1, max: 30 }),
  })
  .chain((c) => fc.record({
    ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, fc.constant(v)])) as { [K in keyof typeof c]: fc.Arbitrary<(typeof c)[K]> },
    reservedForSpend: fc.integer({ min: 1, max: Math.floor(c.capacity / 3) }),
    // Never below the declared guess, so a 429 could only come from the limiter letting too much out.
    storeLimit: fc.integer({ min: Math.max(c.capacity, Math.ceil((c.refillPerSec * c.windowMs) / 1000)), max: 60 }),
    bursts: fc.array(fc.record({ atWindow: fc.integer({ min: 1, max: 12 }), offsetFraction: fc.double({ min: 0, max: 0.999, noNaN: true }) }), { minLength: 1, maxLength: 6 }),
  }));

describe('limiter under a poll flood', () => {
  let actor: Actor<typeof limiterLogic> | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    actor?.stop();
    actor = undefined;
    vi.useRealTimers();
  });

  it('grants every spending call at once, whatever the polls did, while purchases stay within their reserved share', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        vi.setSystemTime(T0);
        const declared: PoolLimit = { capacity: c.capacity, refillPerSec: c.refillPerSec, reservedForSpend: c.reservedForSpend };
        const pools: PoolCatalog = {
          limitFor: (p) => (p.startsWith('ip:') ? WIDE_IP : declared),
          chargesFor: (_op, r) => [{ pool: accountPool(r.account), weight: 1 }, { pool: ipPool(r.proxy), weight: 1 }],
          counterPool: (_op, r) => accountPool(r.account),
        };
        const store = new FixedWindowStore(c.storeLimit, c.windowMs);
        actor = createActor(limiterLogic, {
          input: { maxWaitMs: 60_000, safetyMarginPct: c.marginPct, breakerThreshold: 1_000, breakerCooldownMs: 1_000, requestTimeoutMs: 5_000, pools },
        });
        actor.start();
        const limiter = actor;
        let nextId = 1;
        let stopped = false;
        const ask = (priority: Priority, onAnswer: (r: LimiterReply, requestId: number) => void): number => {
          const requestId = nextId++;
          limiter.send({ type: 'ACQUIRE', requestId, op: priority === 'spend' ? 'buyTon' : 'collection', account: 'alice', priority, reply: (r) => onAnswer(r, requestId) });
          return requestId;
        };
        const respond = (requestId: number, priority: Priority): void => {
          const { status, headers } = store.answer(Date.now());
          limiter.send({ type: 'RESPONSE', requestId, op: priority === 'spend' ? 'buyTon' : 'collection', account: 'alice', status, headers, ms: c.answerMs });
        };
        // Each poller asks again `pollGapMs` after its last answer (a denial: at the retry time), as fast as it is let.
        const poll = (): void => {
          if (stopped) return;
          ask('poll', (r, id) => {
            if (r.type === 'DENIED') return void setTimeout(poll, Math.max(1, r.retryAt - Date.now()));
            setTimeout(() => {
              respond(id, 'poll');
              setTimeout(poll, c.pollGapMs);
            }, c.answerMs);
          });
        };
        for (let i = 0; i < c.pollers; i++) poll();

        // Bursts of spending calls, at most one burst per store window, each no larger than the reserved share of the
        // limit in force (the published one, less the margin).
        const usable = Math.max(1, Math.floor(c.storeLimit * (1 - marginFraction(c.marginPct))));
        const burst = Math.max(1, Math.floor(usable * spendShare(declared)));
        const spends: { askedAt: number; answer?: LimiterReply & { at: number } }[] = [];
        const windows = [...new Set(c.bursts.map((b) => b.atWindow))].sort((a, b) => a - b);
        for (const w of windows) {
          const offset = c.bursts.find((b) => b.atWindow === w)!.offsetFraction;
          const at = T0 - (T0 % c.windowMs) + w * c.windowMs + Math.floor(offset * c.windowMs);
          setTimeout(() => {
            for (let i = 0; i < burst; i++) {
              const s: (typeof spends)[number] = { askedAt: Date.now() };
              spends.push(s);
              ask('spend', (r, id) => {
                s.answer = { ...r, at: Date.now() };
                if (r.type === 'GRANTED') setTimeout(() => respond(id, 'spend'), 1);
              });
            }
          }, at - Date.now());
        }
        vi.advanceTimersByTime((windows.at(-1)! + 2) * c.windowMs);
        stopped = true;
        limiter.stop();

        expect(store.http429, 'the store refused a call').toBe(0);
        for (const [i, s] of spends.entries()) {
          expect(s.answer?.type, `spend ${i} of ${spends.length} (burst ${burst})`).toBe('GRANTED');
          expect(s.answer!.at - s.askedAt, `spend ${i} waited`).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  });
});
