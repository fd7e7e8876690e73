/** Bounded waits that stay bounded while the garbage collector runs. On Node 20, `AbortSignal.any([signal,
 *  AbortSignal.timeout(ms)])` lost its timeout after a collection and a wait bounded that way never ended (issue 17:
 *  a 60 s limit held a restart for 123 s). Each wait here is pending while `gc()` runs every few milliseconds, and
 *  must still end at its deadline. A guard far past the deadline turns a lost deadline into a failure, not a hang. */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadline } from '../../../../core/time/deadline.js';
import { StoreClient } from '../../../../core/store/store-client.js';
import { StoreTransportError } from '../../../../core/store/store-error.js';
import type { EndpointResolver, RateGate } from '../../../../core/store/request-gate.js';
import { findStarsPayment } from '../../../../plugins/stars/stars-history.js';
import type { ResolvedBot, TelegramConnection } from '../../../../plugins/stars/telegram-connection.js';
import { collectingUntil } from '../../../support/forced-gc.js';

const DEADLINE_MS = 300;
/** Far past every deadline here: reaching it means a deadline was lost. */
const GUARD_MS = 5_000;

/** What `work` ended with, or a failure naming the lost deadline once the guard passes. Collections run throughout. */
async function endsUnderGc<T>(what: string, work: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  let guard: NodeJS.Timeout | undefined;
  const lost = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`${what} still pending ${GUARD_MS} ms later: its ${DEADLINE_MS} ms deadline was lost`)), GUARD_MS);
  });
  const outcome = work.then((value) => ({ value }), (error: unknown) => ({ error }));
  try {
    return { ...(await collectingUntil(Promise.race([outcome, lost]))), ms: performance.now() - started };
  } finally {
    clearTimeout(guard);
  }
}

describe('bounded waits under forced garbage collection', () => {
  it('a deadline joined to a caller signal still aborts at its time', async () => {
    // Ten at once, each holding only its own signal, as a request holds the one it was given.
    const callers = Array.from({ length: 10 }, () => new AbortController());
    const waits = callers.map((caller) => {
      const d = deadline(DEADLINE_MS, { signal: caller.signal });
      return new Promise<unknown>((resolve) => d.signal.addEventListener('abort', () => resolve(d.signal.reason), { once: true }));
    });
    const { value, error, ms } = await endsUnderGc('a deadline', Promise.all(waits));
    expect(error).toBeUndefined();
    for (const reason of value!) expect(reason).toMatchObject({ name: 'TimeoutError' });
    // Not early either: the caller's signal never aborted.
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    expect(callers.every((c) => !c.signal.aborted)).toBe(true);
  });

  describe('the store client', () => {
    let server: Server;
    const sockets: Socket[] = [];
    const agent = new Agent({ keepAliveTimeout: 1_000 });
    let url: string;

    beforeAll(async () => {
      // Accepts every connection and reads the request, but never answers.
      server = createServer((socket) => {
        sockets.push(socket);
        socket.on('data', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
      await agent.close();
    });

    it('times out a request to a store that never answers', async () => {
      const gate: RateGate = { acquire: async () => ({ settle: () => undefined, release: () => undefined }) };
      const endpoints: EndpointResolver = { resolve: async () => url, report: () => undefined };
      const client = new StoreClient({
        account: 'alice', token: async () => 'not-a-real-token', gate, endpoints, dispatcher: agent, userAgent: 'test', timeoutMs: DEADLINE_MS,
      });
      // A caller signal that never aborts, as a payer's: the request's own timeout is what must end it.
      const caller = new AbortController();
      const calls = Array.from({ length: 5 }, () => client.settings(caller.signal));
      const { error, ms } = await endsUnderGc('a store request', Promise.all(calls));
      expect(error).toBeInstanceOf(StoreTransportError);
      expect(error).toMatchObject({ code: 'STORE_TIMEOUT' });
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    });
  });

  it("ends a Stars history look-up that Telegram never answers", async () => {
    // A connection that honours its signal, as TelegramConnection.invoke does, and otherwise never answers.
    const asked: string[] = [];
    const deaf = {
      invoke: (request: { className: string }, opts: { signal?: AbortSignal }) =>
        new Promise((_, reject) => {
          asked.push(request.className);
          opts.signal?.addEventListener('abort', () => reject(opts.signal!.reason), { once: true });
        }),
    };
    const bot = { userId: 1n, inputPeer: {}, inputUser: {} };
    const caller = new AbortController();
    const { error, ms } = await endsUnderGc(
      'a Stars look-up',
      // Only `invoke` is used by the look-up; the rest of a connection and a bot is not needed to search.
      findStarsPayment(deaf as unknown as TelegramConnection, bot as unknown as ResolvedBot, 'slug-1', caller.signal, DEADLINE_MS),
    );
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(asked).toEqual(['messages.GetHistory']);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
  });
});
