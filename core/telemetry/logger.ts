/** The pino logger every part of automint writes to: JSON for machines, pretty on a terminal, each line carrying
 *  the active span's `trace_id`/`span_id` so logs join traces, and secrets removed twice over: by key path (pino
 *  `redact`) and by value (every known secret scrubbed from the final line, wherever it hides). Expected failures
 *  are logged without their stacks (see log-errors.ts). */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { REDACTED, scrubWith } from './secret-registry.js';
import { ERROR_KEYS, errorSerializer, foldExpectedErrors } from './log-errors.js';

export type LogFormat = 'auto' | 'json' | 'pretty';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type LoggerOptions = {
  level: LogLevel;
  /** `auto`: pretty when the destination is a terminal, JSON otherwise. */
  format: LogFormat;
  /** The secret values to scrub, read again for every line so secrets obtained later count (usually `knownSecrets`). */
  secrets: () => readonly string[];
  /** Where lines go; standard error when omitted, so standard output stays free for command results. */
  destination?: DestinationStream | NodeJS.WritableStream;
};

/** Keys whose values are secrets (or personal data) wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'mnemonic',
  'storeToken',
  'token',
  'jwt',
  'authorization',
  'initData',
  'password',
  'session',
  'apiKey',
  'botToken',
  'secretKey',
  'privateKey',
  'accessToken',
  'refreshToken',
  'cookie',
  'phone',
  'phoneNumber',
  // toncenter's API key header, as axios errors carry it in `config.headers` (header names keep the sender's case).
  'x-api-key',
  'X-API-Key',
] as const;

/** pino's redaction matches fixed paths, so each key is listed at the depths logged objects reach. */
const REDACT_DEPTH = 4;

/** The pino `redact` paths built from SECRET_KEYS, plus request headers and the whole `config.headers` of an HTTP
 *  client error (axios keeps the request's headers, API keys included, on every error it throws). */
export function redactPaths(): string[] {
  const paths = ['headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie'];
  for (let depth = 0; depth < REDACT_DEPTH; depth += 1) {
    const prefix = Array<string>(depth).fill('*').join('.');
    for (const key of SECRET_KEYS) paths.push(joinPath(prefix, key));
    paths.push(joinPath(prefix, 'config.headers'));
  }
  return paths;
}

/** `prefix.key`, with a key that is not a plain identifier (`x-api-key`) in the bracket form redaction paths need. */
function joinPath(prefix: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key)) return prefix === '' ? key : `${prefix}.${key}`;
  return `${prefix}[${JSON.stringify(key)}]`;
}

/** Creates the run's logger. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const pretty = options.format === 'pretty' || (options.format === 'auto' && isTerminal(options.destination));
  const stream = pretty ? prettyStream(destination, isTerminal(options.destination)) : destination;
  // Read at each line: a stack is worth its lines only to someone debugging.
  const serializeError = errorSerializer(() => logger.isLevelEnabled('debug'));
  const logger: Logger = pino(
    {
      level: options.level,
      serializers: Object.fromEntries(ERROR_KEYS.map((key) => [key, serializeError])),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
      mixin: traceFields,
      hooks: {
        // The whole serialized line, after redaction and serializers: messages, nested objects, error messages,
        // stacks and causes are all in it, so a secret value cannot slip past under a key nobody listed.
        streamWrite: (line) => scrubWith(line, options.secrets()),
      },
    },
    stream,
  );
  return logger;
}

/** Human-readable lines, formatted synchronously in this thread (pino-pretty's own stream is asynchronous and
 *  would lose the last lines when the process exits right after them). */
function prettyStream(destination: DestinationStream | NodeJS.WritableStream, colorize: boolean): DestinationStream {
  // Loaded only for a terminal (~70 ms): JSON runs and `--help` do not pay for it. require keeps createLogger sync.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({ colorize, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
  return { write: (line: string) => void destination.write(prettify(parsedLine(line))) };
}

/** The line as an object with its expected failures folded into the message; a line that is not JSON as it is. */
function parsedLine(line: string): string | Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  const isRecord = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  return isRecord ? foldExpectedErrors(parsed as Record<string, unknown>) : line;
}

/** `trace_id` and `span_id` of the span active where the log call happens, if any. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

function isTerminal(destination: LoggerOptions['destination']): boolean {
  if (destination === undefined) return process.stderr.isTTY === true;
  return (destination as { isTTY?: boolean }).isTTY === true;
}
