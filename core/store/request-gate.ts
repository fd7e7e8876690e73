/** The two questions every store call asks before it goes out: which base URL (the endpoints actor) and may it go now
 *  (the limiter actor). The store client depends on these ports only; the actors implement them. */
import type { StoreOperation } from './store-error.js';

/** Who waits for whom: a spending call never queues behind a poll. */
export type Priority = 'spend' | 'read' | 'poll';
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { spend: 0, read: 1, poll: 2 };

/** The facts of one finished call, fed back to the limiter and the endpoints actor. */
export interface CallOutcome {
  /** HTTP status, or null when no answer arrived (transport failure). */
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly ms: number;
}

/** Permission for one call; settle it exactly once when the call ends, whatever happened. */
export interface Lease {
  settle(outcome: CallOutcome): void;
}

/** The limiter's port. Rejects with StoreRateLimited when the wait would exceed the profile's maximum. */
export interface RateGate {
  acquire(req: { op: StoreOperation; pool: string; priority: Priority; signal?: AbortSignal }): Promise<Lease>;
}

/** The endpoints actor's port. */
export interface EndpointResolver {
  resolve(op: StoreOperation): Promise<string>;
  report(report: { op: StoreOperation; baseUrl: string; outcome: CallOutcome }): void;
}
