/** The two questions every store call asks before it goes out: which base URL (the endpoints actor) and may it go now
 *  (the limiter actor). The store client depends on these ports only; the actors implement them. */
import type { StoreOperation } from './store-error.js';

/** Who waits for whom: a spending call never queues behind a read, a read never behind a poll. */
export type Priority = 'spend' | 'read' | 'poll';
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { spend: 0, read: 1, poll: 2 };

/** The facts of one finished call, fed back to the limiter and the endpoints actor. */
export interface CallOutcome {
  /** HTTP status, or null when no answer arrived (transport failure). */
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly ms: number;
}

/** Permission for one call; end it exactly once: `settle` when the call ended (answered or failed), `release` when
 *  its caller abandoned it and it says nothing about the store. Either frees its in-flight slot; a lease never ended
 *  expires after the profile's request timeout and a margin. */
export interface Lease {
  settle(outcome: CallOutcome): void;
  release(): void;
}

/** What a call asks the limiter for: the pools are derived from the operation and the route. */
export interface AcquireRequest {
  readonly op: StoreOperation;
  /** The account whose token the call carries (its `account:<name>` pool). */
  readonly account: string;
  /** The proxy the call leaves through (its `ip:<proxy>` pool); absent: direct. */
  readonly proxy?: string;
  readonly priority: Priority;
  readonly signal?: AbortSignal;
}

/** The limiter's port. Rejects with StoreRateLimited when the wait would exceed the profile's maximum, or while a
 *  pool's circuit breaker is open. */
export interface RateGate {
  acquire(req: AcquireRequest): Promise<Lease>;
}

/** The endpoints actor's port. */
export interface EndpointResolver {
  resolve(op: StoreOperation): Promise<string>;
  report(report: { op: StoreOperation; baseUrl: string; outcome: CallOutcome }): void;
}
