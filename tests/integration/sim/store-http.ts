/** Talking to a simulated store over real HTTP in integration tests: one call, its status, headers and raw text. */
import { request } from 'undici';
import { startStore, type SimStore, type StoreScenario } from '../../../sim/store/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryTransferFeed } from '../../support/memory-transfer-feed.js';
import { STORE_WALLET_RAW } from '../../support/store-scenario.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: string;
  /** undici's headersTimeout, ms. */
  headersTimeoutMs?: number;
}

/** One request; rejects only when the transport fails (reset, timeout). */
export async function call(store: SimStore, method: 'GET' | 'POST' | 'DELETE', path: string, opts: CallOptions = {}): Promise<HttpAnswer> {
  const res = await request(store.url + path, {
    method,
    headers: { accept: 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.headersTimeoutMs !== undefined ? { headersTimeout: opts.headersTimeoutMs } : {}),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** The parsed JSON envelope of an answer. */
export function envelope(a: HttpAnswer): { ok: boolean; data?: unknown; errorCode?: string } {
  return JSON.parse(a.text) as { ok: boolean; data?: unknown; errorCode?: string };
}

/** Polls `probe` until `done` holds, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A store on a free loopback port, on a manual clock that starts `offsetMs` into a second. */
export async function startTestStore(
  scenario: (now: number) => StoreScenario,
  offsetMs = 250,
): Promise<{ store: SimStore; clock: ManualClock; feed: MemoryTransferFeed }> {
  const clock = new ManualClock(Date.UTC(2025, 0, 1, 12, 0, 0) + offsetMs);
  const feed = new MemoryTransferFeed(clock.now);
  const store = await startStore({ scenario: scenario(clock.now()), payments: feed, wallet: STORE_WALLET_RAW, clock: clock.now });
  return { store, clock, feed };
}
