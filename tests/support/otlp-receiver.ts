/** A local OTLP/HTTP trace receiver for tests: listens on 127.0.0.1 port 0, accepts `POST /v1/traces` as JSON
 *  (what automint's exporter sends) or protobuf (what NodeSDK sends when configured by env alone), and decodes
 *  both into the same span records. With `answer: false` it reads requests and never answers: a dead collector. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean | AttributeValue[] | { [key: string]: AttributeValue } | null;
export type ReceivedAttributes = Record<string, AttributeValue>;

export type ReceivedEvent = { name: string; attributes: ReceivedAttributes };

export type ReceivedSpan = {
  name: string;
  /** Hex, as in Jaeger. */
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  attributes: ReceivedAttributes;
  events: ReceivedEvent[];
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string | undefined };
  /** The resource the span came with (`service.name`, ...). */
  resource: ReceivedAttributes;
  /** The instrumentation scope (tracer) name. */
  scope: string;
};

export type ReceivedRequest = { method: string; path: string; contentType: string; body: Buffer };

export type OtlpReceiver = {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Every request body as UTF-8 text (protobuf strings stay readable, so a leak check can search them). */
  rawBodies(): string[];
  requests(): ReceivedRequest[];
  close(): Promise<void>;
};

export type OtlpReceiverOptions = {
  /** false: read each request and never answer it. Default true. */
  answer?: boolean;
};

/** Starts a receiver on 127.0.0.1 port 0. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const answer = options.answer ?? true;
  const requests: ReceivedRequest[] = [];
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = String(req.headers['content-type'] ?? '');
      requests.push({ method: req.method ?? '', path: req.url ?? '', contentType, body });
      if (!answer) return;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const isJson = contentType.includes('json');
      try {
        spans.push(...(isJson ? decodeJson(body.toString('utf8')) : decodeProtobuf(body)));
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        return;
      }
      if (isJson) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  // Longer than clients' idle timeout (Node's agent: 5 s), so a reused socket is never reset mid-request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    rawBodies: () => requests.map((r) => r.body.toString('utf8')),
    requests: () => [...requests],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- OTLP/JSON -------------------------------------------------------------------------------------------------

type JsonAnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
};
type JsonKeyValue = { key: string; value?: JsonAnyValue };
type JsonSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: JsonKeyValue[];
  events?: { name: string; attributes?: JsonKeyValue[] }[];
  status?: { code?: number; message?: string };
};
type JsonScopeSpans = { scope?: { name?: string }; spans?: JsonSpan[] };
type JsonRequest = { resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: JsonScopeSpans[] }[] };

function decodeJson(text: string): ReceivedSpan[] {
  const request = JSON.parse(text) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const resource = jsonAttributes(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ? span.parentSpanId : undefined,
        attributes: jsonAttributes(span.attributes),
        events: (span.events ?? []).map((e) => ({ name: e.name, attributes: jsonAttributes(e.attributes) })),
        status: { code: span.status?.code ?? 0, message: span.status?.message || undefined },
        resource,
        scope: ss.scope?.name ?? '',
      })),
    );
  });
}

function jsonAttributes(list: JsonKeyValue[] | undefined): ReceivedAttributes {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
}

function jsonValue(v: JsonAnyValue | undefined): AttributeValue {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.kvlistValue !== undefined) return jsonAttributes(v.kvlistValue.values);
  return null;
}

// ---- OTLP/protobuf: a small wire-format walker over the fields a test reads ------------------------------------

type WireField = { field: number; varint?: bigint; bytes?: Buffer };

function wireFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length) throw new Error('truncated varint');
      const byte = buf[i++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, varint: varint() });
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      out.push({ field, bytes: buf.subarray(i, i + size) });
      i += size;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ field, bytes: buf.subarray(i, i + length) });
      i += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const messages = (buf: Buffer, field: number): Buffer[] =>
  wireFields(buf).flatMap((f) => (f.field === field && f.bytes !== undefined ? [f.bytes] : []));
const firstBytes = (buf: Buffer, field: number): Buffer | undefined => messages(buf, field)[0];
const firstVarint = (buf: Buffer, field: number): bigint | undefined =>
  wireFields(buf).find((f) => f.field === field)?.varint;

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  // ExportTraceServiceRequest{1 resource_spans}; ResourceSpans{1 resource{1 attributes}, 2 scope_spans};
  // ScopeSpans{1 scope{1 name}, 2 spans}; Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 9 attributes,
  // 11 events{2 name, 3 attributes}, 15 status{2 message, 3 code}}.
  return messages(body, 1).flatMap((rs) => {
    const resourceMsg = firstBytes(rs, 1);
    const resource = resourceMsg === undefined ? {} : protoAttributes(resourceMsg, 1);
    return messages(rs, 2).flatMap((ss) => {
      const scopeMsg = firstBytes(ss, 1);
      const scope = scopeMsg === undefined ? '' : (firstBytes(scopeMsg, 1)?.toString('utf8') ?? '');
      return messages(ss, 2).map((span) => {
        const parent = firstBytes(span, 4);
        const status = firstBytes(span, 15);
        return {
          name: firstBytes(span, 5)?.toString('utf8') ?? '',
          traceId: firstBytes(span, 1)?.toString('hex') ?? '',
          spanId: firstBytes(span, 2)?.toString('hex') ?? '',
          parentSpanId: parent !== undefined && parent.length > 0 ? parent.toString('hex') : undefined,
          attributes: protoAttributes(span, 9),
          events: messages(span, 11).map((e) => ({
            name: firstBytes(e, 2)?.toString('utf8') ?? '',
            attributes: protoAttributes(e, 3),
          })),
          status: {
            code: status === undefined ? 0 : Number(firstVarint(status, 3) ?? 0n),
            message: status === undefined ? undefined : firstBytes(status, 2)?.toString('utf8'),
          },
          resource,
          scope,
        };
      });
    });
  });
}

function protoAttributes(message: Buffer, field: number): ReceivedAttributes {
  // KeyValue{1 key, 2 value: AnyValue}
  return Object.fromEntries(
    messages(message, field).map((kv) => {
      const value = firstBytes(kv, 2);
      return [firstBytes(kv, 1)?.toString('utf8') ?? '', value === undefined ? null : protoValue(value)];
    }),
  );
}

function protoValue(any: Buffer): AttributeValue {
  // AnyValue{1 string, 2 bool, 3 int64, 4 double, 5 array{1 values}, 6 kvlist{1 values}, 7 bytes}
  const [f] = wireFields(any);
  if (f === undefined) return null;
  switch (f.field) {
    case 1:
      return f.bytes?.toString('utf8') ?? '';
    case 2:
      return f.varint === 1n;
    case 3:
      return Number(BigInt.asIntN(64, f.varint ?? 0n));
    case 4:
      return f.bytes?.readDoubleLE(0) ?? 0;
    case 5:
      return messages(f.bytes ?? Buffer.alloc(0), 1).map(protoValue);
    case 6:
      return protoAttributes(f.bytes ?? Buffer.alloc(0), 1);
    case 7:
      return f.bytes?.toString('base64') ?? '';
    default:
      return null;
  }
}
