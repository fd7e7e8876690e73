/** Every number of a profile reaches the part of the run that uses it (the limiter, the watchers, the payers); the
 *  limiter's own tests (limiter-profile.test.ts), the watcher's and the payer's prove each changes behaviour there. */
import { describe, expect, it } from 'vitest';
import { PROFILES, type ProfileSettings } from '../../../../core/config/profiles.js';
import { profileInputs } from '../../../../core/run/run-bot.js';

const base = PROFILES.balanced;
const fields = Object.keys(base) as (keyof ProfileSettings)[];

describe('profile fields', () => {
  it.each(fields)('%s changes what the run is given', (field) => {
    const changed = { ...base, [field]: base[field] + 7 } as ProfileSettings;
    const a = profileInputs(base);
    const b = profileInputs(changed);
    expect(b).not.toEqual(a);
    const flat = (x: ReturnType<typeof profileInputs>) => ({ ...x.limits, ...x.policy });
    const diff = Object.entries(flat(b)).filter(([k, v]) => flat(a)[k as keyof ReturnType<typeof flat>] !== v).map(([k]) => k);
    // retries reach the payers as maxFailures; maxWaitMs also bounds a payer's hold; every other field keeps its name.
    const expected: Partial<Record<keyof ProfileSettings, string[]>> = { retries: ['maxFailures'], maxWaitMs: ['maxWaitMs', 'maxHoldMs'] };
    expect(diff).toEqual(expected[field] ?? [field]);
  });
});
