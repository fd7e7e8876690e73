import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES, PROFILE_SUMMARIES, PROFILES, profileSettings, type ProfileSettings } from '../../../../core/config/profiles.js';

const FIELDS: readonly (keyof ProfileSettings)[] = [
  'pollIntervalMs',
  'requestTimeoutMs',
  'retries',
  'breakerThreshold',
  'breakerCooldownMs',
  'safetyMarginPct',
  'maxWaitMs',
  'retryDelayMs',
  'blindAfterPolls',
  'blindAfterMs',
];

describe('profiles', () => {
  it('defines exactly the five profiles, each with a summary', () => {
    expect(Object.keys(PROFILES)).toEqual([...PROFILE_NAMES]);
    expect(Object.keys(PROFILE_SUMMARIES)).toEqual([...PROFILE_NAMES]);
  });

  it.each(PROFILE_NAMES)('gives %s every field as a non-negative integer', (name) => {
    const settings = profileSettings(name);
    expect(Object.keys(settings).sort()).toEqual([...FIELDS].sort());
    for (const field of FIELDS) {
      expect(Number.isInteger(settings[field]), field).toBe(true);
      expect(settings[field], field).toBeGreaterThanOrEqual(0);
    }
    expect(settings.pollIntervalMs).toBeGreaterThan(0);
    expect(settings.breakerThreshold).toBeGreaterThan(0);
    expect(settings.safetyMarginPct).toBeLessThan(100);
    expect(settings.requestTimeoutMs).toBeLessThanOrEqual(settings.maxWaitMs);
  });

  it('gets faster and less cautious from safe to extreme', () => {
    const ordered = PROFILE_NAMES.map((name) => PROFILES[name]);
    for (let i = 1; i < ordered.length; i++) {
      expect(ordered[i]!.pollIntervalMs).toBeLessThan(ordered[i - 1]!.pollIntervalMs);
      expect(ordered[i]!.requestTimeoutMs).toBeLessThan(ordered[i - 1]!.requestTimeoutMs);
      expect(ordered[i]!.breakerThreshold).toBeGreaterThan(ordered[i - 1]!.breakerThreshold);
      expect(ordered[i]!.safetyMarginPct).toBeLessThanOrEqual(ordered[i - 1]!.safetyMarginPct);
      // A faster profile is for a shorter drop: it must say sooner that it cannot see the store.
      expect(ordered[i]!.blindAfterMs).toBeLessThan(ordered[i - 1]!.blindAfterMs);
    }
  });

  it('calls a target blind only after several failed polls spanning many poll intervals', () => {
    for (const name of PROFILE_NAMES) {
      const p = PROFILES[name];
      expect(p.blindAfterPolls, name).toBeGreaterThanOrEqual(3);
      expect(p.blindAfterMs, name).toBeGreaterThanOrEqual(10 * p.pollIntervalMs);
    }
  });
});
