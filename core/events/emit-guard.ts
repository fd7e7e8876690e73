/** Event emission from an actor's action must never throw: an action that throws errors the whole actor, and the
 *  actions after it (a payer's `releaseClaim`) never run, so packs stay claimed and money bookkeeping is left half
 *  done. Every emit helper an actor calls goes through `guardEmit`: a failure to build or queue an event is logged,
 *  at most once per LOG_EVERY_MS in the whole process (an event lost is a notification lost, never a purchase), and
 *  swallowed. */
import type { Logger } from 'pino';

/** Failures to emit are logged at most this often. */
export const EMIT_FAILURE_LOG_EVERY_MS = 10_000;

let lastLoggedAt = -Infinity;
let unlogged = 0;

/** Runs `emit`; never throws. `what` names the event for the log line (never its data: it may hold what failed). */
export function guardEmit(what: string, emit: () => void, log?: Pick<Logger, 'warn'>): void {
  try {
    emit();
  } catch (e) {
    unlogged += 1;
    const now = Date.now();
    if (log === undefined || now - lastLoggedAt < EMIT_FAILURE_LOG_EVERY_MS) return;
    lastLoggedAt = now;
    const failures = unlogged;
    unlogged = 0;
    try {
      // The error's message only (the logger scrubs secrets by value); its details may be what made the emit fail.
      const reason = e instanceof Error ? e.message : typeof e === 'string' ? e : 'non-error thrown';
      log.warn({ event: what, failures, reason }, 'could not emit a run event; the run goes on without it');
    } catch {
      // A logger that throws must not fail the emitter either.
    }
  }
}
