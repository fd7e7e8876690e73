/** How an error looks in a log line. An expected failure (an AutomintError: a refusal, a timeout, a store outage)
 *  says what happened in its code and message, and its stack only repeats where the code that noticed it lives: it
 *  is logged as `{ type, code, message, details }` and, on a terminal, on the message's own line. An unexpected
 *  error (a bug, a library's own error) keeps its stack, and so does every error when the logger runs at `debug` or
 *  `trace`. */
import { pino } from 'pino';
import { detailsOf, isAutomintError, type AutomintError } from '../errors.js';

/** The keys errors are logged under (`log.warn({ err }, …)`; `err` is also where pino puts an Error logged alone). */
export const ERROR_KEYS = ['err', 'error'] as const;

/** An expected failure as a log line carries it. */
export interface LoggedFailure {
  readonly type: string;
  readonly code: string;
  /** The error's message, then each cause's (`message: cause message`), as pino writes it. */
  readonly message: string;
  /** The facts the error was made with; never a secret (AutomintError's contract). Absent when there are none. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The pino serializer for error keys; `withStacks` is read at each line so a level changed later counts. */
export function errorSerializer(withStacks: () => boolean): (e: unknown) => unknown {
  return (e) => (isAutomintError(e) && !withStacks() ? loggedFailure(e) : pino.stdSerializers.err(e as Error));
}

/** An expected failure without its stack. */
export function loggedFailure(e: AutomintError): LoggedFailure {
  // A branded error needs no `details` (errors.ts): read them only through detailsOf.
  const details = detailsOf(e);
  return {
    type: e.constructor.name || e.name,
    code: e.code,
    message: messageWithCauses(e),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

/** The message with each cause's appended (`a: b: c`), as pino's own serializer writes it, at most 10 deep. */
function messageWithCauses(e: Error): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let c: unknown = e; c instanceof Error && !seen.has(c) && parts.length < 10; c = c.cause) {
    seen.add(c);
    if (c.message) parts.push(c.message);
  }
  return parts.join(': ');
}

/** For a terminal: a parsed log line whose errors were all serialized as expected failures gets them folded into its
 *  message (`payer step failed [STORE_HTTP]: store answered HTTP 418 to buyTon`) and loses the error keys, so the
 *  error takes no line of its own. An error with a stack is left for pino-pretty to print in full. */
export function foldExpectedErrors(line: Record<string, unknown>, messageKey = 'msg'): Record<string, unknown> {
  let folded: Record<string, unknown> | null = null;
  for (const key of ERROR_KEYS) {
    const summary = oneLine(line[key]);
    if (summary === null) continue;
    folded ??= { ...line };
    const msg = folded[messageKey];
    // An Error logged alone has its own message as the line's message: said once is enough.
    const own = typeof msg !== 'string' || msg === '' || summary.message.startsWith(msg);
    folded[messageKey] = own ? summary.text : `${msg} ${summary.text}`;
    delete folded[key];
  }
  return folded ?? line;
}

/** `[CODE]: message` for a serialized expected failure (a string code and message, no stack); null otherwise. */
function oneLine(value: unknown): { text: string; message: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { code, message, stack } = value as { code?: unknown; message?: unknown; stack?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string' || stack !== undefined) return null;
  return { text: `[${code}]: ${message}`, message };
}
