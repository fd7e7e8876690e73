/** How a command's error becomes its exit code and the text a person reads: a ledger held by another run exits 3
 *  with the message that names the holder, whoever made the error; an error of a run the user stopped exits 130. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AutomintError } from '../../../core/errors.js';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_LOCKED, EXIT_STOPPED, reportFailure, stoppedRunFailure, stopExitCode } from '../../../cli/failure.js';
import { ConfigError } from '../../../core/config/config-error.js';

const LOCKED = 'automint run (pid 4242 on host-a, started 2026-01-01T00:00:00.000Z) is using the data dir /data; stop it with Ctrl-C in its terminal or `kill 4242`, or wait for it to end';

/** What reportFailure writes to stderr for `e`, and its exit code. */
function report(e: unknown): { code: number; err: string } {
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const code = reportFailure(e);
  return { code, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('reportFailure', () => {
  it('exits 3 for a held ledger and prints its message, naming the holder', () => {
    const { code, err } = report(new AutomintError('LEDGER_LOCKED', LOCKED, { pid: 4242 }));
    expect(code).toBe(EXIT_LOCKED);
    expect(err).toBe(`error [LEDGER_LOCKED]: ${LOCKED}\n`);
  });

  it('exits 3 for a held ledger reported by a copy of AutomintError (same shape, another class)', () => {
    const copy = Object.assign(new Error(LOCKED), { code: 'LEDGER_LOCKED', details: { pid: 4242 } });
    expect(report(copy).code).toBe(EXIT_LOCKED);
  });

  it('prints any other AutomintError on one line with its code, and exits 1', () => {
    const { code, err } = report(new AutomintError('NO_STORE_LOGIN', 'account bob cannot log in to the store'));
    expect(code).toBe(EXIT_FAILURE);
    expect(err).toBe('error [NO_STORE_LOGIN]: account bob cannot log in to the store\n');
  });
});

describe('stoppedRunFailure', () => {
  it('exits 130 for an error of a run the user stopped, and keeps the code of a config mistake', () => {
    const stopped = AbortSignal.abort();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(stoppedRunFailure(new AutomintError('RECONCILE_ABORTED', 'reconciliation stopped'), stopped)).toBe(EXIT_STOPPED);
    expect(stoppedRunFailure(new ConfigError('CONFIG_INVALID', [{ path: 'targets', message: 'configure at least one target' }], 'my.yaml'), stopped)).toBe(EXIT_CONFIG);
  });

  it('exits 143 when the run was stopped by SIGTERM, as a service manager expects', () => {
    const terminated = new AbortController();
    terminated.abort('SIGTERM');
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(stoppedRunFailure(new AutomintError('RECONCILE_ABORTED', 'reconciliation stopped'), terminated.signal)).toBe(143);
    const interrupted = new AbortController();
    interrupted.abort('SIGINT');
    expect(stopExitCode(interrupted.signal)).toBe(EXIT_STOPPED);
  });

  it('throws on the error of a run nobody stopped', () => {
    const e = new Error('boom');
    expect(() => stoppedRunFailure(e, new AbortController().signal)).toThrow(e);
  });
});
