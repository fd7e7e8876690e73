/** OpenTelemetry for one run: a real tracer provider (spans always carry trace ids for the logs), OTLP/HTTP JSON
 *  export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (Jaeger listens on :4318), and flush/shutdown that never wait
 *  longer than asked, so a dead collector cannot hang the exit. The SDK is imported only when tracing starts:
 *  it costs ~350 ms that `automint --help` must not pay. */
import { context, diag, propagation, trace, SpanKind, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AutomintError } from '../errors.js';
import { SpanName, TRACER_NAME } from './attributes.js';
import { scrub } from './secret-registry.js';

export type TracingOptions = {
  /** `service.name` in Jaeger; `OTEL_SERVICE_NAME` overrides it. */
  serviceName: string;
  serviceVersion?: string;
  /** An extra exporter (tests pass an InMemorySpanExporter); spans reach it in batches, so flush before reading. */
  exporter?: SpanExporter;
};

/** A started tracing setup: the tracer, the run's root span, and bounded flush and shutdown. */
export interface Tracing {
  readonly tracer: Tracer;
  /** The OTLP traces URL spans are exported to, or undefined when they go nowhere outside the process. */
  readonly otlpTracesUrl: string | undefined;
  /** Starts the root span of a new trace (the caller ends it). */
  rootSpan(name?: string, attrs?: Attributes): Span;
  /** Exports every finished span, giving up after `timeoutMs`. Never rejects. */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes and stops tracing, giving up after `timeoutMs`; afterwards tracing may be started again. Never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 3000;

/** Raised when startTracing is called while an earlier Tracing of this process is still running. */
export class TracingAlreadyStarted extends AutomintError {
  constructor(serviceName: string) {
    super('TRACING_ALREADY_STARTED', 'tracing is already running in this process; shut it down before starting again', {
      serviceName,
    });
  }
}

/** Raised when an OTLP endpoint variable does not hold an absolute http(s) URL. */
export class OtlpEndpointInvalid extends AutomintError {
  constructor(variable: string) {
    super('OTLP_ENDPOINT_INVALID', `${variable} must be an absolute http(s) URL such as http://localhost:4318`, {
      variable,
    });
  }
}

let running: Tracing | undefined;

/** The OTLP/HTTP traces URL from the environment: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else
 *  `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`; undefined when neither is set. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const signalEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (signalEndpoint) return checkedUrl(signalEndpoint, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (endpoint) return checkedUrl(`${endpoint.replace(/\/+$/, '')}/v1/traces`, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return undefined;
}

/** Starts tracing for this process and registers it as the global OpenTelemetry tracer and context. */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  if (running !== undefined) throw new TracingAlreadyStarted(options.serviceName);
  const tracesUrl = otlpTracesUrl(process.env);

  const [{ NodeSDK, resources }, { BatchSpanProcessor, NoopSpanProcessor }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const processors: SpanProcessor[] = [];
  if (tracesUrl !== undefined) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl })));
  }
  if (options.exporter !== undefined) processors.push(new BatchSpanProcessor(options.exporter));
  // Without any processor NodeSDK registers no tracer provider at all, and spans would have no ids for the logs.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());

  const serviceAttributes: Attributes = { 'process.pid': process.pid, 'process.runtime.version': process.versions.node };
  if (options.serviceVersion !== undefined) serviceAttributes['service.version'] = options.serviceVersion;
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ? undefined : options.serviceName,
    resource: resources.defaultResource().merge(resources.resourceFromAttributes(serviceAttributes)),
    // Not the process detector: it exports the command line, which may carry a secret passed as a flag.
    resourceDetectors: [resources.envDetector, resources.hostDetector],
    spanProcessors: processors,
    // Traces only: without these NodeSDK would also start OTLP metric and log exporters from the environment.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();

  const tracer = trace.getTracer(TRACER_NAME, options.serviceVersion);
  let stopped = false;
  const tracing: Tracing = {
    tracer,
    otlpTracesUrl: tracesUrl,
    rootSpan: (name = SpanName.run, attrs = {}) =>
      tracer.startSpan(name, { root: true, kind: SpanKind.INTERNAL, attributes: attrs }),
    flush: async (timeoutMs = DEFAULT_TIMEOUT_MS) => {
      if (stopped) return;
      await withinTime('flush', Promise.all(processors.map((p) => p.forceFlush())), timeoutMs);
    },
    shutdown: async (timeoutMs = DEFAULT_TIMEOUT_MS) => {
      if (stopped) return;
      stopped = true;
      await withinTime('shutdown', sdk.shutdown(), timeoutMs);
      // Unregister the globals NodeSDK set, so a later startTracing in this process (tests) can register its own.
      trace.disable();
      context.disable();
      propagation.disable();
      running = undefined;
    },
  };
  running = tracing;
  return tracing;
}

/** On the first SIGINT or SIGTERM: flush spans (bounded), then call `onSignal`. A second signal gets Node's default
 *  behaviour (immediate exit), so a stuck shutdown can always be interrupted. Returns a function that uninstalls. */
export function installSignalFlush(
  tracing: Pick<Tracing, 'flush'>,
  onSignal: (signal: NodeJS.Signals) => void,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const uninstall = (): void => {
    for (const s of signals) process.off(s, handler);
  };
  function handler(signal: NodeJS.Signals): void {
    uninstall();
    void tracing.flush(timeoutMs).then(() => onSignal(signal));
  }
  for (const s of signals) process.on(s, handler);
  return uninstall;
}

/** Waits for `work` at most `timeoutMs`; a timeout or failure is reported through OpenTelemetry's diag logger
 *  (where the exporter reports its own failures) and never thrown: telemetry must not break a run or its exit. */
async function withinTime(operation: string, work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') {
      diag.warn(`automint tracing: ${operation} gave up after ${timeoutMs} ms; unsent spans are dropped`);
    }
  } catch (error) {
    diag.warn(`automint tracing: ${operation} failed: ${scrub(error instanceof Error ? error.message : String(error))}`);
  } finally {
    clearTimeout(timer);
  }
}

function checkedUrl(url: string, variable: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OtlpEndpointInvalid(variable);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OtlpEndpointInvalid(variable);
  return url;
}
