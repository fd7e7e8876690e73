/** A store whose collection answer the watcher cannot read at all (issue 12): a refusal with an unknown code, a 418,
 *  a 302, `data: null`, a 50 MB body, a body that trickles forever. Each once made the bot poll in silence until it
 *  was killed. Now the run says so: the target is blind in the summary and the exit code (4), with `stopWhenBlind`
 *  the run ends by itself, and no order is created, so no money moves. */
import { describe, expect, it } from 'vitest';
import { EXIT_BLIND } from '../../cli/failure.js';
import { runExitCode } from '../../cli/run-exit.js';
import type { RunSummary } from '../../core/run/summary.js';
import type { World } from '../../sim/world.js';
import { expectMoneySafe } from '../support/hostile-run.js';
import { buyThroughTwist, onCollection, type Json } from '../support/twisted-run.js';
import type { Twist, TwistRule } from '../support/twisting-store.js';

const HUGE = 50 * 1024 * 1024;

/** Nothing bought, nothing ordered, both demo targets blind with `cause`, exit 4. */
function expectBlind(world: World, summary: RunSummary, cause: RegExp): void {
  expectMoneySafe(world, summary);
  expect(world.store.orders()).toEqual([]);
  expect(summary.packs).toBe(0);
  expect(summary.blind.map((b) => b.target).sort()).toEqual(['1:1', '1:2']);
  for (const b of summary.blind) {
    expect(b.blindAtEnd).toBe(true);
    expect(b.failures).toBeGreaterThanOrEqual(3);
    expect(b.cause).toMatch(cause);
  }
  expect(runExitCode(summary)).toBe(EXIT_BLIND);
}

describe('a store whose collection answer cannot be read, with stopWhenBlind', () => {
  it.each<[string, Twist, RegExp]>([
    ['a 200 refusal with an unknown code', { kind: 'answer', status: 200, body: '{"ok":false,"errorCode":"collection_frozen"}' }, /STORE_REJECTED: .*collection_frozen/],
    ['a 418', { kind: 'answer', status: 418, body: '{"teapot":true}' }, /STORE_HTTP: .*HTTP 418/],
    ['a 302 to a login page', { kind: 'answer', status: 302, body: '', headers: { location: 'https://stickerdom.store/login' } }, /STORE_HTTP: .*HTTP 302/],
    ['data: null', { kind: 'answer', status: 200, body: '{"ok":true,"data":null}' }, /STORE_MALFORMED: .*not an object/],
    ['a 50 MB body without a length', { kind: 'huge', bytes: HUGE, declared: false }, /STORE_MALFORMED: .*body larger than/],
    ['a 50 MB body with its length', { kind: 'huge', bytes: HUGE, declared: true }, /STORE_MALFORMED: .*body larger than/],
  ])('ends with both targets blind, exit 4 and nothing ordered, for %s', async (_name, twist, cause) => {
    const { world, store, summary, close } = await buyThroughTwist(onCollection(twist), { stopWhenBlind: true });
    try {
      expect(store.twisted()).toBeGreaterThanOrEqual(3);
      expectBlind(world, summary, cause);
      // Each huge body was cut at the limit: the rest was never read (what was written sat in socket buffers).
      for (const written of store.hugeWritten()) expect(written).toBeLessThan(HUGE / 4);
    } finally {
      await close();
    }
  }, 120_000);

  it('ends blind, exit 4, when every answer trickles forever, each poll cut at the request timeout', async () => {
    const { world, summary, close } = await buyThroughTwist(onCollection({ kind: 'trickle', everyMs: 200 }), { stopWhenBlind: true });
    try {
      expectBlind(world, summary, /STORE_TIMEOUT/);
    } finally {
      await close();
    }
  }, 120_000);
});

describe('a store whose collection answer cannot be read, without stopWhenBlind', () => {
  it('keeps polling after the target is blind, warns with the count and the cause, and exits 4 when stopped', async () => {
    const stop = new AbortController();
    const lines: Json[] = [];
    const teapot = onCollection({ kind: 'answer', status: 418, body: '' });
    let polls = 0;
    let pollsWhenBlind: number | null = null;
    const rule: TwistRule = (req) => {
      const twist = teapot(req);
      if (twist !== null) polls++;
      // Stopped (as Ctrl-C would) once it has polled on for a while after both targets went blind.
      if (pollsWhenBlind !== null && polls >= pollsWhenBlind + 4) stop.abort();
      return twist;
    };
    const onLog = (line: Json): void => {
      lines.push(line);
      if (lines.filter((l) => l['msg'] === 'target blind: polls keep failing').length === 2) pollsWhenBlind ??= polls;
    };
    const { world, summary, close } = await buyThroughTwist(rule, { signal: stop.signal, onLog });
    try {
      const blindLines = lines.filter((l) => l['msg'] === 'target blind: polls keep failing');
      expect(blindLines.map((l) => l['target']).sort()).toEqual(['1:1', '1:2']);
      for (const l of blindLines) {
        expect(l['failures']).toBeGreaterThanOrEqual(3);
        expect(l['cause']).toMatch(/HTTP 418/);
      }
      expect(polls).toBeGreaterThanOrEqual(pollsWhenBlind! + 4);
      expect(summary.stopReason).toBe('signal');
      expectBlind(world, summary, /HTTP 418/);
    } finally {
      await close();
    }
  }, 120_000);
});
