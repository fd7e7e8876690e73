/** `npm run bench:demo [-- RUNS]`: runs `automint demo --json` RUNS times (default 5), each in a fresh process, and
 *  prints the median of every figure as one JSON object on the last line. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, round2 } from './median.js';

const run = promisify(execFile);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const runs = Number(process.argv[2] ?? 5);

interface DemoFigures {
  ok: boolean;
  paid: Record<string, number>;
  packs: number;
  spent: Record<string, string>;
  doublePaid: number;
  latencyMs: Record<string, Record<string, { p50: number; p99: number; n: number }>>;
  dropToFirstPaymentMs: Record<string, number>;
}

const results: DemoFigures[] = [];
const wall: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const { stdout } = await run(process.execPath, [cli, 'demo', '--json'], { maxBuffer: 16 * 1024 * 1024 });
  wall.push(performance.now() - started);
  const last = stdout.trim().split('\n').pop()!;
  results.push(JSON.parse(last) as DemoFigures);
  process.stderr.write(`run ${i + 1}/${runs}: ${last}\n`);
}
// Per method and figure, the median over the runs that measured it.
const latency: Record<string, Record<string, { p50: number; p99: number }>> = {};
for (const method of new Set(results.flatMap((r) => Object.keys(r.latencyMs)))) {
  latency[method] = {};
  for (const key of new Set(results.flatMap((r) => Object.keys(r.latencyMs[method] ?? {})))) {
    const measured = results.flatMap((r) => {
      const f = r.latencyMs[method]?.[key];
      return f === undefined || f.n === 0 ? [] : [f];
    });
    latency[method][key] = { p50: round2(median(measured.map((f) => f.p50))), p99: round2(median(measured.map((f) => f.p99))) };
  }
}
/** The median of a per-method or per-currency figure across runs (runs without it are left out). */
function medianBy<T>(pick: (r: DemoFigures) => Record<string, T> | undefined, toNumber: (v: T) => number): Record<string, number> {
  const keys = new Set(results.flatMap((r) => Object.keys(pick(r) ?? {})));
  return Object.fromEntries([...keys].map((k) => [k, round2(median(results.flatMap((r) => (pick(r)?.[k] === undefined ? [] : [toNumber(pick(r)![k]!)]))))]));
}
console.log(JSON.stringify({
  runs,
  allOk: results.every((r) => r.ok),
  doublePaid: Math.max(...results.map((r) => r.doublePaid)),
  packs: median(results.map((r) => r.packs)),
  paid: medianBy((r) => r.paid, (n) => n),
  spent: medianBy((r) => r.spent, (v) => Number(v)),
  dropToFirstPaymentMs: medianBy((r) => r.dropToFirstPaymentMs, (n) => n),
  wallMs: round2(median(wall)),
  latencyMs: latency,
}));
