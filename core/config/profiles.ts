/** The five speed profiles. A profile is one word in the config that sets how hard the bot leans on the store:
 *  how often it polls, how long it waits, how many times it retries a read, when the circuit breaker opens and how
 *  much of a rate-limit pool it leaves unused. Every field here is read by the limiter, watcher or store client. */

export const PROFILE_NAMES = ['safe', 'balanced', 'fast', 'aggressive', 'extreme'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** What a profile sets. All durations in milliseconds. */
export type ProfileSettings = {
  /** Time between two polls of one watched target. */
  readonly pollIntervalMs: number;
  /** Time limit for one store request. */
  readonly requestTimeoutMs: number;
  /** Failed attempts in a row a payer makes before it gives up (a create-order whose answer was lost may be repeated:
   *  no money moves for an order whose details never arrived). */
  readonly retries: number;
  /** Consecutive 429 / transport failures that open the circuit breaker. */
  readonly breakerThreshold: number;
  /** How long an open circuit breaker stays open. */
  readonly breakerCooldownMs: number;
  /** Percentage of every declared rate-limit pool kept unused, as headroom. */
  readonly safetyMarginPct: number;
  /** Longest single wait the limiter accepts (Retry-After, reset, backoff) before it gives up on a request. */
  readonly maxWaitMs: number;
  /** Pause before a payer tries again after a failed step (never after one whose outcome is unknown). */
  readonly retryDelayMs: number;
  /** A target is blind (summary, exit code 4, `stopWhenBlind`) after this many failed polls in a row (a floor, so one
   *  or two slow failures are never blindness)... */
  readonly blindAfterPolls: number;
  /** ...spanning at least this long: the faster the profile, the shorter the drop it is meant for, and the sooner it
   *  must say it cannot see the store. */
  readonly blindAfterMs: number;
};

/** One line per profile, so the reference table in docs/configuration.md can say what it is for. */
export const PROFILE_SUMMARIES: Readonly<Record<ProfileName, string>> = {
  safe: 'slow and polite: for long waits before a drop, or an account that was rate-limited before',
  balanced: 'the default: quick enough for most drops, well inside observed rate limits',
  fast: 'for a drop whose time is known; polls every 2 s',
  aggressive: 'polls every second and tolerates more 429s before backing off',
  extreme: 'polls twice a second with no headroom: short bursts only, expect 429s',
};

export const PROFILES: Readonly<Record<ProfileName, ProfileSettings>> = {
  safe: {
    pollIntervalMs: 10_000,
    requestTimeoutMs: 45_000,
    retries: 3,
    breakerThreshold: 2,
    breakerCooldownMs: 600_000,
    safetyMarginPct: 30,
    maxWaitMs: 600_000,
    retryDelayMs: 5_000,
    blindAfterPolls: 3,
    blindAfterMs: 180_000,
  },
  balanced: {
    pollIntervalMs: 5_000,
    requestTimeoutMs: 30_000,
    retries: 5,
    breakerThreshold: 3,
    breakerCooldownMs: 300_000,
    safetyMarginPct: 20,
    maxWaitMs: 300_000,
    retryDelayMs: 2_000,
    blindAfterPolls: 3,
    blindAfterMs: 90_000,
  },
  fast: {
    pollIntervalMs: 2_000,
    requestTimeoutMs: 20_000,
    retries: 4,
    breakerThreshold: 5,
    breakerCooldownMs: 120_000,
    safetyMarginPct: 10,
    maxWaitMs: 60_000,
    retryDelayMs: 1_000,
    blindAfterPolls: 3,
    blindAfterMs: 45_000,
  },
  aggressive: {
    pollIntervalMs: 1_000,
    requestTimeoutMs: 15_000,
    retries: 3,
    breakerThreshold: 7,
    breakerCooldownMs: 60_000,
    safetyMarginPct: 5,
    maxWaitMs: 30_000,
    retryDelayMs: 500,
    blindAfterPolls: 3,
    blindAfterMs: 20_000,
  },
  extreme: {
    pollIntervalMs: 500,
    requestTimeoutMs: 10_000,
    retries: 2,
    breakerThreshold: 10,
    breakerCooldownMs: 30_000,
    safetyMarginPct: 0,
    maxWaitMs: 15_000,
    retryDelayMs: 250,
    blindAfterPolls: 3,
    blindAfterMs: 10_000,
  },
};

/** The settings of a named profile. */
export function profileSettings(name: ProfileName): ProfileSettings {
  return PROFILES[name];
}
