import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { assign, createActor, fromCallback, fromPromise, sendParent, setup, spawnChild, waitFor, type AnyActorRef } from 'xstate';
import { AutomintError } from '../../../../core/errors.js';
import { createActorInspector, statePath, type ActorInspector } from '../../../../core/telemetry/actor-spans.js';
import { Attr, EventAttr } from '../../../../core/telemetry/attributes.js';

const PAYLOAD_SECRET = 'payload-must-never-be-traced';

class PaymentRefused extends AutomintError {
  constructor() {
    super('PAYMENT_REFUSED', 'the payer refused the order', { orderId: 'o-1' });
  }
}

/** A child machine: waits for RESERVE, tells its parent (with a payload the trace must not carry), and finishes. */
const reserver = setup({}).createMachine({
  id: 'reserver',
  initial: 'idle',
  states: {
    idle: { on: { RESERVE: { target: 'reserved', actions: sendParent({ type: 'RESERVED', note: PAYLOAD_SECRET }) } } },
    reserved: { type: 'final' },
  },
});

/** A purchase-like root: spawns a reserver, waits for it, pays through a promise actor, may retry once. */
function buyerMachine(pay: (attempt: number) => Promise<string>) {
  return setup({
    types: {} as { context: { purchaseId: string; attempts: number }; input: { purchaseId: string } },
    actors: { reserver, payer: fromPromise<string, { attempt: number }>(({ input }) => pay(input.attempt)) },
  }).createMachine({
    context: ({ input }) => ({ purchaseId: input.purchaseId, attempts: 0 }),
    initial: 'arming',
    states: {
      arming: {
        entry: spawnChild('reserver', { id: 'r1', systemId: 'reserver-1' }),
        on: {
          GO: { actions: ({ system }) => system.get('reserver-1').send({ type: 'RESERVE', token: PAYLOAD_SECRET }) },
          RESERVED: 'buying',
        },
      },
      buying: {
        initial: 'paying',
        states: {
          paying: {
            entry: assign({ attempts: ({ context }) => context.attempts + 1 }),
            invoke: {
              src: 'payer',
              id: 'pay',
              input: ({ context }) => ({ attempt: context.attempts }),
              onDone: '#paid',
              onError: 'waiting',
            },
          },
          waiting: { on: { RETRY: 'paying', GIVE_UP: '#failed' } },
        },
      },
      paid: { id: 'paid', type: 'final' },
      failed: { id: 'failed', type: 'final' },
    },
  });
}

