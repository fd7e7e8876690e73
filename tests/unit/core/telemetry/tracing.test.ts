import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { hasCode } from '../../../../core/errors.js';
import { Attr } from '../../../../core/telemetry/attributes.js';
import {
  installSignalFlush,
  otlpTracesUrl,
  startTracing,
  TracingAlreadyStarted,
  type Tracing,
} from '../../../../core/telemetry/tracing.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../../support/otlp-receiver.js';

const ENV_KEYS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_SERVICE_NAME'] as const;

describe('startTracing', () => {
  const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
  let tracing: Tracing | undefined;
  let receiver: OtlpReceiver | undefined;

  beforeEach(() => {
    for (const key of ENV_KEYS) {
      savedEnv[key] = process.env[key];
      delete process.env[key];
    }
  });

  afterEach(async () => {
    await tracing?.shutdown(500);
    tracing = undefined;
    await receiver?.close();
    receiver = undefined;
    for (const key of ENV_KEYS) {
      if (savedEnv[key] === undefined) delete process.env[key];
      else process.env[key] = savedEnv[key];
    }
  });

  it('exports spans as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces', async () => {
    receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `${receiver.url}/`;
    tracing = await startTracing({ serviceName: 'automint-test', serviceVersion: '0.1.0' });
    expect(tracing.otlpTracesUrl).toBe(`${receiver.url}/v1/traces`);

    const root = tracing.rootSpan(undefined, { [Attr.runCommand]: 'demo' });
    context.with(trace.setSpan(context.active(), root), () => {
      tracing!.tracer.startSpan('actor sniper', { attributes: { [Attr.actorSystemId]: 'sniper' } }).end();
    });
    root.end();
    await tracing.flush();

    await vi.waitFor(() => expect(receiver!.spans()).toHaveLength(2), { timeout: 5000 });
    const run = receiver.spans().find((s) => s.name === 'automint.run');
    const actor = receiver.spans().find((s) => s.name === 'actor sniper');
    expect(run?.parentSpanId).toBeUndefined();
    expect(run?.attributes[Attr.runCommand]).toBe('demo');
    expect(actor?.parentSpanId).toBe(run?.spanId);
    expect(actor?.traceId).toBe(run?.traceId);
    expect(actor?.attributes[Attr.actorSystemId]).toBe('sniper');
    expect(run?.resource['service.name']).toBe('automint-test');
    expect(run?.resource['service.version']).toBe('0.1.0');
    expect(run?.scope).toBe('automint');
    expect(receiver.requests().map((r) => `${r.method} ${r.path} ${r.contentType}`)).toEqual(['POST /v1/traces application/json']);
    // Traces only: no metrics or logs exporter was started from the environment.
    await tracing.shutdown();
    expect(receiver.requests().every((r) => r.path === '/v1/traces')).toBe(true);
  });

  it('gives spans real trace ids while exporting nowhere when neither an endpoint nor an exporter is set', async () => {
    tracing = await startTracing({ serviceName: 'automint-test' });
    const span = tracing.rootSpan();

    expect(tracing.otlpTracesUrl).toBeUndefined();
    expect(span.isRecording()).toBe(true);
    expect(isSpanContextValid(span.spanContext())).toBe(true);
    span.end();
    await expect(tracing.flush()).resolves.toBeUndefined();
  });

  it('delivers spans to a given exporter on flush', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ serviceName: 'automint-test', exporter });
    tracing.rootSpan('automint.run').end();
    await tracing.flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['automint.run']);
  });

  it('returns from flush and shutdown when the collector never answers', { timeout: 15_000 }, async () => {
    receiver = await startOtlpReceiver({ answer: false });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    // The exporter's own request timeout is pushed past this test's timeout: only the bound can end the wait.
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '60000';
    tracing = await startTracing({ serviceName: 'automint-test' });
    tracing.rootSpan().end();

    await expect(tracing.flush(200)).resolves.toBeUndefined();
    await vi.waitFor(() => expect(receiver!.requests()).toHaveLength(1), { timeout: 5000 });
    tracing.rootSpan().end();
    await expect(tracing.shutdown(200)).resolves.toBeUndefined();
  });

  it('refuses a second start while tracing runs, and allows one after shutdown', async () => {
    tracing = await startTracing({ serviceName: 'automint-test' });
    const second = startTracing({ serviceName: 'automint-test' });
    await expect(second).rejects.toBeInstanceOf(TracingAlreadyStarted);

    await tracing.shutdown();
    tracing = await startTracing({ serviceName: 'automint-test' });
    expect(isSpanContextValid(tracing.rootSpan().spanContext())).toBe(true);
  });

  it('flushes spans before handing SIGTERM to the caller, then leaves later signals to Node', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ serviceName: 'automint-test', exporter });
    const listenersBefore = process.listenerCount('SIGTERM');
    const exportedAtSignal: string[][] = [];
    const onSignal = vi.fn((signal: NodeJS.Signals) => {
      exportedAtSignal.push([signal, ...exporter.getFinishedSpans().map((s) => s.name)]);
    });
    installSignalFlush(tracing, onSignal, 1000);
    tracing.rootSpan('automint.run').end();

    process.emit('SIGTERM', 'SIGTERM');

    await vi.waitFor(() => expect(onSignal).toHaveBeenCalledTimes(1), { timeout: 5000 });
    expect(exportedAtSignal).toEqual([['SIGTERM', 'automint.run']]);
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
  });
});

describe('otlpTracesUrl', () => {
  it('appends /v1/traces to the base endpoint and prefers the traces-specific variable', () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toBe('http://localhost:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318//' })).toBe('http://localhost:4318/v1/traces');
    expect(
      otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' }),
    ).toBe('http://b:4318/custom');
    expect(otlpTracesUrl({})).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
  });

  it('names the variable when the endpoint is not an http URL', () => {
    let caught: unknown;
    try {
      otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' });
    } catch (error) {
      caught = error;
    }
    expect(hasCode(caught, 'OTLP_ENDPOINT_INVALID')).toBe(true);
    expect((caught as Error).message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
  });
});
