import { setTimeout as sleep } from 'node:timers/promises';
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunEvents, RunEventsError, type RunEventsOptions } from '../../../../core/events/run-events.js';
import type { RunEvent, RunEventDraft } from '../../../../core/events/run-event.js';

const stock = (left: number): RunEventDraft => ({ type: 'stock.seen', target: '1:1', left });
const lefts = (events: readonly RunEvent[]): number[] => events.map((e) => (e.type === 'stock.seen' ? e.left : -1));
/** Resolves once `check` holds, polling every few ms (at most `ms`). */
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

/** A synchronous context manager (the SDK's AsyncLocalStorage one is not a dependency of ours): `with` is enough
 *  for an emit made inside a span. */
class StackContextManager implements ContextManager {
  private readonly stack: Context[] = [ROOT_CONTEXT];
  active(): Context {
    return this.stack.at(-1)!;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

const logSpy = (): NonNullable<RunEventsOptions['log']> & { warn: ReturnType<typeof vi.fn> } =>
  ({ warn: vi.fn(), info: vi.fn() }) as never;

describe('run events', () => {
  afterEach(() => {
    context.disable();
  });

  it('delivers every event to every subscriber in order, stamped with the time and frozen', async () => {
    const events = new RunEvents({ now: () => 1_234 });
    const a: RunEvent[] = [];
    const b: RunEvent[] = [];
    events.subscribe('a', (e) => void a.push(e));
    events.subscribe('b', async (e) => {
      await sleep(1);
      b.push(e);
    });
    for (let i = 1; i <= 5; i++) events.emit(stock(i));
    // Nothing is handed over inside emit: the emitter's own work runs first.
    expect(a).toEqual([]);
    await until(() => b.length === 5);
    expect(lefts(a)).toEqual([1, 2, 3, 4, 5]);
    expect(lefts(b)).toEqual([1, 2, 3, 4, 5]);
    expect(a[0]).toMatchObject({ type: 'stock.seen', at: 1_234 });
    expect(a[0]!.traceId).toBeUndefined();
    expect(Object.isFrozen(a[0])).toBe(true);
    // Both got the same object: neither can change what the other sees.
    expect(a[0]).toBe(b[0]);
    expect(events.stats()).toEqual([
      { name: 'a', delivered: 5, dropped: 0, failed: 0, queued: 0 },
      { name: 'b', delivered: 5, dropped: 0, failed: 0, queued: 0 },
    ]);
  });

  it('stamps the trace id of the span active where the event is emitted, else the run\'s', async () => {
    context.setGlobalContextManager(new StackContextManager());
    const events = new RunEvents();
    const got: RunEvent[] = [];
    events.subscribe('a', (e) => void got.push(e));
    events.emit(stock(1));
    events.setRunTraceId('0af7651916cd43dd8448eb211c80319c');
    events.emit(stock(2));
    const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    context.with(trace.setSpan(context.active(), span), () => events.emit(stock(3)));
    // The all-zero id of an untraced run is no trace.
    events.setRunTraceId('00000000000000000000000000000000');
    events.emit(stock(4));
    await until(() => got.length === 4);
    expect(got.map((e) => e.traceId)).toEqual([undefined, '0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736', undefined]);
  });

  it('slow subscriber: emit stays fast and the other subscribers get every event', async () => {
    const events = new RunEvents({ log: logSpy() });
    const fast: RunEvent[] = [];
    const stuck = events.subscribe('stuck', () => new Promise<void>(() => undefined), { queueSize: 10 });
    events.subscribe('fast', (e) => void fast.push(e), { queueSize: 20_000 });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) events.emit(stock(i));
    const perEmitUs = ((performance.now() - started) * 1000) / 10_000;
    // Measured here ~1 µs per emit; the bound is loose for a shared machine.
    expect(perEmitUs).toBeLessThan(50);
    await until(() => fast.length === 10_000);
    expect(lefts(fast).slice(-3)).toEqual([9_997, 9_998, 9_999]);
    // Every emit ran before the first handler call: ten were kept (the newest), the handler that never returns took
    // the oldest of them, and the rest were dropped.
    expect(stuck.stats()).toMatchObject({ delivered: 0, queued: 9, dropped: 10_000 - 10 });
  });

  it('throwing subscriber: each failure is counted, the next events still reach it, and the log gets one line', async () => {
    const log = logSpy();
    const events = new RunEvents({ log });
    const seen: number[] = [];
    const sub = events.subscribe('thrower', (e) => {
      seen.push(e.type === 'stock.seen' ? e.left : -1);
      if (e.type === 'stock.seen' && e.left % 2 === 0) throw new Error('bot api down');
      return e.type === 'stock.seen' && e.left === 3 ? Promise.reject(new Error('rejected')) : undefined;
    });
    for (let i = 1; i <= 6; i++) events.emit(stock(i));
    await until(() => seen.length === 6);
    await sleep(5);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sub.stats()).toMatchObject({ delivered: 2, failed: 4, dropped: 0 });
    // At most once per interval, with the first error's words.
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]![0]).toMatchObject({ subscriber: 'thrower', err: { message: 'bot api down' } });
  });

  it('full queue: the oldest waiting events are dropped, counted and logged, the newest kept', async () => {
    const log = logSpy();
    const events = new RunEvents({ log });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const got: number[] = [];
    const sub = events.subscribe('slow', async (e) => {
      await gate;
      got.push(e.type === 'stock.seen' ? e.left : -1);
    }, { queueSize: 3 });
    events.emit(stock(0));
    // The first one is taken by the handler on the next turn; then the queue of 3 fills.
    await sleep(1);
    for (let i = 1; i <= 6; i++) events.emit(stock(i));
    expect(sub.stats()).toMatchObject({ dropped: 3, queued: 3 });
    release();
    await until(() => got.length === 4);
    expect(got).toEqual([0, 4, 5, 6]);
    expect(sub.stats()).toMatchObject({ delivered: 4, dropped: 3, queued: 0 });
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ subscriber: 'slow', droppedSince: 3, queueSize: 3 }),
      'run events: subscriber fell behind; oldest events dropped');
  });

  it('close drains what waits, then takes no more events and no more subscribers', async () => {
    const events = new RunEvents();
    const got: number[] = [];
    events.subscribe('a', async (e) => {
      await sleep(5);
      got.push(e.type === 'stock.seen' ? e.left : -1);
    });
    for (let i = 1; i <= 3; i++) events.emit(stock(i));
    const stats = await events.close(1_000);
    expect(got).toEqual([1, 2, 3]);
    expect(stats).toEqual([{ name: 'a', delivered: 3, dropped: 0, failed: 0, queued: 0 }]);
    events.emit(stock(4));
    await sleep(10);
    expect(got).toEqual([1, 2, 3]);
    expect(() => events.subscribe('late', () => undefined)).toThrow(RunEventsError);
  });

  it('close gives a hung subscriber only its bound, counts what it never got and says so in the log', async () => {
    const log = logSpy();
    const events = new RunEvents({ log });
    events.subscribe('hung', () => new Promise<void>(() => undefined));
    for (let i = 1; i <= 4; i++) events.emit(stock(i));
    const started = Date.now();
    const stats = await events.close(100);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(stats).toEqual([{ name: 'hung', delivered: 0, dropped: 3, failed: 0, queued: 0 }]);
    expect(log.warn).toHaveBeenCalledWith({ subscribers: stats }, 'run events: some subscribers lost or failed events');
  });

  it('queues for a subscriber only the types it asked for', async () => {
    const events = new RunEvents();
    const got: RunEvent[] = [];
    const sub = events.subscribe('sold-out only', (e) => void got.push(e), { types: ['sold-out'], queueSize: 1 });
    events.emit(stock(1));
    events.emit({ type: 'sold-out', target: '1:1' });
    events.emit(stock(2));
    await until(() => got.length === 1);
    await sleep(5);
    expect(got.map((e) => e.type)).toEqual(['sold-out']);
    expect(sub.stats()).toMatchObject({ delivered: 1, dropped: 0 });
  });

  it('emitOnce tells a fact once per key', async () => {
    const events = new RunEvents();
    const got: RunEvent[] = [];
    events.subscribe('a', (e) => void got.push(e));
    for (let i = 0; i < 3; i++) events.emitOnce('target:1:1', { type: 'target.reached', target: '1:1', packs: 5 });
    events.emitOnce('target:1:2', { type: 'target.reached', target: '1:2', packs: 5 });
    await until(() => got.length === 2);
    await sleep(5);
    expect(got.map((e) => (e.type === 'target.reached' ? e.target : ''))).toEqual(['1:1', '1:2']);
  });

  it('an unsubscribed handler gets nothing more; its waiting events count as dropped', async () => {
    const events = new RunEvents();
    const got: number[] = [];
    const sub = events.subscribe('a', (e) => void got.push(e.type === 'stock.seen' ? e.left : -1));
    events.emit(stock(1));
    events.emit(stock(2));
    sub.unsubscribe();
    events.emit(stock(3));
    await sleep(10);
    expect(got).toEqual([]);
    expect(sub.stats()).toMatchObject({ delivered: 0, dropped: 2 });
  });

  it('never throws from emit, whatever the event holds', () => {
    const events = new RunEvents();
    events.subscribe('a', () => undefined);
    const hostile = { type: 'stock.seen', target: '1:1', get left(): number { throw new Error('boom'); } } as unknown as RunEventDraft;
    expect(() => events.emit(hostile)).not.toThrow();
  });

  it('refuses a queue size it cannot bound', () => {
    const events = new RunEvents();
    expect(() => events.subscribe('a', () => undefined, { queueSize: 0 })).toThrow(RunEventsError);
    expect(() => events.subscribe('a', () => undefined, { queueSize: 1e9 })).toThrow(RunEventsError);
  });

  it('gives plugins a source that can only subscribe', () => {
    const source = new RunEvents().source();
    expect(Object.keys(source)).toEqual(['subscribe']);
    expect(Object.isFrozen(source)).toBe(true);
  });
});
