import { describe, expect, it } from 'vitest';
import { BLIND_WARN_EVERY_MS, describeBlind, FailedPolls, failureCause } from '../../../../core/actors/failed-polls.js';
import { StoreMalformed } from '../../../../core/store/store-error.js';

describe('FailedPolls', () => {
  const limit = { polls: 3, ms: 10_000 };

  it('turns blind only when the run has both the polls and the time of the limit', () => {
    const f = new FailedPolls(limit);
    // Ten fast failures inside a second: not blindness yet.
    for (let i = 0; i < 10; i++) expect(f.failed('x', i * 100, i * 100 + 50)).toBe('quiet');
    expect(f.failed('x', 9_900, 10_000)).toBe('blind');
    expect(f.current).toMatchObject({ failures: 11, since: 0, blind: true });
    // Once: later failures of the same run do not report blindness again.
    expect(f.failed('x', 10_100, 10_200)).toBe('quiet');
  });

  it('is not blind after two slow failures, however long they took', () => {
    const f = new FailedPolls(limit);
    expect(f.failed('timeout', 0, 60_000)).toBe('warn');
    expect(f.failed('timeout', 60_000, 61_000)).toBe('quiet');
    expect(f.current?.blind).toBe(false);
    expect(f.failed('timeout', 61_000, 62_000)).toBe('blind');
  });

  it(`warns every ${BLIND_WARN_EVERY_MS / 1000} s while polls keep failing, with the count and the last cause`, () => {
    const f = new FailedPolls({ polls: 1_000, ms: 3_600_000 });
    const steps: string[] = [];
    for (let t = 0; t <= 95_000; t += 1_000) steps.push(f.failed(`cause at ${t}`, t, t + 500));
    expect(steps.filter((s) => s === 'warn')).toHaveLength(3);
    expect(f.current).toMatchObject({ failures: 96, cause: 'cause at 95000' });
  });

  it('ends the run on a poll that reads the target, and reports its end only when it had been loud', () => {
    const f = new FailedPolls(limit);
    f.failed('x', 0, 100);
    expect(f.succeeded()).toBeNull();
    expect(f.current).toBeNull();
    for (let t = 0; t < 12_000; t += 1_000) f.failed('x', t, t + 100);
    expect(f.succeeded()).toMatchObject({ blind: true, failures: 12 });
    // A new run starts from nothing.
    expect(f.failed('y', 20_000, 20_100)).toBe('quiet');
    expect(f.current).toMatchObject({ failures: 1, since: 20_000 });
  });
});

describe('failureCause and describeBlind', () => {
  it('says the code and message, cut to a log line', () => {
    const e = new StoreMalformed(`body larger than ${'9'.repeat(400)}`, { op: 'collection', url: 'u', status: 200 });
    const cause = failureCause(e);
    expect(cause).toMatch(/^STORE_MALFORMED: store answer to collection is malformed/);
    expect(cause.length).toBeLessThanOrEqual(301);
  });

  it('tells a target still blind from one seen again', () => {
    const b = { target: '1:1', failures: 21, since: 0, until: 12_400, cause: 'STORE_HTTP: store answered HTTP 418 to collection', blindAtEnd: true };
    expect(describeBlind(b)).toBe('target 1:1 blind: 21 polls failed in a row over 12 s, last: STORE_HTTP: store answered HTTP 418 to collection');
    expect(describeBlind({ ...b, blindAtEnd: false })).toMatch(/^target 1:1 was blind, then seen again/);
  });
});
