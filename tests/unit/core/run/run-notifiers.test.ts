import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RunEvents } from '../../../../core/events/run-events.js';
import type { RunEvent } from '../../../../core/events/run-event.js';
import type { Notifier } from '../../../../core/plugins/notifier.js';
import { startNotifiers } from '../../../../core/run/run-notifiers.js';

/** A logger whose lines the test reads. */
function logLines(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

describe('the run\'s notifiers', () => {
  it('subscribes each notifier to a source that can only subscribe, and closes it after the events drained', async () => {
    const events = new RunEvents();
    const got: RunEvent[] = [];
    const calls: string[] = [];
    const notifier: Notifier = {
      id: 'n',
      subscribe(source) {
        calls.push(`subscribe ${Object.keys(source).join(',')}`);
        source.subscribe('n', async (e) => {
          await new Promise((r) => setTimeout(r, 5));
          got.push(e);
        });
      },
      close() {
        calls.push(`close after ${got.length}`);
      },
    };
    const started = await startNotifiers([notifier], events, logLines().log);
    events.emit({ type: 'sold-out', target: '1:1' });
    events.emit({ type: 'target.reached', target: '1:1', packs: 2 });
    await started.close();
    expect(calls).toEqual(['subscribe subscribe', 'close after 2']);
  });

  it('goes on when a notifier throws or hangs in subscribe or close, each wait bounded', async () => {
    const { log, lines } = logLines();
    const events = new RunEvents();
    const never = (): Promise<void> => new Promise<void>(() => undefined);
    const thrower: Notifier = { id: 'thrower', subscribe: () => { throw new Error('no token'); }, close: () => Promise.reject(new Error('gone')) };
    const hanger: Notifier = { id: 'hanger', subscribe: never, close: never };
    const fine: string[] = [];
    const ok: Notifier = { id: 'ok', subscribe: (s) => void s.subscribe('ok', (e) => void fine.push(e.type)) };
    const t0 = Date.now();
    const started = await startNotifiers([thrower, hanger, ok], events, log, 50);
    events.emit({ type: 'sold-out', target: '1:1' });
    await started.close(50);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(fine).toEqual(['sold-out']);
    expect(lines.map((l) => [l['notifier'], l['msg']])).toEqual([
      ['thrower', 'notifier subscribe failed; the run goes on'],
      ['hanger', 'notifier subscribe did not finish in time; the run goes on'],
      ['thrower', 'notifier close failed; the run goes on'],
      ['hanger', 'notifier close did not finish in time; the run goes on'],
    ]);
  });

  it('closes once, however often it is asked', async () => {
    let closes = 0;
    const started = await startNotifiers([{ id: 'n', subscribe: () => undefined, close: () => void (closes += 1) }], new RunEvents(), logLines().log);
    await Promise.all([started.close(), started.close()]);
    await started.close();
    expect(closes).toBe(1);
  });
});
