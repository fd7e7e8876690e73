import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { AutomintError } from '../../../../core/errors.js';
import { createLogger, type LoggerOptions } from '../../../../core/telemetry/logger.js';
import { knownSecrets, registerPhrase, registerSecret } from '../../../../core/telemetry/secret-registry.js';
import { startTracing, type Tracing } from '../../../../core/telemetry/tracing.js';

/** A logger writing JSON lines into memory. */
function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    secrets: () => [],
    destination: { write: (line: string) => void lines.push(line) },
    ...options,
  });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, parsed, text: () => lines.join('') };
}

describe('createLogger', () => {
  it('redacts secret keys by path, at the top level and nested', () => {
    const { log, parsed } = capture();
    log.info(
      {
        mnemonic: 'top level words',
        account: { name: 'main', storeToken: 'tok-1', session: 'sess-1' },
        request: { headers: { authorization: 'Bearer abc', accept: 'json' } },
        telegram: { login: { password: 'hunter2', apiKey: 'key-1' } },
        headers: { authorization: 'Bearer top' },
      },
      'logged in',
    );
    const [line] = parsed();
    expect(line).toMatchObject({
      mnemonic: '[redacted]',
      account: { name: 'main', storeToken: '[redacted]', session: '[redacted]' },
      request: { headers: { authorization: '[redacted]', accept: 'json' } },
      telegram: { login: { password: '[redacted]', apiKey: '[redacted]' } },
      headers: { authorization: '[redacted]' },
      msg: 'logged in',
      level: 'info',
    });
  });

  it('redacts an API key header by path, in either case, and the request headers an HTTP client error carries', () => {
    const key = 'toncenter-key-0123456789abcdef';
    // The shape axios gives its errors: the request config, headers included, rides on the error object.
    const httpError = (): Error => Object.assign(new Error('Request failed with status code 500'), {
      config: { url: 'https://toncenter.com/api/v2/jsonRPC', headers: { 'Content-Type': 'application/json', 'X-API-Key': key } },
      response: { status: 500, data: { ok: false, error: 'internal' } },
    });
    const { log, text, parsed } = capture();
    log.error(httpError(), 'toncenter failed');
    log.error({ err: httpError() }, 'toncenter failed');
    log.error({ call: { attempt: { error: httpError() } } }, 'toncenter failed');
    log.info({ 'x-api-key': key, request: { headers: { 'x-api-key': key, 'X-API-Key': key, accept: 'json' } } }, 'request');
    expect(text()).not.toContain(key);
    const [first, second, third, fourth] = parsed() as [{ err: unknown }, { err: unknown }, { call: { attempt: { error: unknown } } }, unknown];
    expect(first.err).toMatchObject({ config: { headers: '[redacted]', url: 'https://toncenter.com/api/v2/jsonRPC' }, response: { status: 500 } });
    expect(second.err).toMatchObject({ config: { headers: '[redacted]' } });
    expect(third.call.attempt.error).toMatchObject({ config: { headers: '[redacted]' } });
    expect(fourth).toMatchObject({ 'x-api-key': '[redacted]', request: { headers: { 'x-api-key': '[redacted]', 'X-API-Key': '[redacted]', accept: 'json' } } });
  });

  it('scrubs known secret values from the message, nested objects and error messages and stacks', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    // At debug an expected failure keeps its stack, so the stack's scrubbing is checked too.
    const { log, text, parsed } = capture({ secrets: () => [jwt], level: 'debug' });
    const cause = new Error(`upstream rejected ${jwt}`);
    log.error(
      { err: new AutomintError('AUTH_FAILED', `store refused token ${jwt}`, {}, { cause }), deep: { a: { b: { c: [`Bearer ${jwt}`] } } } },
      'auth failed for %s',
      jwt,
    );
    expect(text()).not.toContain(jwt);
    const [line] = parsed() as [{ msg: string; err: { message: string; stack: string }; deep: unknown }];
    expect(line.msg).toBe('auth failed for [redacted]');
    // pino appends the cause's message: both are scrubbed.
    expect(line.err.message).toBe('store refused token [redacted]: upstream rejected [redacted]');
    expect(line.err.stack).toContain('store refused token [redacted]');
    expect(line.deep).toEqual({ a: { b: { c: ['Bearer [redacted]'] } } });
  });

  it('scrubs a secret containing characters JSON escapes', () => {
    const password = 'pa"ss\\word-42';
    const { log, text } = capture({ secrets: () => [password] });
    log.info({ note: `typed ${password} twice` }, 'input');
    expect(text()).toContain('typed [redacted] twice');
    expect(text()).not.toContain(JSON.stringify(password).slice(1, -1));
  });

  it('counts secrets registered after the logger was created', () => {
    const { log, text } = capture({ secrets: knownSecrets });
    const token = `bot-token-${process.pid}-registered-late`;
    log.info(`before ${token}`);
    registerSecret(token);
    log.info(`after ${token}`);
    const [before, after] = text().trim().split('\n');
    expect(before).toContain(token);
    expect(after).not.toContain(token);
    expect(after).toContain('after [redacted]');
  });

  it('scrubs a registered mnemonic even when it is logged as a word list', () => {
    const words = ['abandon', 'ability', 'able', 'about', 'above', 'absent', 'absorb', 'abstract', 'absurd', 'abuse', 'access', 'accident'];
    registerPhrase(words);
    const { log, text } = capture({ secrets: knownSecrets });
    log.warn({ wallet: { words } }, 'wallet words: %s', words.join('\n'));
    expect(text()).not.toContain('abandon');
    expect(text()).not.toContain('accident');
    // The word list collapses into one redacted string, and the line stays valid JSON.
    expect(JSON.parse(text())).toMatchObject({ wallet: { words: ['[redacted]'] }, msg: 'wallet words: [redacted]' });
  });

  it('writes trace_id and span_id of the active span, also across an await', async () => {
    const { log, parsed } = capture();
    const exporter = new InMemorySpanExporter();
    const tracing: Tracing = await startTracing({ serviceName: 'automint-test', exporter });
    try {
      const ids = await tracing.tracer.startActiveSpan('order', async (span) => {
        log.info('creating order');
        await new Promise((resolve) => setImmediate(resolve));
        log.info('order created');
        span.end();
        return span.spanContext();
      });
      log.info('outside any span');
      const [first, second, outside] = parsed();
      expect(first).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
      expect(second).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
      expect(outside).not.toHaveProperty('trace_id');
    } finally {
      await tracing.shutdown(1000);
    }
  });

  describe('errors', () => {
    /** An expected failure, as the store client throws one. */
    const refusal = (): AutomintError =>
      new AutomintError('STORE_HTTP', 'store answered HTTP 418 to buyTon', { op: 'buyTon', status: 418 });
    /** A plugin's own copy of AutomintError: a different class, the same shape. */
    class BundledAutomintError extends Error {
      constructor(readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
        super(message);
      }
    }
    /** Writes `format` lines into memory; pretty without colours. */
    const lines = (format: 'json' | 'pretty', level: LoggerOptions['level'] = 'info', secrets: string[] = []) => {
      const out: string[] = [];
      const log = createLogger({ level, format, secrets: () => secrets, destination: { write: (l: string) => void out.push(l) } });
      const text = () => out.join('');
      return { log, text, count: () => text().split('\n').filter(Boolean).length, parsed: () => out.map((l) => JSON.parse(l) as { err?: Record<string, unknown> }) };
    };

    it('JSON: an AutomintError carries type, code, message and details, and no stack', () => {
      const { log, parsed, count, text } = lines('json');
      log.warn({ err: refusal(), method: 'ton' }, 'payer step failed');
      expect(count()).toBe(1);
      expect(text()).not.toContain('    at ');
      expect(parsed()[0]!.err).toEqual({
        type: 'AutomintError', code: 'STORE_HTTP', message: 'store answered HTTP 418 to buyTon', details: { op: 'buyTon', status: 418 },
      });
    });

    it('JSON: an error made by a plugin\'s own copy of AutomintError is recognised by its shape', () => {
      const { log, parsed } = lines('json');
      log.warn({ err: new BundledAutomintError('TON_REFUSED', 'wallet refused', { wallet: 'main' }) }, 'payer step failed');
      expect(parsed()[0]!.err).toEqual({ type: 'BundledAutomintError', code: 'TON_REFUSED', message: 'wallet refused', details: { wallet: 'main' } });
    });

    it('JSON: an unexpected error keeps its stack, a Node error with a code included', () => {
      const { log, parsed } = lines('json');
      log.error({ err: new TypeError('cannot read properties of undefined') }, 'bug');
      log.error({ err: Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }) }, 'no file');
      const [bug, missing] = parsed();
      expect(bug!.err).toMatchObject({ type: 'TypeError', message: 'cannot read properties of undefined' });
      expect(bug!.err!['stack']).toContain('    at ');
      expect(missing!.err).toMatchObject({ code: 'ENOENT' });
      expect(missing!.err!['stack']).toContain('    at ');
    });

    it('JSON: at debug an AutomintError keeps its stack', () => {
      const { log, parsed } = lines('json', 'debug');
      log.warn({ err: refusal() }, 'payer step failed');
      expect(parsed()[0]!.err).toMatchObject({ code: 'STORE_HTTP', message: 'store answered HTTP 418 to buyTon' });
      expect(parsed()[0]!.err!['stack']).toContain('    at ');
    });

    it('pretty: an AutomintError is one line with its code and message, under `err`, `error` or logged alone', () => {
      for (const write of [
        (log: ReturnType<typeof lines>['log']) => log.warn({ err: refusal() }, 'payer step failed'),
        (log: ReturnType<typeof lines>['log']) => log.warn({ error: refusal() }, 'payer step failed'),
        (log: ReturnType<typeof lines>['log']) => log.warn(refusal(), 'payer step failed'),
      ]) {
        const { log, text, count } = lines('pretty');
        write(log);
        expect(count(), text()).toBe(1);
        expect(text()).toContain('WARN: payer step failed [STORE_HTTP]: store answered HTTP 418 to buyTon');
        expect(text()).not.toContain('    at ');
      }
      const alone = lines('pretty');
      alone.log.warn(refusal());
      expect(alone.text()).toMatch(/WARN: \[STORE_HTTP\]: store answered HTTP 418 to buyTon\n$/);
    });

    it('pretty: an unexpected error prints its stack', () => {
      const { log, text } = lines('pretty');
      log.error({ err: new TypeError('cannot read properties of undefined') }, 'bug');
      expect(text()).toContain('ERROR: bug');
      expect(text()).toContain('TypeError: cannot read properties of undefined');
      expect(text()).toContain('    at ');
    });

    it('pretty: at debug an AutomintError prints its stack', () => {
      const { log, text } = lines('pretty', 'debug');
      log.warn({ err: refusal() }, 'payer step failed');
      expect(text()).toContain('"code": "STORE_HTTP"');
      expect(text()).toContain('    at ');
    });

    it('pretty: a secret in an error\'s message is scrubbed from the folded line', () => {
      const secret = 'tok-secret-418';
      const { log, text } = lines('pretty', 'info', [secret]);
      log.warn({ err: new AutomintError('AUTH_FAILED', `store refused token ${secret}`, {}, { cause: new Error(`upstream saw ${secret}`) }) }, 'auth failed');
      expect(text()).toContain('auth failed [AUTH_FAILED]: store refused token [redacted]: upstream saw [redacted]');
      expect(text()).not.toContain(secret);
    });
  });

  describe('formats', () => {
    const savedIsTTY = process.stderr.isTTY;
    beforeAll(() => {
      Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    });
    afterAll(() => {
      Object.defineProperty(process.stderr, 'isTTY', { value: savedIsTTY, configurable: true });
    });

    it('writes JSON lines when format is auto and the destination is not a terminal', () => {
      const { log, lines } = capture({ format: 'auto' });
      log.info({ orderId: 'o-1' }, 'order paid');
      expect(JSON.parse(lines[0]!)).toMatchObject({ orderId: 'o-1', msg: 'order paid' });
    });

    it('writes readable lines when format is auto and the destination is a terminal', () => {
      const lines: string[] = [];
      const terminal = { isTTY: true, write: (line: string) => void lines.push(line) };
      const log = createLogger({ level: 'info', format: 'auto', secrets: () => ['secret-order-token'], destination: terminal });
      log.info({ orderId: 'o-1', note: 'secret-order-token' }, 'order paid');
      expect(() => JSON.parse(lines[0]!)).toThrow();
      expect(lines.join('')).toContain('order paid');
      expect(lines.join('')).toContain('o-1');
      expect(lines.join('')).not.toContain('secret-order-token');
    });

    it('respects the level', () => {
      const { log, lines } = capture({ level: 'warn' });
      log.info('quiet');
      log.warn('loud');
      expect(lines).toHaveLength(1);
    });
  });
});
