/** The endpoints actor: which base URL serves each store operation, with success and latency stats per URL.
 *  Fails over to a mirror only on transport failures or a run of 5xx, never on 4xx/401/429 (those are answers, and a
 *  429 is the limiter's business); a URL that lost its turn gets one call every RECOVERY_PROBE_MS to show it is back.
 *  Talks to: every store call, through `endpointResolver`. */
import { fromCallback, type ActorRef, type EventObject, type Snapshot } from 'xstate';
import { AutomintError } from '../errors.js';
import type { CallOutcome, EndpointResolver } from '../store/request-gate.js';
import type { StoreOperation } from '../store/store-error.js';

export interface EndpointsInput {
  readonly primary: string;
  readonly mirrors: readonly string[];
}

/** Health of one base URL. */
export interface EndpointStats {
  readonly baseUrl: string;
  ok: number;
  failed: number;
  /** Consecutive transport failures or 5xx answers; resets on any answer below 500. */
  badRun: number;
  /** Exponentially weighted mean latency, ms. */
  latencyMs: number | null;
  /** Epoch ms of the last bad outcome or recovery probe; a benched URL is probed again RECOVERY_PROBE_MS after it. */
  lastBadAt: number | null;
}

export type EndpointsEvent =
  /** From a store call about to go out: which base URL to use. */
  | { type: 'RESOLVE'; op: StoreOperation; reply: (baseUrl: string) => void }
  /** From a store call that finished. */
  | { type: 'OUTCOME'; op: StoreOperation; baseUrl: string; status: number | null; ms: number }
  /** From the sniper at the end of a run: a copy of the stats. */
  | { type: 'REPORT'; reply: (stats: EndpointStats[]) => void };

/** How many bad outcomes in a row make a URL lose its turn. */
export const FAILOVER_AFTER = 5;
/** How long a URL that lost its turn waits before one call is sent to it again. */
export const RECOVERY_PROBE_MS = 30_000;

export const endpointsLogic = fromCallback<EndpointsEvent, EndpointsInput>(({ input, receive }) => {
  const stats = new Map<string, EndpointStats>();
  for (const baseUrl of [input.primary, ...input.mirrors]) {
    stats.set(baseUrl, { baseUrl, ok: 0, failed: 0, badRun: 0, latencyMs: null, lastBadAt: null });
  }
  const choose = (now: number): string => {
    for (const s of stats.values()) {
      if (s.badRun < FAILOVER_AFTER) return s.baseUrl;
      // Nothing else would ever send it a call again, so nothing could show it recovered: probe it, one call at a time.
      if (s.lastBadAt !== null && now - s.lastBadAt >= RECOVERY_PROBE_MS) {
        s.lastBadAt = now;
        return s.baseUrl;
      }
    }
    // Every URL is failing: keep trying the primary rather than guessing.
    return input.primary;
  };
  receive((event) => {
    switch (event.type) {
      case 'RESOLVE':
        event.reply(choose(Date.now()));
        return;
      case 'OUTCOME': {
        const s = stats.get(event.baseUrl);
        if (!s) return;
        const bad = event.status === null || event.status >= 500;
        if (bad) {
          s.failed++;
          s.badRun++;
          s.lastBadAt = Date.now();
        } else {
          s.ok++;
          s.badRun = 0;
          s.latencyMs = s.latencyMs === null ? event.ms : s.latencyMs * 0.8 + event.ms * 0.2;
        }
        return;
      }
      case 'REPORT':
        event.reply([...stats.values()].map((s) => ({ ...s })));
        return;
    }
  });
});

/** A store call asked for a base URL after the endpoints actor stopped (the run is ending): nothing was sent. */
export class EndpointsStopped extends AutomintError {
  constructor(op: StoreOperation) {
    super('ENDPOINTS_STOPPED', `no endpoint for ${op}: the endpoints actor has stopped`, { op });
  }
}

type EndpointsRef = ActorRef<Snapshot<unknown>, EndpointsEvent, EventObject>;

/** The EndpointResolver port over a running endpoints actor. */
export function endpointResolver(endpoints: EndpointsRef): EndpointResolver {
  return {
    resolve: (op) => new Promise((resolve, reject) => {
      // A stopped actor drops events silently: without this the caller would wait for a reply that never comes.
      if (endpoints.getSnapshot().status !== 'active') return reject(new EndpointsStopped(op));
      endpoints.send({ type: 'RESOLVE', op, reply: resolve });
    }),
    report: ({ op, baseUrl, outcome }: { op: StoreOperation; baseUrl: string; outcome: CallOutcome }) =>
      endpoints.send({ type: 'OUTCOME', op, baseUrl, status: outcome.status, ms: outcome.ms }),
  };
}