describe('actor spans from xstate inspection', () => {
  let exporter: InMemorySpanExporter;
  let provider: BasicTracerProvider;
  let runSpan: Span;
  let inspector: ActorInspector;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('test');
    runSpan = tracer.startSpan('automint.run');
    inspector = createActorInspector({
      tracer,
      rootContext: trace.setSpan(ROOT_CONTEXT, runSpan),
      attributesFor: (ref: AnyActorRef) => {
        const ctx = (ref.getSnapshot() as { context?: { purchaseId?: string } }).context;
        return ctx?.purchaseId === undefined ? undefined : { [Attr.purchaseId]: ctx.purchaseId };
      },
    });
  });

  afterEach(async () => {
    await provider.shutdown();
  });

  const finished = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string): ReadableSpan[] => finished().filter((s) => s.name === name);
  const one = (name: string): ReadableSpan => {
    const found = named(name);
    expect(found, `spans named ${name}`).toHaveLength(1);
    return found[0]!;
  };
  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan | Span): string => span.spanContext().spanId;

  async function runToEnd(pay: (attempt: number) => Promise<string>, drive: (actor: AnyActorRef) => void) {
    const actor = createActor(buyerMachine(pay), { systemId: 'buyer', input: { purchaseId: 'p-42' }, inspect: inspector });
    actor.start();
    drive(actor);
    await waitFor(actor, (s) => s.status !== 'active', { timeout: 5000 });
    await vi.waitFor(() => expect(inspector.openActorCount()).toBe(0), { timeout: 5000 });
    return actor;
  }

  it('nests each actor span under its parent actor, and the root actor under the run span', async () => {
    await runToEnd(async () => 'paid', (a) => a.send({ type: 'GO' }));

    const buyer = one('actor buyer');
    expect(parentOf(buyer)).toBe(idOf(runSpan));
    expect(buyer.spanContext().traceId).toBe(runSpan.spanContext().traceId);
    expect(parentOf(one('actor reserver-1'))).toBe(idOf(buyer));
    expect(parentOf(one('actor pay'))).toBe(idOf(buyer));
    expect(buyer.attributes[Attr.actorSystemId]).toBe('buyer');
    expect(one('actor reserver-1').attributes[Attr.actorId]).toBe('r1');
    expect(buyer.attributes[Attr.actorStatus]).toBe('done');
  });

  it('adds the caller attributes from attributesFor to the actor span', async () => {
    await runToEnd(async () => 'paid', (a) => a.send({ type: 'GO' }));
    expect(one('actor buyer').attributes[Attr.purchaseId]).toBe('p-42');
    expect(one('actor pay').attributes[Attr.purchaseId]).toBeUndefined();
  });

  it('opens one state span per occupancy, named by the dotted value, under the actor span', async () => {
    let attempt = 0;
    const actor = createActor(
      buyerMachine(async () => {
        attempt += 1;
        if (attempt === 1) throw new PaymentRefused();
        return 'paid';
      }),
      { systemId: 'buyer', input: { purchaseId: 'p-42' }, inspect: inspector },
    );
    actor.start();
    actor.send({ type: 'GO' });
    await waitFor(actor, (s) => s.matches({ buying: 'waiting' }), { timeout: 5000 });
    actor.send({ type: 'RETRY' });
    await waitFor(actor, (s) => s.status === 'done', { timeout: 5000 });
    await vi.waitFor(() => expect(inspector.openActorCount()).toBe(0), { timeout: 5000 });

    const buyer = one('actor buyer');
    expect(named('state buying.paying')).toHaveLength(2);
    for (const name of ['state arming', 'state buying.waiting', 'state paid']) expect(parentOf(one(name))).toBe(idOf(buyer));
    expect(one('state buying.waiting').attributes[Attr.state]).toBe('buying.waiting');
    // Each occupancy holds the events received during it: the first the payer's failure, the second its success.
    const eventNames = named('state buying.paying').map((span) => span.events.map((e) => e.name));
    expect(eventNames.filter((names) => names.includes('xstate.error.actor.pay'))).toHaveLength(1);
    expect(eventNames.filter((names) => names.includes('xstate.done.actor.pay'))).toHaveLength(1);
    expect(eventNames.filter((names) => names.includes('xstate.done.actor.pay') && names.includes('xstate.error.actor.pay'))).toHaveLength(0);
    expect(named('actor pay')).toHaveLength(2);
  });

  it('records received events as span events with their type and sender, never their payload', async () => {
    await runToEnd(async () => 'paid', (a) => a.send({ type: 'GO' }));

    const arming = one('state arming');
    const go = arming.events.find((e) => e.name === 'GO');
    expect(go?.attributes).toEqual({ [EventAttr.type]: 'GO', [EventAttr.source]: 'external' });
    const reserved = arming.events.find((e) => e.name === 'RESERVED');
    expect(reserved?.attributes).toEqual({ [EventAttr.type]: 'RESERVED', [EventAttr.source]: 'reserver-1' });
    const reserve = one('state idle').events.find((e) => e.name === 'RESERVE');
    expect(reserve?.attributes?.[EventAttr.type]).toBe('RESERVE');

    for (const span of finished()) {
      expect(JSON.stringify({ a: span.attributes, e: span.events })).not.toContain(PAYLOAD_SECRET);
      for (const event of span.events) expect(Object.keys(event.attributes ?? {}).sort()).toEqual([EventAttr.type, EventAttr.source].sort());
    }
  });

  it('ends a failed promise actor span with status ERROR and the error code', async () => {
    const actor = createActor(
      buyerMachine(async () => {
        throw new PaymentRefused();
      }),
      { systemId: 'buyer', input: { purchaseId: 'p-42' }, inspect: inspector },
    );
    actor.start();
    actor.send({ type: 'GO' });
    await waitFor(actor, (s) => s.matches({ buying: 'waiting' }), { timeout: 5000 });
    await vi.waitFor(() => expect(named('actor pay')).toHaveLength(1), { timeout: 5000 });

    const pay = one('actor pay');
    expect(pay.status.code).toBe(SpanStatusCode.ERROR);
    expect(pay.status.message).toBe('the payer refused the order');
    expect(pay.attributes[Attr.errorCode]).toBe('PAYMENT_REFUSED');
    expect(pay.attributes[Attr.actorStatus]).toBe('error');
    actor.stop();
  });

  it('ends a child machine that throws inside a transition with status ERROR', async () => {
    const brittle = setup({}).createMachine({
      initial: 'idle',
      states: { idle: { on: { BREAK: { actions: () => { throw new TypeError('cannot read the order'); } } } } },
    });
    const actor = createActor(
      setup({ actors: { brittle } }).createMachine({
        initial: 'running',
        states: {
          running: {
            // systemId on the invoke keeps the child reachable through system.get.
            invoke: { src: 'brittle', id: 'brittle', systemId: 'brittle-1', onError: 'recovered' },
            on: { POKE: { actions: ({ system }) => system.get('brittle-1').send({ type: 'BREAK' }) } },
          },
          recovered: {},
        },
      }),
      { inspect: inspector },
    );
    actor.start();
    actor.send({ type: 'POKE' });
    await waitFor(actor, (s) => s.matches('recovered'), { timeout: 5000 });

    const child = one('actor brittle-1');
    expect(child.status.code).toBe(SpanStatusCode.ERROR);
    expect(child.attributes[Attr.errorCode]).toBe('TypeError');
    expect(one('state idle').status.code).toBe(SpanStatusCode.ERROR);
    actor.stop();
  });

  it('marks a root actor that throws in a transition as failed when the run ends its spans', async () => {
    const actor = createActor(
      setup({}).createMachine({
        initial: 'idle',
        states: { idle: { on: { BREAK: { actions: () => { throw new Error('broken'); } } } } },
      }),
      { systemId: 'sniper', inspect: inspector },
    );
    actor.subscribe({ error: () => undefined });
    actor.start();
    actor.send({ type: 'BREAK' });
    expect(actor.getSnapshot().status).toBe('error');
    expect(inspector.openActorCount()).toBe(1);

    inspector.endAll();

    const sniper = one('actor sniper');
    expect(sniper.status.code).toBe(SpanStatusCode.ERROR);
    expect(sniper.attributes[Attr.actorStatus]).toBe('error');
    expect(inspector.openActorCount()).toBe(0);
  });

  it('closes every span and forgets every actor when a running system is stopped', async () => {
    let release: (value: string) => void = () => undefined;
    const actor = createActor(buyerMachine(() => new Promise<string>((resolve) => { release = resolve; })), {
      systemId: 'buyer',
      input: { purchaseId: 'p-42' },
      inspect: inspector,
    });
    actor.start();
    actor.send({ type: 'GO' });
    await waitFor(actor, (s) => s.matches({ buying: 'paying' }), { timeout: 5000 });
    expect(inspector.openActorCount()).toBe(2);

    actor.stop();
    await vi.waitFor(() => expect(inspector.openActorCount()).toBe(0), { timeout: 5000 });
    release('late');

    expect(one('actor buyer').attributes[Attr.actorStatus]).toBe('stopped');
    expect(one('actor pay').attributes[Attr.actorStatus]).toBe('stopped');
    expect(one('state buying.paying').ended).toBe(true);
    // A late event to a stopped actor does not reopen its span.
    actor.send({ type: 'GO' });
    expect(inspector.openActorCount()).toBe(0);
    expect(named('actor buyer')).toHaveLength(1);
  });

  it('gives the context of the current state span for work done on behalf of an actor', async () => {
    const actor = createActor(buyerMachine(() => new Promise<string>(() => undefined)), {
      systemId: 'buyer',
      input: { purchaseId: 'p-42' },
      inspect: inspector,
    });
    actor.start();
    const request = provider.getTracer('test').startSpan('store request', {}, inspector.contextOf(actor));
    request.end();
    actor.stop();
    await vi.waitFor(() => expect(inspector.openActorCount()).toBe(0), { timeout: 5000 });

    expect(parentOf(one('store request'))).toBe(idOf(one('state arming')));
  });

  it('keeps the actor running and traced when the attributesFor hook throws', async () => {
    const tracer = provider.getTracer('test');
    const fragile = createActorInspector({
      tracer,
      attributesFor: () => {
        throw new Error('hook bug');
      },
    });
    const actor = createActor(buyerMachine(async () => 'paid'), { systemId: 'buyer', input: { purchaseId: 'p-1' }, inspect: fragile });
    actor.start();
    actor.send({ type: 'GO' });
    await expect(waitFor(actor, (s) => s.status === 'done', { timeout: 5000 })).resolves.toBeDefined();
    expect(one('actor buyer').attributes[Attr.actorStatus]).toBe('done');
  });

  it('traces a callback actor as an actor span whose events land on its parent', async () => {
    const ticker = fromCallback(({ sendBack }) => {
      sendBack({ type: 'TICK', secret: PAYLOAD_SECRET });
      return () => undefined;
    });
    const actor = createActor(
      setup({ actors: { ticker } }).createMachine({
        initial: 'watching',
        states: { watching: { invoke: { src: 'ticker', id: 'ticker' }, on: { TICK: 'seen' } }, seen: { on: { TICK: 'seen' } } },
      }),
      { systemId: 'watcher', inspect: inspector },
    );
    actor.start();
    await waitFor(actor, (s) => s.matches('seen'), { timeout: 5000 });
    actor.stop();
    await vi.waitFor(() => expect(inspector.openActorCount()).toBe(0), { timeout: 5000 });

    const tickerSpan = one('actor ticker');
    expect(parentOf(tickerSpan)).toBe(idOf(one('actor watcher')));
    expect(tickerSpan.attributes[Attr.actorStatus]).toBe('stopped');
    expect(finished().filter((s) => s.name.startsWith('state ') && parentOf(s) === idOf(tickerSpan))).toHaveLength(0);
    // The callback sends while its parent is still starting, before the parent's first state span opens.
    const tick = one('actor watcher').events.find((e) => e.name === 'TICK');
    expect(tick?.attributes).toEqual({ [EventAttr.type]: 'TICK', [EventAttr.source]: 'ticker' });
    expect(JSON.stringify(finished().map((span) => [span.attributes, span.events]))).not.toContain(PAYLOAD_SECRET);
  });
});

describe('statePath', () => {
  it('dots nested values and joins parallel regions with commas', () => {
    expect(statePath('idle')).toBe('idle');
    expect(statePath({ buying: 'paying' })).toBe('buying.paying');
    expect(statePath({ buying: { ton: 'confirming', stars: 'paid' } })).toBe('buying.ton.confirming,buying.stars.paid');
  });
});
