/** One pool's circuit breaker: cockatiel's consecutive breaker over the calls the pool granted. `threshold` 429s or
 *  transport failures in a row open it; while open the limiter denies the pool's calls; after `cooldownMs` one call
 *  goes out as the half-open test, and its outcome closes or reopens the circuit. Serialises to a snapshot so an open
 *  circuit stays open across a restart. */
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult, type CircuitBreakerPolicy } from 'cockatiel';
import { AutomintError } from '../errors.js';

/** How a granted call ended, for the breaker: 429 or no answer is a failure; an abandoned call teaches nothing. */
export type BreakerVerdict = 'success' | 'failure' | 'neutral';

/** Whether a call may start now. */
export type BreakerStatus =
  | { kind: 'closed' }
  /** Open long enough: the next call is the half-open test. */
  | { kind: 'trial' }
  /** Open: no call until `reopensAt`. */
  | { kind: 'open'; reopensAt: number }
  /** Half-open: the test call is out; nothing else until it ends. */
  | { kind: 'testing' };

/** The breaker as persisted: half-open is saved as open (its test call did not survive the restart). */
export interface BreakerSnapshot {
  readonly state: 'closed' | 'open';
  readonly openedAt: number | null;
  /** Consecutive failures counted so far. */
  readonly failures: number;
}

/** Thrown inside the breaker for an abandoned call: cockatiel counts only handled results, so it counts nothing. */
class AbandonedCall extends AutomintError {
  constructor() {
    super('LIMITER_CALL_ABANDONED', 'the call was abandoned before an answer');
  }
}

export class PoolBreaker {
  private readonly counter: ConsecutiveBreaker;
  private readonly policy: CircuitBreakerPolicy;
  private openedAt: number | null;

  constructor(
    readonly threshold: number,
    readonly cooldownMs: number,
    onChange: () => void,
    restored?: BreakerSnapshot,
    /** Told when the circuit opens (epoch ms): the run's `breaker.opened` event. */
    onOpen?: (openedAt: number) => void,
  ) {
    this.counter = new ConsecutiveBreaker(Math.max(1, threshold));
    const open = restored?.state === 'open' && restored.openedAt !== null;
    this.openedAt = open ? restored.openedAt : null;
    // cockatiel's own toJSON shape: how it documents restoring a breaker (`initialState`).
    const initialState = restored
      ? {
          ownState: open ? { value: CircuitState.Open, openedAt: restored.openedAt, attemptNo: 1 } : { value: CircuitState.Closed },
          breakerState: Math.max(0, Math.floor(restored.failures)),
        }
      : undefined;
    this.policy = circuitBreaker(handleWhenResult((r) => r === 'failure'), {
      halfOpenAfter: Math.max(0, cooldownMs),
      breaker: this.counter,
      initialState,
    });
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
      onOpen?.(this.openedAt);
    });
    this.policy.onStateChange(() => onChange());
  }

  /** Whether a call may start at `now`. */
  status(now: number): BreakerStatus {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return { kind: 'closed' };
      case CircuitState.HalfOpen:
        return { kind: 'testing' };
      default: {
        const reopensAt = (this.openedAt ?? now) + this.cooldownMs;
        return now >= reopensAt ? { kind: 'trial' } : { kind: 'open', reopensAt };
      }
    }
  }

  /** Counts one granted call (status must be closed or trial); returns how to report its end, once. */
  track(now: number): (verdict: BreakerVerdict) => void {
    const isTrial = this.status(now).kind === 'trial';
    let report: (v: BreakerVerdict) => void = () => undefined;
    const ended = new Promise<BreakerVerdict>((resolve) => (report = resolve));
    this.policy
      .execute(async () => {
        const verdict = await ended;
        // A test call that never reported proved nothing about the store: stay careful and reopen.
        if (verdict === 'neutral') {
          if (isTrial) return 'failure';
          throw new AbandonedCall();
        }
        return verdict;
      })
      .catch(() => undefined);
    return report;
  }

  /** The state to persist. */
  snapshot(): BreakerSnapshot {
    const closed = this.policy.state === CircuitState.Closed;
    return { state: closed ? 'closed' : 'open', openedAt: closed ? null : this.openedAt, failures: this.counter.state };
  }
}
