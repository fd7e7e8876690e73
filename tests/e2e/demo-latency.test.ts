/** `automint demo --json` (the built CLI, in its own process) reports per payment method the latencies ended where
 *  requests really leave: detect → the order request on the socket, never shorter than the in-process mark of the
 *  same orders (handed to undici), and a figure for every payment sent. Needs `npm run build`. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

type Figure = { p50: number; p99: number; n: number };
interface DemoJson {
  ok: boolean;
  paid: Record<string, number>;
  latencyMs: Record<string, Record<string, Figure>>;
  spendHeldMs: number;
}

let demo: DemoJson;

beforeAll(async () => {
  const cli = path.resolve('dist/cli/main.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'demo', '--json'], { maxBuffer: 16 * 1024 * 1024, timeout: 110_000 });
  demo = JSON.parse(stdout.trim().split('\n').pop()!) as DemoJson;
}, 120_000);

describe('demo --json latencies', () => {
  it('measures detect → order on the wire for each method that paid, never below the in-process hand-off', () => {
    expect(demo.ok).toBe(true);
    for (const method of ['ton', 'stars']) {
      expect(demo.paid[method]).toBeGreaterThan(0);
      const wire = demo.latencyMs[method]!['detectToWire']!;
      const handoff = demo.latencyMs[method]!['detectToHandoff']!;
      expect(wire.n).toBeGreaterThan(0);
      // The same orders in both figures, each written after it was handed over.
      expect(handoff.n).toBe(wire.n);
      expect(wire.p50).toBeGreaterThanOrEqual(handoff.p50);
      expect(wire.p99).toBeGreaterThanOrEqual(handoff.p99);
    }
  });

  it('measures order answer → payment sent for every paid order of each method, apart from each other', () => {
    for (const method of ['ton', 'stars']) {
      expect(demo.latencyMs[method]!['answerToSend']!.n).toBeGreaterThanOrEqual(demo.paid[method]!);
      expect(demo.latencyMs[method]!['sendToConfirm']!.n).toBe(demo.paid[method]);
    }
    expect(demo.spendHeldMs).toBeGreaterThanOrEqual(0);
  });
});
