import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
// The protobuf exporter is what NodeSDK uses when configured by environment alone (installed with sdk-node).
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { startOtlpReceiver, type OtlpReceiver } from '../../../support/otlp-receiver.js';

describe('the test OTLP receiver', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('decodes spans sent as protobuf into the same records as JSON', async () => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new ProtobufTraceExporter({ url: `${receiver.url}/v1/traces` }))],
    });
    const tracer = provider.getTracer('proto-scope');
    const parent = tracer.startSpan('actor sniper', { attributes: { 'automint.actor.system_id': 'sniper' } });
    const child = tracer.startSpan(
      'state buying.paying',
      { attributes: { 'automint.state': 'buying.paying', count: 3, ratio: 0.5, final: false, tags: ['a', 'b'] } },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent('STOCK', { 'xstate.event': 'STOCK', 'xstate.source': 'watcher:42' });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'payer failed' });
    child.end();
    parent.end();
    await provider.forceFlush();
    await provider.shutdown();

    expect(receiver.requests().every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    const spans = receiver.spans();
    const actor = spans.find((s) => s.name === 'actor sniper');
    const state = spans.find((s) => s.name === 'state buying.paying');
    expect(actor).toMatchObject({ parentSpanId: undefined, scope: 'proto-scope', attributes: { 'automint.actor.system_id': 'sniper' } });
    expect(actor?.traceId).toBe(parent.spanContext().traceId);
    expect(actor?.spanId).toBe(parent.spanContext().spanId);
    expect(state).toMatchObject({
      parentSpanId: parent.spanContext().spanId,
      attributes: { 'automint.state': 'buying.paying', count: 3, ratio: 0.5, final: false, tags: ['a', 'b'] },
      events: [{ name: 'STOCK', attributes: { 'xstate.event': 'STOCK', 'xstate.source': 'watcher:42' } }],
      status: { code: 2, message: 'payer failed' },
    });
    expect(typeof state?.resource['service.name']).toBe('string');
    expect(receiver.rawBodies().join('')).toContain('state buying.paying');
  });
});
